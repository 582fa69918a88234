import { MobiFormatError } from './errors.ts';
import { RecordView } from './palm-database.ts';

/** One entry of a MOBI index: its name and its tag values. */
export interface IndexEntry {
  name: string;
  tags: Map<number, number[]>;
}

/** A tag of the TAGX table: which tag, values per occurrence, its bits in the control byte, end-of-control-byte marker. */
interface TagDefinition {
  tag: number;
  valuesPerEntry: number;
  mask: number;
  endOfControlByte: boolean;
}

/**
 * Reads a MOBI index (INDX): a header record with the TAGX table that says
 * how entries encode their tags, then `count` records of entries (each found
 * through the record's IDXT offset table). KF8 keeps its skeleton and
 * fragment tables this way. `record(i)` gives the book's record i (relative
 * to the header whose index named this one). Names are ASCII numbers or ids;
 * CNCX strings are not needed for text.
 */
export function readIndex(record: (index: number) => Uint8Array, first: number): IndexEntry[] {
  const header = new RecordView(record(first), `index record ${first}`);
  if (header.ascii(0, 4) !== 'INDX') throw new MobiFormatError(`record ${first} is not an index (INDX)`);
  const headerLength = header.u32(4);
  const dataRecords = header.u32(24);
  const tagx = readTagx(header, headerLength);
  const entries: IndexEntry[] = [];
  for (let i = 1; i <= dataRecords; i++) {
    const data = new RecordView(record(first + i), `index record ${first + i}`);
    if (data.ascii(0, 4) !== 'INDX') throw new MobiFormatError(`record ${first + i} is not an index (INDX)`);
    const idxt = data.u32(20);
    const count = data.u32(24);
    if (data.ascii(idxt, 4) !== 'IDXT') throw new MobiFormatError(`index record ${first + i} has no IDXT table`);
    for (let j = 0; j < count; j++) entries.push(readEntry(data, data.u16(idxt + 4 + 2 * j), tagx));
  }
  return entries;
}

function readTagx(header: RecordView, at: number): { controlBytes: number; tags: TagDefinition[] } {
  if (header.ascii(at, 4) !== 'TAGX') throw new MobiFormatError('the index header has no TAGX table');
  const length = header.u32(at + 4);
  const controlBytes = header.u32(at + 8);
  const tags: TagDefinition[] = [];
  for (let offset = at + 12; offset + 4 <= at + length; offset += 4) {
    tags.push({
      tag: header.u8(offset),
      valuesPerEntry: header.u8(offset + 1),
      mask: header.u8(offset + 2),
      endOfControlByte: (header.u8(offset + 3) & 1) === 1,
    });
  }
  return { controlBytes, tags };
}

/**
 * One entry: a name (length byte, then ASCII), control bytes, then the tags'
 * values as forward variable-length integers. A tag's bits in its control
 * byte give how many times its values occur, or (all bits set, mask of
 * several bits) that a length in bytes of its values follows.
 */
function readEntry(data: RecordView, at: number, tagx: { controlBytes: number; tags: TagDefinition[] }): IndexEntry {
  const nameLength = data.u8(at);
  const name = data.ascii(at + 1, nameLength);
  const controlAt = at + 1 + nameLength;
  let position = controlAt + tagx.controlBytes;
  let controlIndex = 0;
  const occurrences: { tag: number; count: number; byteLength: number; valuesPerEntry: number }[] = [];
  for (const definition of tagx.tags) {
    if (definition.endOfControlByte) {
      controlIndex++;
      continue;
    }
    const bits = data.u8(controlAt + controlIndex) & definition.mask;
    if (bits === 0) continue;
    if (bits === definition.mask && bitCount(definition.mask) > 1) {
      const { value, length } = forwardVarLength(data, position);
      position += length;
      occurrences.push({ tag: definition.tag, count: 0, byteLength: value, valuesPerEntry: definition.valuesPerEntry });
    } else {
      occurrences.push({
        tag: definition.tag,
        count: bits >> trailingZeros(definition.mask),
        byteLength: 0,
        valuesPerEntry: definition.valuesPerEntry,
      });
    }
  }
  const tags = new Map<number, number[]>();
  for (const occurrence of occurrences) {
    const values: number[] = [];
    if (occurrence.count > 0) {
      for (let k = 0; k < occurrence.count * occurrence.valuesPerEntry; k++) {
        const { value, length } = forwardVarLength(data, position);
        values.push(value);
        position += length;
      }
    } else {
      for (let consumed = 0; consumed < occurrence.byteLength;) {
        const { value, length } = forwardVarLength(data, position);
        values.push(value);
        position += length;
        consumed += length;
      }
    }
    tags.set(occurrence.tag, values);
  }
  return { name, tags };
}

/** 7 bits a byte, most significant first; the last byte has its top bit set. */
function forwardVarLength(data: RecordView, at: number): { value: number; length: number } {
  let value = 0;
  for (let length = 1; length <= 4; length++) {
    const byte = data.u8(at + length - 1);
    value = (value << 7) | (byte & 0x7f);
    if (byte & 0x80) return { value: value >>> 0, length };
  }
  throw new MobiFormatError('an index value is longer than 4 bytes');
}

const bitCount = (x: number) => x.toString(2).replace(/0/g, '').length;
const trailingZeros = (x: number) => {
  let count = 0;
  while (x > 0 && (x & 1) === 0) {
    x >>= 1;
    count++;
  }
  return count;
};
