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

export const ALLOWED_TYPES: readonly AllowedType[] = [
  { extension: 'pdf', mime: 'application/pdf', sniffedAs: 'pdf' },
  { extension: 'epub', mime: 'application/epub+zip', sniffedAs: 'epub' },
  { extension: 'docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', sniffedAs: 'docx' },
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
