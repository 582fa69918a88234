import type { DocumentFormat } from '../../common/formats.ts';

/** Random access to a file's bytes: a local file or a staged object, read by ranges. */
export interface RangeReader {
  size: number;
  /** Up to `length` bytes from `offset`. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** The end-of-central-directory record: 22 bytes, then a comment of at most 65,535. */
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;
const ENTRY_SIGNATURE = 0x02014b50;
const ENTRY_HEADER_BYTES = 46;
/** Names read from the central directory at most; enough to judge what the archive holds. */
const MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024;

/** What the end of a ZIP file says: complete with these entry names, or cut short. */
export type ZipShape = { complete: true; entries: string[] } | { complete: false };

/**
 * Reads a ZIP archive's table of contents from its end, without unpacking
 * anything. An archive whose end record is missing, or whose directory lies
 * past the end of the file, was cut short (a truncated upload or copy).
 */
export async function readZipShape(reader: RangeReader): Promise<ZipShape> {
  const { size } = reader;
  const tailLength = Math.min(size, EOCD_SEARCH_BYTES);
  const tail = await reader.read(size - tailLength, tailLength);
  let eocd = -1;
  for (let at = tailLength - EOCD_BYTES; at >= 0; at--) {
    if (tail.readUInt32LE(at) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return { complete: false };
  const directoryBytes = tail.readUInt32LE(eocd + 12);
  const directoryOffset = tail.readUInt32LE(eocd + 16);
  // 0xffffffff: a ZIP64 archive keeps the real values elsewhere; complete, contents not read here.
  if (directoryOffset === 0xffffffff || directoryBytes === 0xffffffff) return { complete: true, entries: [] };
  if (directoryOffset + directoryBytes > size) return { complete: false };
  const directory = await reader.read(directoryOffset, Math.min(directoryBytes, MAX_CENTRAL_DIRECTORY_BYTES));
  const entries: string[] = [];
  for (let at = 0; at + ENTRY_HEADER_BYTES <= directory.length && directory.readUInt32LE(at) === ENTRY_SIGNATURE;) {
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    entries.push(directory.toString('utf8', at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + nameLength));
    at += ENTRY_HEADER_BYTES + nameLength + extraLength + commentLength;
  }
  return { complete: true, entries };
}

/**
 * Judges a ZIP-based document (DOCX, EPUB: its format's sniff rule names the
 * entry it cannot do without) by its table of contents, so a refusal says
 * which problem it is: an archive cut short, or a complete archive of
 * something else.
 */
export async function judgeZipDocument(
  reader: RangeReader,
  extension: string,
  format: DocumentFormat,
): Promise<{ ok: true } | { ok: false; reason: 'truncated_file' | 'type_mismatch'; message: string }> {
  if (!('zip' in format.sniff)) throw new Error(`${format.name} is not a ZIP-based format`);
  const required = { entry: format.sniff.requiredEntry, means: format.sniff.means };
  const shape = await readZipShape(reader);
  if (!shape.complete) {
    return {
      ok: false,
      reason: 'truncated_file',
      message: `named .${extension}: a ZIP archive cut short (its table of contents at the end is missing); the file is incomplete, send the whole file again`,
    };
  }
  if (shape.entries.length === 0 || shape.entries.includes(required.entry)) return { ok: true };
  const shown = shape.entries.slice(0, 3).join(', ') + (shape.entries.length > 3 ? ', …' : '');
  return {
    ok: false,
    reason: 'type_mismatch',
    message: `named .${extension} but the bytes are a ZIP archive without ${required.entry} (${shape.entries.length} entries: ${shown}): ${required.means}`,
  };
}
