import { archiveLimitBreach, type ArchiveLimitBreach, type ArchiveLimits } from '../../common/archive-limits.ts';
import type { DocumentFormat } from '../../common/formats.ts';
import { readZipDirectory, type RangeReader } from '../../common/zip-directory.ts';

export type { RangeReader } from '../../common/zip-directory.ts';

export type ZipVerdict =
  | { ok: true }
  | { ok: false; reason: 'truncated_file' | 'type_mismatch'; message: string }
  | { ok: false; reason: 'archive_too_large'; message: string; breach: ArchiveLimitBreach };

/**
 * Judges a ZIP-based document (DOCX, EPUB: its format's sniff rule names the
 * entry it cannot do without) by its table of contents, so a refusal says
 * which problem it is: an archive cut short, one that would unpack past the
 * archive limits (a decompression bomb: too many entries, too many bytes, too
 * high a ratio, as its directory declares them), or a complete archive of
 * something else. Nothing is unpacked.
 */
export async function judgeZipDocument(
  reader: RangeReader,
  extension: string,
  format: DocumentFormat,
  limits: ArchiveLimits,
): Promise<ZipVerdict> {
  if (!('zip' in format.sniff)) throw new Error(`${format.name} is not a ZIP-based format`);
  const required = { entry: format.sniff.requiredEntry, means: format.sniff.means };
  const directory = await readZipDirectory(reader, limits.maxEntries + 1);
  if (!directory.complete) {
    return {
      ok: false,
      reason: 'truncated_file',
      message: `named .${extension}: a ZIP archive cut short (its table of contents at the end is missing); the file is incomplete, send the whole file again`,
    };
  }
  const breach = archiveLimitBreach(directory.entryCount, directory.entries, limits);
  if (breach)
    return { ok: false, reason: 'archive_too_large', message: `named .${extension}: ${breach.message}`, breach };
  const names = directory.entries.map((entry) => entry.name);
  if (names.length === 0 || names.includes(required.entry)) return { ok: true };
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : '');
  return {
    ok: false,
    reason: 'type_mismatch',
    message: `named .${extension} but the bytes are a ZIP archive without ${required.entry} (${names.length} entries: ${shown}): ${required.means}`,
  };
}
