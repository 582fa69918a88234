import { MobiFormatError } from './errors.ts';

/**
 * PalmDOC (LZ77) decompression of one text record. Byte codes: 0x01–0x08 copy
 * that many literal bytes; 0x00 and 0x09–0x7F are themselves; 0x80–0xBF start a
 * 2-byte back reference (11-bit distance, 3-bit length + 3); 0xC0–0xFF are a
 * space followed by the byte xor 0x80. Output is bounded by `maxBytes` (a
 * record's declared size): a record that claims more is corrupt.
 */
export function decompressPalmDoc(input: Uint8Array, maxBytes: number): Uint8Array {
  const output = new Uint8Array(maxBytes);
  let out = 0;
  const need = (bytes: number) => {
    if (out + bytes > maxBytes)
      throw new MobiFormatError(`a text record decompresses to more than its declared ${maxBytes} bytes`);
  };
  for (let i = 0; i < input.length;) {
    const code = input[i++];
    if (code >= 1 && code <= 8) {
      if (i + code > input.length) throw new MobiFormatError('a text record ends inside a literal run');
      need(code);
      output.set(input.subarray(i, i + code), out);
      out += code;
      i += code;
    } else if (code < 0x80) {
      need(1);
      output[out++] = code;
    } else if (code < 0xc0) {
      if (i >= input.length) throw new MobiFormatError('a text record ends inside a back reference');
      const pair = (code << 8) | input[i++];
      const distance = (pair & 0x3fff) >> 3;
      const length = (pair & 7) + 3;
      if (distance === 0 || distance > out)
        throw new MobiFormatError('a back reference points before the record starts');
      need(length);
      // Byte by byte: the source may overlap what is being written (a repeated run).
      for (let k = 0; k < length; k++, out++) output[out] = output[out - distance];
    } else {
      need(2);
      output[out++] = 0x20;
      output[out++] = code ^ 0x80;
    }
  }
  // A copy of the bytes written: the record's whole buffer is not kept alive by a view.
  return output.slice(0, out);
}
