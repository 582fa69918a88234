// A ZIP archive's central directory (its table of contents, at the end),
// read without unpacking anything: entry names, methods, declared sizes and
// where each entry's data lies, ZIP64 included. The upload check (api/uploads)
// and the worker's bounded inflate (activities/extraction/bounded-zip.ts)
// both read archives through it.

/** Random access to a file's bytes: a local file, a staged object or bytes in memory, read by ranges. */
export interface RangeReader {
  size: number;
  /** Up to `length` bytes from `offset`. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** One entry as the central directory declares it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; others are not read. */
  method: number;
  /** General purpose flags: bit 0 means encrypted. */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** What the end of a ZIP file says: complete with these entries, or cut short. */
export type ZipDirectory = { complete: true; entryCount: number; entries: ZipEntry[] } | { complete: false };

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ENTRY_SIGNATURE = 0x02014b50;
const ENTRY_HEADER_BYTES = 46;
/** The directory is read in windows of this size, so a huge one never sits in memory whole. */
const WINDOW_BYTES = 1024 * 1024;
const MAX_U32 = 0xffffffff;

/**
 * Reads a ZIP archive's table of contents from its end. An archive whose end
 * record is missing, or whose directory lies past the end of the file, was
 * cut short (a truncated upload or copy). Reading stops after `maxEntries`
 * entries (the count the end record declares is still returned), so a
 * directory of millions of entries costs no more than the limit.
 */
export async function readZipDirectory(reader: RangeReader, maxEntries = Infinity): Promise<ZipDirectory> {
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
  let entryCount = tail.readUInt16LE(eocd + 10);
  let directoryBytes = tail.readUInt32LE(eocd + 12);
  let directoryOffset = tail.readUInt32LE(eocd + 16);
  if (entryCount === 0xffff || directoryBytes === MAX_U32 || directoryOffset === MAX_U32) {
    // ZIP64: the real values are in the ZIP64 end record, named by the locator just before this one.
    const locatorAt = size - tailLength + eocd - ZIP64_LOCATOR_BYTES;
    if (locatorAt < 0) return { complete: false };
    const locator = await reader.read(locatorAt, ZIP64_LOCATOR_BYTES);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) return { complete: false };
    const recordAt = u64(locator, 8);
    if (recordAt + 56 > size) return { complete: false };
    const record = await reader.read(recordAt, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) return { complete: false };
    entryCount = u64(record, 32);
    directoryBytes = u64(record, 40);
    directoryOffset = u64(record, 48);
  }
  if (directoryOffset + directoryBytes > size) return { complete: false };
  const entries: ZipEntry[] = [];
  const end = directoryOffset + directoryBytes;
  let windowStart = directoryOffset;
  let window = await reader.read(windowStart, Math.min(WINDOW_BYTES, end - windowStart));
  let at = 0;
  const fits = (at: number) => at + ENTRY_HEADER_BYTES <= window.length && at + entryBytes(window, at) <= window.length;
  while (entries.length < Math.min(entryCount, maxEntries)) {
    if (!fits(at)) {
      // The next entry runs past this window: read on from its start (an entry is at most 46 + 3 × 65,535 bytes).
      windowStart += at;
      if (windowStart >= end) break;
      window = await reader.read(windowStart, Math.min(WINDOW_BYTES, end - windowStart));
      at = 0;
      if (!fits(at)) break;
    }
    if (window.readUInt32LE(at) !== ENTRY_SIGNATURE) break;
    entries.push(readEntry(window, at));
    at += entryBytes(window, at);
  }
  return { complete: true, entryCount, entries };
}

function entryBytes(window: Buffer, at: number): number {
  return (
    ENTRY_HEADER_BYTES + window.readUInt16LE(at + 28) + window.readUInt16LE(at + 30) + window.readUInt16LE(at + 32)
  );
}

function readEntry(window: Buffer, at: number): ZipEntry {
  const nameLength = window.readUInt16LE(at + 28);
  const extraLength = window.readUInt16LE(at + 30);
  const nameStart = at + ENTRY_HEADER_BYTES;
  const entry: ZipEntry = {
    name: window.toString('utf8', nameStart, nameStart + nameLength),
    method: window.readUInt16LE(at + 10),
    flags: window.readUInt16LE(at + 8),
    crc32: window.readUInt32LE(at + 16),
    compressedSize: window.readUInt32LE(at + 20),
    uncompressedSize: window.readUInt32LE(at + 24),
    localHeaderOffset: window.readUInt32LE(at + 42),
  };
  // ZIP64 extra field (id 1): 8-byte values for the fields written as 0xffffffff, in this order.
  const extra = window.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
  for (let x = 0; x + 4 <= extra.length; x += 4 + extra.readUInt16LE(x + 2)) {
    if (extra.readUInt16LE(x) !== 1) continue;
    let field = x + 4;
    const next = () => {
      const value = field + 8 <= extra.length ? u64(extra, field) : MAX_U32;
      field += 8;
      return value;
    };
    if (entry.uncompressedSize === MAX_U32) entry.uncompressedSize = next();
    if (entry.compressedSize === MAX_U32) entry.compressedSize = next();
    if (entry.localHeaderOffset === MAX_U32) entry.localHeaderOffset = next();
    break;
  }
  return entry;
}

/** A little-endian 64-bit value as a number (exact below 2^53, far beyond any file here). */
function u64(buffer: Buffer, at: number): number {
  return buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 2 ** 32;
}

/** A ZIP in memory as a RangeReader. */
export function bytesReader(bytes: Uint8Array): RangeReader {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buffer.length, read: async (offset, length) => buffer.subarray(offset, offset + length) };
}
