import { fileTypeFromBuffer } from 'file-type';
import { allowedTypeFor, unsupportedTypeMessage, type AllowedType } from './allowed-types.ts';
import { isTextSample } from '../../activities/extraction/decode-text.ts';
import { LocalStagingArea } from '../../storage/staging.ts';
import type { StagingArea } from '../../storage/document-storage.ts';
import type { RefusalReason } from './refusal-reasons.ts';
import { judgeZipDocument, type RangeReader } from './zip-archive.ts';
import { judgePalmDatabase } from './palm-database.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimitBreach, type ArchiveLimits } from '../../common/archive-limits.ts';

export type SniffVerdict =
  | { ok: true; type: AllowedType }
  /** `breach`: the archive limit an archive_too_large refusal broke. */
  | { ok: false; reason: RefusalReason; message: string; breach?: ArchiveLimitBreach };

/** Bytes read from the start of a file: its type is judged on them, and a text type's sample. */
export const HEAD_BYTES = 64 * 1024;

/** A staged upload as sniffing reads it: where it is staged, and its size. */
export interface StagedBytes {
  staging: StagingArea;
  key: string;
  sizeBytes: number;
}

/**
 * What a file's first HEAD_BYTES say about the type its name gives: a final
 * verdict, or (for ZIP-based types whose start looks right) `zip`: the
 * archive's table of contents, at its end, must still be read; (for Palm
 * databases, MOBI and AZW3) `palmdb`: its record list must fit the file.
 */
export type HeadVerdict = SniffVerdict | { ok: 'zip'; type: AllowedType } | { ok: 'palmdb'; type: AllowedType };

/**
 * Checks a staged file's bytes against its name: the extension must be
 * allowed, and the bytes must be of that type (magic numbers through
 * file-type on the first 64 KiB; the same bytes as the text sample for text
 * types). Works on local staging and on a bucket alike: one read of the
 * start, and for ZIP types the table of contents at the end (a ZIP whose
 * first entries lie past the start is "ZIP data", then judged by that table).
 */
export async function sniffStaged(
  staged: StagedBytes,
  filename: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<SniffVerdict> {
  const head = await staged.staging.readRange(staged.key, 0, HEAD_BYTES);
  return finishSniff(await judgeHead(head, filename), staged, limits);
}

/** The start of a file judged against its name (uploads call it as the bytes stream past, with no read back). */
export async function judgeHead(head: Buffer, filename: string): Promise<HeadVerdict> {
  const type = allowedTypeFor(filename);
  if (!type) {
    return { ok: false, reason: 'unsupported_extension', message: unsupportedTypeMessage(filename) };
  }
  const detected = await fileTypeFromBuffer(head);
  const rule = type.format.sniff;
  if ('magic' in rule) return detected?.ext === rule.magic ? { ok: true, type } : mismatch(type, detected?.ext);
  if ('palmDatabase' in rule) {
    // Its type and creator at offset 60; whether its records fit the file is judged on the whole file.
    if (head.length >= 78 && head.toString('latin1', 60, 68) === rule.palmDatabase) return { ok: 'palmdb', type };
    return mismatch(type, detected?.ext);
  }
  if ('zip' in rule) {
    // ZIP-based types: "ZIP data" alone would not say whether it is cut short or something else.
    if (detected?.ext === 'zip' || detected?.ext === rule.zip) return { ok: 'zip', type };
    return mismatch(type, detected?.ext);
  }
  // Text types: a detected binary format (other than XML, which HTML may look like) is not text.
  if (detected && detected.ext !== 'xml') return mismatch(type, detected.ext);
  if (!isTextSample(head)) {
    return {
      ok: false,
      reason: 'type_mismatch',
      message: `named .${type.extension} but the bytes are binary, not text`,
    };
  }
  return { ok: true, type };
}

/**
 * The final verdict: a ZIP-based type's table of contents is read from the
 * staged file's end and judged against the archive limits; a Palm database's
 * record list is checked against the file's size.
 */
export async function finishSniff(
  head: HeadVerdict,
  staged: StagedBytes,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<SniffVerdict> {
  if (head.ok !== 'zip' && head.ok !== 'palmdb') return head;
  const { type } = head;
  const reader: RangeReader = {
    size: staged.sizeBytes,
    read: (offset, length) => staged.staging.readRange(staged.key, offset, length),
  };
  if (head.ok === 'palmdb') {
    const verdict = await judgePalmDatabase(reader, type.extension, type.format);
    return verdict.ok ? { ok: true, type } : verdict;
  }
  const verdict = await judgeZipDocument(reader, type.extension, type.format, limits);
  return verdict.ok ? { ok: true, type } : verdict;
}

function mismatch(type: AllowedType, detected: string | undefined): SniffVerdict {
  return {
    ok: false,
    reason: 'type_mismatch',
    message: `named .${type.extension} but the bytes are ${describe(detected)}`,
  };
}

/** A file on local disk, sniffed as if it were staged there (tools and tests). */
export async function sniffStagedFile(
  filePath: string,
  filename: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<SniffVerdict> {
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(filePath));
  return sniffStaged({ staging: new LocalStagingArea(''), key: filePath, sizeBytes: size }, filename, limits);
}

function describe(ext: string | undefined): string {
  return ext ? `${ext.toUpperCase()} data` : 'of no recognised document type';
}
