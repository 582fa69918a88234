// The one table of the document formats FileIntel reads. Upload validation
// (which extensions, how the bytes are sniffed, the stored MIME type), the ZIP
// check, extraction (activities/extraction/extractors.ts has one extractor per
// format name), routing (paged formats get a workflow of their own), ranges
// (by page, chapter or characters: rangeUnitOf), the OpenAPI descriptions and the CLI all read it. Adding a format
// is one entry here and one extractor there.

/** A format's name, as extraction, routing and a document's metadata call it. */
export type FormatName =
  'pdf' | 'docx' | 'epub' | 'mobi' | 'azw3' | 'html' | 'markdown' | 'text' | 'png' | 'jpeg' | 'tiff';

/** How an upload's first bytes must look for the name's extension to be believed. */
export type SniffRule =
  /** file-type must report this for the bytes. */
  | { magic: string }
  /** A ZIP archive (file-type says "zip" or this) holding `requiredEntry`; without it the bytes are `means`. */
  | { zip: string; requiredEntry: string; means: string }
  /** No magic number: the bytes must look like text (and not like a known binary format). */
  | { text: true }
  /** A Palm database whose type and creator (8 bytes at offset 60) are these, its record list within the file. */
  | { palmDatabase: string; means: string };

export interface DocumentFormat {
  name: FormatName;
  /** Accepted file name extensions, lower case, without the dot; the first names stored files. */
  extensions: readonly string[];
  /** MIME types that mean this format; the first is the one stored with an upload. */
  mimeTypes: readonly string[];
  sniff: SniffRule;
  /** Read in ranges of pages (config pdf_pages_per_range), each committed before the next: such a document gets a workflow of its own. */
  paged: boolean;
  /**
   * What a section of its text belongs to: a page, a chapter, or nothing; also
   * what its ranges count (see rangeUnitOf: characters of its text when null).
   */
  rangeUnit: 'page' | 'chapter' | null;
}

export const FORMATS: DocumentFormat[] = [
  {
    name: 'pdf',
    extensions: ['pdf'],
    mimeTypes: ['application/pdf'],
    sniff: { magic: 'pdf' },
    paged: true,
    rangeUnit: 'page',
  },
  {
    name: 'epub',
    extensions: ['epub'],
    mimeTypes: ['application/epub+zip'],
    sniff: { zip: 'epub', requiredEntry: 'META-INF/container.xml', means: 'not an EPUB book' },
    paged: false,
    rangeUnit: 'chapter',
  },
  {
    name: 'docx',
    extensions: ['docx'],
    mimeTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    sniff: { zip: 'docx', requiredEntry: 'word/document.xml', means: 'not a Word (DOCX) document' },
    paged: false,
    rangeUnit: null,
  },
  {
    name: 'text',
    extensions: ['txt'],
    mimeTypes: ['text/plain'],
    sniff: { text: true },
    paged: false,
    rangeUnit: null,
  },
  {
    name: 'markdown',
    extensions: ['md'],
    mimeTypes: ['text/markdown', 'text/x-markdown'],
    sniff: { text: true },
    paged: false,
    rangeUnit: null,
  },
  {
    name: 'html',
    extensions: ['html', 'htm'],
    mimeTypes: ['text/html', 'application/xhtml+xml'],
    sniff: { text: true },
    paged: false,
    rangeUnit: null,
  },
  {
    // MOBI 6 (and AZW, the same with Amazon's name).
    name: 'mobi',
    extensions: ['mobi', 'azw'],
    mimeTypes: ['application/x-mobipocket-ebook', 'application/vnd.amazon.ebook'],
    sniff: { palmDatabase: 'BOOKMOBI', means: 'a Kindle (Mobipocket) book' },
    paged: false,
    rangeUnit: 'chapter',
  },
  {
    // AZW3 (KF8): the same Palm database container, its text HTML files.
    name: 'azw3',
    extensions: ['azw3'],
    mimeTypes: ['application/vnd.amazon.mobi8-ebook'],
    sniff: { palmDatabase: 'BOOKMOBI', means: 'a Kindle (Mobipocket) book' },
    paged: false,
    rangeUnit: 'chapter',
  },
  // Images: one-page documents whose text is their OCR (activities/extraction/image.ts).
  {
    name: 'png',
    extensions: ['png'],
    mimeTypes: ['image/png'],
    sniff: { magic: 'png' },
    paged: false,
    rangeUnit: 'page',
  },
  {
    name: 'jpeg',
    extensions: ['jpg', 'jpeg'],
    mimeTypes: ['image/jpeg', 'image/jpg'],
    sniff: { magic: 'jpg' },
    paged: false,
    rangeUnit: 'page',
  },
  {
    name: 'tiff',
    extensions: ['tif', 'tiff'],
    mimeTypes: ['image/tiff'],
    sniff: { magic: 'tif' },
    paged: false,
    rangeUnit: 'page',
  },
];

/** Types people send that we know and refuse, with why. */
export const REFUSED_FORMATS: Readonly<Record<string, string>> = {
  kfx: 'KFX (Kindle) files are not supported; convert them to AZW3 or EPUB first',
};

/** Every accepted extension, in table order. */
export function acceptedExtensions(): string[] {
  return FORMATS.flatMap((format) => format.extensions);
}

/** "pdf, epub, docx, txt, md, html, htm": for messages and descriptions. */
export function acceptedExtensionsText(): string {
  return acceptedExtensions().join(', ');
}

/** A file name's extension, lower case, without the dot ("" when it has none). */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

/** The format a file name's extension names, if any. */
export function formatByExtension(filename: string): DocumentFormat | undefined {
  const extension = extensionOf(filename);
  return FORMATS.find((format) => format.extensions.includes(extension));
}

/** The format a MIME type (parameters ignored) names, if any. */
export function formatByMime(mimeType: string): DocumentFormat | undefined {
  const bare = mimeType.split(';')[0].trim().toLowerCase();
  return FORMATS.find((format) => format.mimeTypes.includes(bare));
}

/** A stored document's format: by the MIME type the upload recorded, else by its name; undefined when neither is known. */
export function formatOfDocument(mimeType: string, filename: string): DocumentFormat | undefined {
  return formatByMime(mimeType) ?? formatByExtension(filename);
}

/**
 * What a document's ranges count, each range committed before the next:
 * pages (config pdf_pages_per_range), chapters (epub_chapters_per_range), or,
 * for a format without either, characters of its text (text_chars_per_range).
 */
export type RangeUnit = 'page' | 'chapter' | 'character';

export function rangeUnitOf(format: DocumentFormat): RangeUnit {
  return format.rangeUnit ?? 'character';
}
