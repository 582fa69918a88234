import { MobiFormatError, MobiUnreadableError } from './errors.ts';
import { COMPRESSION, type BookHeader } from './headers.ts';
import { decompressPalmDoc } from './palmdoc.ts';
import { withoutTrailingEntries } from './trailing-entries.ts';

/** Slack over a record's declared size: writers may overshoot by a multibyte character. */
const RECORD_SLACK_BYTES = 16;

/**
 * The book's whole text (the "raw markup"), records 1 to textRecordCount after
 * `record(0)`: trailing entries cut, then decompressed. Nothing is allocated
 * ahead from what the header claims: each record decompresses to at most its
 * declared size (PalmDOC yields at most 5 bytes per stored byte, so the text
 * is bounded by the file), and the whole to at most the text length the
 * header declares, or the book is corrupt.
 */
export function readTextRecords(
  header: BookHeader,
  record: (index: number) => Uint8Array,
  recordCount: number,
): Uint8Array {
  if (header.compression === COMPRESSION.huffCdic)
    throw new MobiUnreadableError(
      'unsupported_type',
      'the book is compressed with HUFF/CDIC (Mobipocket Reader era), which this reader does not decompress; convert it to EPUB or AZW3 first',
    );
  if (header.compression !== COMPRESSION.none && header.compression !== COMPRESSION.palmDoc)
    throw new MobiFormatError(`unknown compression ${header.compression} in the PalmDOC header`);
  if (header.textRecordCount >= recordCount)
    throw new MobiFormatError(
      `the header names ${header.textRecordCount} text records but the file holds ${recordCount} records in all: truncated`,
    );
  const recordBytes = Math.max(header.textRecordSize, 4096) + RECORD_SLACK_BYTES;
  const maxLength = header.textLength + recordBytes;
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let i = 1; i <= header.textRecordCount; i++) {
    const stored = withoutTrailingEntries(record(i), header.trailingFlags);
    const plain = header.compression === COMPRESSION.palmDoc ? decompressPalmDoc(stored, recordBytes) : stored;
    if (plain.length > recordBytes)
      throw new MobiFormatError(`text record ${i} holds ${plain.length} bytes, more than its declared ${recordBytes}`);
    length += plain.length;
    if (length > maxLength)
      throw new MobiFormatError(`the text records hold more than the ${header.textLength} bytes the header declares`);
    parts.push(plain);
  }
  return Buffer.concat(parts, length);
}
