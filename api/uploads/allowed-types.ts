import {
  acceptedExtensions,
  extensionOf,
  formatByExtension,
  REFUSED_FORMATS,
  type DocumentFormat,
} from '../../common/formats.ts';

/** What an upload's file name allows: its format (common/formats.ts), the extension it matched and the MIME type stored. */
export interface AllowedType {
  extension: string;
  mime: string;
  format: DocumentFormat;
}

/** The allowed type for a file name's extension (case-insensitive), if any. */
export function allowedTypeFor(filename: string): AllowedType | undefined {
  const format = formatByExtension(filename);
  return format && { extension: extensionOf(filename), mime: format.mimeTypes[0], format };
}

/** Why a file name's type is refused, naming the types that are accepted. */
export function unsupportedTypeMessage(filename: string): string {
  const listed = acceptedExtensions()
    .map((extension) => '.' + extension)
    .join(', ');
  const known = REFUSED_FORMATS[extensionOf(filename)];
  return known ? `${known}; accepted types: ${listed}` : `only ${listed} files are accepted`;
}
