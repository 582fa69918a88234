/**
 * Cuts the extra data a MOBI writer appends to each text record (MOBI header
 * "extra data flags"): one entry per flag bit above bit 0, each ending in its
 * own size as a backward variable-length integer, then (bit 0) the bytes of a
 * multibyte character that continues into the next record, whose count is in
 * the low 2 bits of the last byte.
 */
export function withoutTrailingEntries(record: Uint8Array, flags: number): Uint8Array {
  let end = record.length;
  for (let bits = flags >> 1; bits > 0; bits >>= 1) {
    if (bits & 1) end -= Math.min(end, backwardVarLength(record.subarray(0, end)));
  }
  if (flags & 1 && end > 0) end -= Math.min(end, (record[end - 1] & 0b11) + 1);
  return record.subarray(0, end);
}

/** The size stored at the end of a trailing entry: 7 bits a byte, the first byte (from the left) has its top bit set. */
function backwardVarLength(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes.subarray(Math.max(0, bytes.length - 4))) {
    if (byte & 0x80) value = 0;
    value = (value << 7) | (byte & 0x7f);
  }
  return value;
}
