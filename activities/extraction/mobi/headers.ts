import { MobiFormatError } from './errors.ts';
import { RecordView } from './palm-database.ts';

/** How a book's text records are compressed (PalmDOC header, offset 0). */
export const COMPRESSION = { none: 1, palmDoc: 2, huffCdic: 17480 } as const;

/** What record 0 of a MOBI book (or of its KF8 part) says about the book. */
export interface BookHeader {
  compression: number;
  /** Bytes of text once decompressed. */
  textLength: number;
  textRecordCount: number;
  /** Bytes a text record decompresses to at most (4096 in practice). */
  textRecordSize: number;
  /** 0 none; 1 and 2 are Mobipocket DRM. */
  encryption: number;
  /** 8 for KF8 (AZW3), 6 and below for MOBI 6. */
  version: number;
  /** A TextDecoder label: utf-8 (65001) or windows-1252 (1252). */
  encoding: 'utf-8' | 'windows-1252';
  fullName: string;
  /** Extra bytes after each text record (multibyte overlap, indexing data) to cut before decompressing. */
  trailingFlags: number;
  /** KF8 only: records of the flow table, the skeleton and fragment indexes (relative to this header's record 0). */
  fdst: number;
  skeletonIndex: number;
  fragmentIndex: number;
  exth: ExthRecords;
}

/** The EXTH records the reader uses: title (503), authors (100), language (524), KF8 boundary (121). */
export interface ExthRecords {
  title?: string;
  authors: string[];
  language?: string;
  /** Record index where a joint MOBI 6 + KF8 file's KF8 part starts. */
  kf8Boundary?: number;
}

const NONE = 0xffffffff;

/** Reads record 0: PalmDOC header (16 bytes), MOBI header, EXTH header. */
export function readBookHeader(record0: Uint8Array): BookHeader {
  const view = new RecordView(record0, 'the MOBI header record');
  if (view.length < 16 + 8 || view.ascii(16, 4) !== 'MOBI')
    throw new MobiFormatError('record 0 has no MOBI header (magic "MOBI" missing)');
  const headerLength = view.u32(20);
  const encodingCode = view.u32(28);
  const encoding = encodingCode === 65001 ? 'utf-8' : 'windows-1252';
  if (encodingCode !== 65001 && encodingCode !== 1252)
    throw new MobiFormatError(`unknown text encoding ${encodingCode} in the MOBI header`);
  const has = (offset: number) => offset + 4 <= 16 + headerLength && offset + 4 <= view.length;
  const optional = (offset: number) => (has(offset) ? view.u32(offset) : NONE);
  const decoder = new TextDecoder(encoding);
  const titleOffset = optional(84);
  const titleLength = optional(88);
  const fullName =
    titleOffset !== NONE && titleLength !== NONE && titleOffset + titleLength <= view.length
      ? decoder.decode(view.slice(titleOffset, titleLength))
      : '';
  const exthFlags = optional(128);
  const exth = exthFlags !== NONE && exthFlags & 0x40 ? readExth(view, 16 + headerLength, decoder) : { authors: [] };
  return {
    compression: view.u16(0),
    textLength: view.u32(4),
    textRecordCount: view.u16(8),
    textRecordSize: view.u16(10),
    encryption: view.u16(12),
    version: view.u32(36),
    encoding,
    fullName,
    trailingFlags: 16 + headerLength >= 244 && view.length >= 244 ? view.u16(242) : 0,
    fdst: optional(192),
    skeletonIndex: optional(252),
    fragmentIndex: optional(248),
    exth,
  };
}

/** EXTH: "EXTH", its length, a record count, then records of type, length (with their 8-byte head), data. */
function readExth(view: RecordView, at: number, decoder: { decode(bytes: Uint8Array): string }): ExthRecords {
  const records: ExthRecords = { authors: [] };
  if (view.ascii(at, 4) !== 'EXTH') throw new MobiFormatError('the EXTH header named by the MOBI header is missing');
  const count = view.u32(at + 8);
  let offset = at + 12;
  for (let i = 0; i < count; i++) {
    const type = view.u32(offset);
    const length = view.u32(offset + 4);
    if (length < 8) throw new MobiFormatError(`EXTH record ${i} has a length of ${length} bytes`);
    const data = view.slice(offset + 8, length - 8);
    const text = () => decoder.decode(data).trim();
    if (type === 100 && text()) records.authors.push(text());
    else if (type === 503) records.title = text();
    else if (type === 524) records.language = text();
    else if (type === 121 && data.length === 4) records.kf8Boundary = new RecordView(data, 'EXTH 121').u32(0);
    offset += length;
  }
  return records;
}

export const isPresent = (recordIndex: number) => recordIndex !== NONE;
