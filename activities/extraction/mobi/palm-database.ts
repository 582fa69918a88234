import { MobiFormatError } from './errors.ts';

/** The Palm database header: 78 bytes, then 8 bytes per record (offset, attributes, id). */
const HEADER_BYTES = 78;
const RECORD_ENTRY_BYTES = 8;

/**
 * A Palm database (PDB), the container of MOBI and AZW3 books: a name, a
 * type and creator ("BOOK" "MOBI" at offset 60) and a list of records, each
 * running from its offset to the next one's. Every record is checked against
 * the file's end, so a truncated file fails here with what is missing.
 */
export class PalmDatabase {
  readonly name: string;
  readonly typeAndCreator: string;
  private readonly offsets: number[];

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < HEADER_BYTES)
      throw new MobiFormatError(`the file has ${bytes.length} bytes, less than a Palm database header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.name = latin1(bytes.subarray(0, 32)).replace(/\0.*$/s, '');
    this.typeAndCreator = latin1(bytes.subarray(60, 68));
    const count = view.getUint16(76);
    const tableEnd = HEADER_BYTES + count * RECORD_ENTRY_BYTES;
    if (count === 0) throw new MobiFormatError('the Palm database has no records');
    if (tableEnd > bytes.length)
      throw new MobiFormatError(`the record list (${count} records) runs past the end of the file: truncated`);
    this.offsets = Array.from({ length: count }, (_, i) => view.getUint32(HEADER_BYTES + i * RECORD_ENTRY_BYTES));
    for (let i = 0; i < count; i++) {
      const start = this.offsets[i];
      const end = i + 1 < count ? this.offsets[i + 1] : bytes.length;
      if (start < tableEnd || end < start || start > bytes.length)
        throw new MobiFormatError(
          `record ${i} lies outside the file (offset ${start} of ${bytes.length} bytes): truncated or corrupt`,
        );
    }
  }

  get recordCount(): number {
    return this.offsets.length;
  }

  /** Record `index`'s bytes (a view, not a copy). */
  record(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.offsets.length)
      throw new MobiFormatError(
        `record ${index} is named but the file has ${this.offsets.length} records: truncated or corrupt`,
      );
    const end = index + 1 < this.offsets.length ? this.offsets[index + 1] : this.bytes.length;
    return this.bytes.subarray(this.offsets[index], end);
  }
}

export const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** A big-endian view of a record, every read checked against its end. */
export class RecordView {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    this.check(at, 2);
    return this.view.getUint16(at);
  }

  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at);
  }

  ascii(at: number, length: number): string {
    return latin1(this.slice(at, length));
  }

  slice(at: number, length: number): Uint8Array {
    this.check(at, length);
    return this.bytes.subarray(at, at + length);
  }

  private check(at: number, length: number): void {
    if (at < 0 || at + length > this.bytes.length)
      throw new MobiFormatError(`${this.what} is cut short (needs bytes ${at}–${at + length} of ${this.bytes.length})`);
  }
}
