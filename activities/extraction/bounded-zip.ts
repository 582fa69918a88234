import { crc32, inflateRawSync } from 'node:zlib';
import { archiveLimitBreach, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../../common/archive-limits.ts';
import { bytesReader, readZipDirectory, type ZipEntry } from '../../common/zip-directory.ts';
import { UnreadableDocumentError } from './types.ts';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;

/** The archive's bytes do not make a readable ZIP (the caller says which document it is). */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

/** One entry, read as JSZip's `file(name).async(type)` is. */
export interface BoundedZipFile {
  name: string;
  async(type: 'string'): Promise<string>;
  async(type: 'uint8array'): Promise<Uint8Array>;
}

/**
 * A ZIP archive (DOCX, EPUB) opened so that it can never inflate more than the
 * limits allow, whatever its headers say. Opening reads the central directory
 * and refuses, as too_large with the sizes, an archive that declares more than
 * the limits (entries, total size, ratio). Reading an entry inflates it with
 * zlib's output capped at the size its header declared: an entry that would
 * inflate past it (a header that lies) stops there and fails as too_large, so
 * memory never holds more than the declared sizes, which the limits bound
 * (an entry is inflated when read and not kept).
 * The reads mimic JSZip's (`file(name)?.async('string')`) and mammoth's zip
 * interface (`forMammoth()`), so both read through it.
 */
export class BoundedZip {
  private constructor(
    private readonly bytes: Buffer,
    private readonly entries: Map<string, ZipEntry>,
  ) {}

  /** Throws ZipFormatError for bytes that are not a whole ZIP, UnreadableDocumentError (too_large) for one over the limits. */
  static async open(bytes: Uint8Array, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<BoundedZip> {
    const directory = await readZipDirectory(bytesReader(bytes), limits.maxEntries + 1);
    if (!directory.complete)
      throw new ZipFormatError('the end of the archive (its table of contents) is missing: cut short or not a ZIP');
    const breach = archiveLimitBreach(directory.entryCount, directory.entries, limits);
    if (breach) throw new UnreadableDocumentError('too_large', `${breach.message}; nothing was unpacked`);
    const entries = new Map(directory.entries.map((entry) => [entry.name, entry]));
    return new BoundedZip(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), entries);
  }

  file(name: string): BoundedZipFile | null {
    const entry = this.entries.get(name);
    if (!entry || name.endsWith('/')) return null;
    const read = async (type: 'string' | 'uint8array') => {
      const data = this.inflate(entry);
      return type === 'string' ? data.toString('utf8') : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    };
    return { name, async: read } as BoundedZipFile;
  }

  /**
   * The zip-file interface mammoth reads a DOCX through, backed by this
   * bounded archive: mammoth's `file` option (lib/unzip.js of the pinned
   * 1.13.0, not in its typings) takes an object with `exists` and `read`.
   */
  forMammoth() {
    return {
      exists: (name: string) => this.file(name) !== null,
      read: async (name: string, encoding?: string) => {
        const file = this.file(name);
        if (!file) throw new ZipFormatError(`the archive has no ${name}`);
        const data = await file.async('uint8array');
        if (encoding === 'base64') return Buffer.from(data).toString('base64');
        return encoding ? new TextDecoder(encoding).decode(data) : data;
      },
    };
  }

  private inflate(entry: ZipEntry): Buffer {
    if (entry.flags & 1) throw new UnreadableDocumentError('encrypted', `${entry.name} is encrypted in the archive`);
    const local = entry.localHeaderOffset;
    if (local + LOCAL_HEADER_BYTES > this.bytes.length || this.bytes.readUInt32LE(local) !== LOCAL_HEADER_SIGNATURE)
      throw new ZipFormatError(`the data of ${entry.name} is missing (cut short or corrupt)`);
    const start =
      local + LOCAL_HEADER_BYTES + this.bytes.readUInt16LE(local + 26) + this.bytes.readUInt16LE(local + 28);
    const compressed = this.bytes.subarray(start, start + entry.compressedSize);
    if (compressed.length < entry.compressedSize)
      throw new ZipFormatError(`the data of ${entry.name} runs past the end of the archive (cut short)`);
    let data: Buffer;
    if (entry.method === 0) data = compressed;
    else if (entry.method === 8) data = inflateCapped(entry, compressed);
    else throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}, which is not read`);
    if (data.length !== entry.uncompressedSize || crc32(data) !== entry.crc32)
      throw new ZipFormatError(`${entry.name} does not match its declared size and checksum (corrupt)`);
    return data;
  }
}

/**
 * Inflates an entry to at most the size its header declares (the sizes
 * opening judged against the limits, so the whole archive stays within
 * max_archive_uncompressed_mb): zlib stops as soon as its output would pass
 * that, so nothing beyond is ever allocated, whatever the data would become.
 */
function inflateCapped(entry: ZipEntry, compressed: Buffer): Buffer {
  const cap = entry.uncompressedSize;
  try {
    const data = inflateRawSync(compressed, { maxOutputLength: cap + 1 });
    if (data.length <= cap) return data;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE')
      throw new ZipFormatError(`${entry.name} cannot be inflated: ${(error as Error).message}`);
  }
  throw new UnreadableDocumentError(
    'too_large',
    `${entry.name} inflates to more than the ${cap} bytes its header declares (stopped at ${cap + 1} bytes, within max_archive_uncompressed_mb): the archive's sizes are false`,
  );
}
