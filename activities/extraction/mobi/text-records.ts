import { MobiFormatError, MobiUnreadableError } from './errors.ts';
import { COMPRESSION, type BookHeader } from './headers.ts';
import { decompressPalmDoc } from './palmdoc.ts';
import { withoutTrailingEntries } from './trailing-entries.ts';

/** Slack over a record's declared size: writers may overshoot by a multibyte character. */
const RECORD_SLACK_BYTES = 16;

/**
 * The book's whole text (the "raw markup"), records 1 to textRecordCount after
 * `record(0)`: trailing entries cut, then decompressed. The output is bounded
 * by the header's record count and size, so a hostile record cannot inflate
 * beyond what the header declares.
 */
export function readTextRecords(header: BookHeader, record: (index: number) => Uint8Array): Uint8Array {
  if (header.compression === COMPRESSION.huffCdic)
    throw new MobiUnreadableError(
      'unsupported_type',
      'the book is compressed with HUFF/CDIC (Mobipocket Reader era), which this reader does not decompress; convert it to EPUB or AZW3 first',
    );
  if (header.compression !== COMPRESSION.none && header.compression !== COMPRESSION.palmDoc)
    throw new MobiFormatError(`unknown compression ${header.compression} in the PalmDOC header`);
  const recordBytes = Math.max(header.textRecordSize, 4096) + RECORD_SLACK_BYTES;
  const text = new Uint8Array(header.textRecordCount * recordBytes);
  let length = 0;
  for (let i = 1; i <= header.textRecordCount; i++) {
    const stored = withoutTrailingEntries(record(i), header.trailingFlags);
    const plain = header.compression === COMPRESSION.palmDoc ? decompressPalmDoc(stored, recordBytes) : stored;
    if (plain.length > recordBytes)
      throw new MobiFormatError(`text record ${i} holds ${plain.length} bytes, more than its declared ${recordBytes}`);
    text.set(plain, length);
    length += plain.length;
  }
  return text.subarray(0, length);
}
