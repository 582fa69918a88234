import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { allowedTypeFor, unsupportedTypeMessage, type AllowedType } from './allowed-types.ts';
import { isTextSample } from '../../activities/extraction/decode-text.ts';
import type { RefusalReason } from './refusal-reasons.ts';
import { judgeZipDocument } from './zip-archive.ts';

export type SniffVerdict = { ok: true; type: AllowedType } | { ok: false; reason: RefusalReason; message: string };

/** Bytes read from the start of a text file to judge that it is text. */
const TEXT_SAMPLE_BYTES = 64 * 1024;

/**
 * Checks a staged file's bytes against its name: the extension must be
 * allowed, and the bytes must be of that type (magic numbers through
 * file-type, which reads only what it needs from disk; a text sample for
 * text types).
 */
export async function sniffStagedFile(stagedPath: string, filename: string): Promise<SniffVerdict> {
  const type = allowedTypeFor(filename);
  if (!type) {
    return { ok: false, reason: 'unsupported_extension', message: unsupportedTypeMessage(filename) };
  }
  const detected = await fileTypeFromFile(stagedPath);
  if (type.sniffedAs) {
    // ZIP-based types: "ZIP data" alone would not say whether it is cut short or something else.
    if (detected?.ext === 'zip' || detected?.ext === type.sniffedAs) {
      const verdict = await judgeZipDocument(stagedPath, type.extension);
      if (verdict) return verdict.ok ? { ok: true, type } : verdict;
    }
    if (detected?.ext === type.sniffedAs) return { ok: true, type };
    return { ok: false, reason: 'type_mismatch', message: `named .${type.extension} but the bytes are ${describe(detected?.ext)}` };
  }
  // Text types: a detected binary format (other than XML, which HTML may look like) is not text.
  if (detected && detected.ext !== 'xml') {
    return { ok: false, reason: 'type_mismatch', message: `named .${type.extension} but the bytes are ${describe(detected.ext)}` };
  }
  if (!(await looksLikeText(stagedPath))) {
    return { ok: false, reason: 'type_mismatch', message: `named .${type.extension} but the bytes are binary, not text` };
  }
  return { ok: true, type };
}

function describe(ext: string | undefined): string {
  return ext ? `${ext.toUpperCase()} data` : 'of no recognised document type';
}

/** Text in an encoding extraction can read (UTF-8, UTF-16, latin-1 and friends), judged on the first 64 KiB; not binary. */
async function looksLikeText(stagedPath: string): Promise<boolean> {
  const handle = await open(stagedPath, 'r');
  try {
    const buffer = Buffer.alloc(TEXT_SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, TEXT_SAMPLE_BYTES, 0);
    return isTextSample(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
