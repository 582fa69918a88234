import { fileTypeFromBuffer } from 'file-type';
import { allowedTypeFor, unsupportedTypeMessage, type AllowedType } from './allowed-types.ts';
import { isTextSample } from '../../activities/extraction/decode-text.ts';
import { LocalStagingArea } from '../../storage/staging.ts';
import type { StagingArea } from '../../storage/document-storage.ts';
import type { RefusalReason } from './refusal-reasons.ts';
import { judgeZipDocument, type RangeReader } from './zip-archive.ts';

export type SniffVerdict = { ok: true; type: AllowedType } | { ok: false; reason: RefusalReason; message: string };

/** Bytes read from the start of a file: its type is judged on them, and a text type's sample. */
const HEAD_BYTES = 64 * 1024;

/** A staged upload as sniffing reads it: where it is staged, and its size. */
export interface StagedBytes {
  staging: StagingArea;
  key: string;
  sizeBytes: number;
}

/**
 * Checks a staged file's bytes against its name: the extension must be
 * allowed, and the bytes must be of that type (magic numbers through
 * file-type on the first 64 KiB; the same bytes as the text sample for text
 * types). Works on local staging and on a bucket alike: one read of the
 * start, and for ZIP types the table of contents at the end (a ZIP whose
 * first entries lie past the start is "ZIP data", then judged by that table).
 */
export async function sniffStaged(staged: StagedBytes, filename: string): Promise<SniffVerdict> {
  const type = allowedTypeFor(filename);
  if (!type) {
    return { ok: false, reason: 'unsupported_extension', message: unsupportedTypeMessage(filename) };
  }
  const head = await staged.staging.readRange(staged.key, 0, HEAD_BYTES);
  const detected = await fileTypeFromBuffer(head);
  if (type.sniffedAs) {
    // ZIP-based types: "ZIP data" alone would not say whether it is cut short or something else.
    if (detected?.ext === 'zip' || detected?.ext === type.sniffedAs) {
      const reader: RangeReader = {
        size: staged.sizeBytes,
        read: (offset, length) => staged.staging.readRange(staged.key, offset, length),
      };
      const verdict = await judgeZipDocument(reader, type.extension);
      if (verdict) return verdict.ok ? { ok: true, type } : verdict;
    }
    if (detected?.ext === type.sniffedAs) return { ok: true, type };
    return {
      ok: false,
      reason: 'type_mismatch',
      message: `named .${type.extension} but the bytes are ${describe(detected?.ext)}`,
    };
  }
  // Text types: a detected binary format (other than XML, which HTML may look like) is not text.
  if (detected && detected.ext !== 'xml') {
    return {
      ok: false,
      reason: 'type_mismatch',
      message: `named .${type.extension} but the bytes are ${describe(detected.ext)}`,
    };
  }
  if (!isTextSample(head)) {
    return {
      ok: false,
      reason: 'type_mismatch',
      message: `named .${type.extension} but the bytes are binary, not text`,
    };
  }
  return { ok: true, type };
}

/** A file on local disk, sniffed as if it were staged there (tools and tests). */
export async function sniffStagedFile(filePath: string, filename: string): Promise<SniffVerdict> {
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(filePath));
  return sniffStaged({ staging: new LocalStagingArea(''), key: filePath, sizeBytes: size }, filename);
}

function describe(ext: string | undefined): string {
  return ext ? `${ext.toUpperCase()} data` : 'of no recognised document type';
}
