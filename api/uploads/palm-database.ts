import type { DocumentFormat } from '../../common/formats.ts';
import type { RangeReader } from '../../common/zip-directory.ts';

const HEADER_BYTES = 78;
const RECORD_ENTRY_BYTES = 8;

/**
 * Judges a Palm database (MOBI, AZW3) by its header and record list, without
 * reading the records: a list or a record that starts past the end of the
 * file means the file was cut short.
 */
export async function judgePalmDatabase(
  reader: RangeReader,
  extension: string,
  format: DocumentFormat,
): Promise<{ ok: true } | { ok: false; reason: 'truncated_file' | 'type_mismatch'; message: string }> {
  if (!('palmDatabase' in format.sniff)) throw new Error(`${format.name} is not a Palm database format`);
  const cut = {
    ok: false as const,
    reason: 'truncated_file' as const,
    message: `named .${extension}: ${format.sniff.means} cut short (its records run past the end of the file); the file is incomplete, send the whole file again`,
  };
  if (reader.size < HEADER_BYTES) return cut;
  const header = await reader.read(0, HEADER_BYTES);
  const count = header.readUInt16BE(76);
  if (count === 0)
    return {
      ok: false,
      reason: 'type_mismatch',
      message: `named .${extension} but the Palm database holds no records`,
    };
  const listEnd = HEADER_BYTES + count * RECORD_ENTRY_BYTES;
  if (listEnd > reader.size) return cut;
  const list = await reader.read(HEADER_BYTES, count * RECORD_ENTRY_BYTES);
  for (let i = 0; i < count; i++) if (list.readUInt32BE(i * RECORD_ENTRY_BYTES) >= reader.size) return cut;
  return { ok: true };
}
