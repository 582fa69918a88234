import { MobiFormatError, MobiUnreadableError } from './errors.ts';
import { readBookHeader, type BookHeader } from './headers.ts';
import { kf8Chapters } from './kf8.ts';
import { mobi6Chapters } from './mobi6.ts';
import { PalmDatabase } from './palm-database.ts';
import { readTextRecords } from './text-records.ts';

/** A MOBI or AZW3 book as HTML chapters, with what its headers say about it. */
export interface MobiBook {
  /** `kf8` for AZW3 and the KF8 part of a joint file, `mobi6` for the old format. */
  kind: 'mobi6' | 'kf8';
  title?: string;
  authors: string[];
  language?: string;
  chapters: string[];
}

/**
 * Reads a Palm database holding a Mobipocket book: MOBI 6, KF8 (AZW3), or a
 * joint file (MOBI 6 then KF8 after the EXTH 121 boundary; KF8 is read, it
 * keeps the files apart). Throws MobiFormatError for broken bytes and
 * MobiUnreadableError for DRM or a compression it does not read.
 */
export function readMobiBook(bytes: Uint8Array): MobiBook {
  const pdb = new PalmDatabase(bytes);
  if (pdb.typeAndCreator !== 'BOOKMOBI')
    throw new MobiFormatError(`not a Mobipocket book (Palm database type "${pdb.typeAndCreator}", not "BOOKMOBI")`);
  const first = readBookHeader(pdb.record(0));
  refuseDrm(first);
  const boundary = first.exth.kf8Boundary;
  const kf8Start = first.version >= 8 ? 0 : boundary !== undefined && boundary < pdb.recordCount ? boundary : undefined;
  const start = kf8Start ?? 0;
  const header = start === 0 ? first : readBookHeader(pdb.record(start));
  refuseDrm(header);
  const record = (index: number) => pdb.record(start + index);
  const raw = readTextRecords(header, record, pdb.recordCount - start);
  const decoder = new TextDecoder(header.encoding);
  const chapters =
    kf8Start === undefined
      ? mobi6Chapters(decoder.decode(raw))
      : kf8Chapters(header, record, raw).map((chapter) => decoder.decode(chapter));
  return {
    kind: kf8Start === undefined ? 'mobi6' : 'kf8',
    title: first.exth.title || header.exth.title || first.fullName || pdb.name || undefined,
    authors: first.exth.authors.length > 0 ? first.exth.authors : header.exth.authors,
    language: first.exth.language ?? header.exth.language,
    chapters,
  };
}

/** The PalmDOC header's encryption field: 1 (old Mobipocket) and 2 (Mobipocket, Kindle) are DRM. */
function refuseDrm(header: BookHeader): void {
  if (header.encryption !== 0)
    throw new MobiUnreadableError(
      'encrypted',
      `the book is DRM-protected (Mobipocket encryption type ${header.encryption}); only DRM-free MOBI and AZW3 files can be read`,
    );
}
