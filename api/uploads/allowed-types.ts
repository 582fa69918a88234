/**
 * The document types an upload may hold, keyed by file extension. `sniffedAs`
 * is what file-type must report for the bytes; `text` types have no magic
 * number, so their bytes must look like text instead. mobi is left out: no
 * maintained JavaScript parser exists to process it afterwards.
 */
export interface AllowedType {
  extension: string;
  mime: string;
  sniffedAs?: string;
  text?: boolean;
}

const ALLOWED_TYPES: readonly AllowedType[] = [
  { extension: 'pdf', mime: 'application/pdf', sniffedAs: 'pdf' },
  { extension: 'epub', mime: 'application/epub+zip', sniffedAs: 'epub' },
  {
    extension: 'docx',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    sniffedAs: 'docx',
  },
  { extension: 'txt', mime: 'text/plain', text: true },
  { extension: 'md', mime: 'text/markdown', text: true },
  { extension: 'html', mime: 'text/html', text: true },
  { extension: 'htm', mime: 'text/html', text: true },
];

export const ALLOWED_EXTENSIONS = ALLOWED_TYPES.map((type) => type.extension);

/** The allowed type for a file name's extension (case-insensitive), if any. */
export function allowedTypeFor(filename: string): AllowedType | undefined {
  const dot = filename.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const extension = filename.slice(dot + 1).toLowerCase();
  return ALLOWED_TYPES.find((type) => type.extension === extension);
}

/** Types people send that we know and refuse, with why (the original FileIntel listed mobi). */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  mobi: 'MOBI (Kindle) files are not supported: no maintained JavaScript MOBI parser exists to extract their text; convert them to EPUB first',
  azw: 'AZW (Kindle) files are not supported; convert them to EPUB first',
  azw3: 'AZW3 (Kindle) files are not supported; convert them to EPUB first',
};

/** Why a file name's type is refused, naming the types that are accepted. */
export function unsupportedTypeMessage(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const extension = dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
  const accepted = `accepted types: ${ALLOWED_EXTENSIONS.map((e) => '.' + e).join(', ')}`;
  const known = KNOWN_UNSUPPORTED[extension];
  return known
    ? `${known}; ${accepted}`
    : `only ${ALLOWED_EXTENSIONS.map((e) => '.' + e).join(', ')} files are accepted`;
}
