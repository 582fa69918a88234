// pdf.js needs data files it does not bundle: CMaps, to decode CJK fonts that
// name a predefined encoding (UniGB-UCS2-H …); the standard 14 fonts' glyphs,
// to draw text in a font the PDF does not embed; and its WebAssembly decoders
// (JBIG2 and JPEG 2000 images, common in scans; ICC colours). Without them such
// text is missing from the page's text and from its rendering for OCR
// ("Ensure that the `cMapUrl` API parameter is provided"). They come from the
// pdfjs-dist package of the same pdf.js version unpdf bundles, read from disk:
// pdf.js's own loader in unpdf's build would fetch them.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const PDFJS_DIST = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const FOLDERS = { cMapUrl: 'cmaps', standardFontDataUrl: 'standard_fonts', wasmUrl: 'wasm' } as const;

/** pdf.js's BinaryDataFactory interface: the bytes of a data file, by kind and name. */
class LocalPdfDataFiles {
  async fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
    const folder = FOLDERS[kind as keyof typeof FOLDERS];
    if (!folder) throw new Error(`pdf.js asked for ${kind} data, which is not installed`);
    // basename: a name from inside a PDF never leaves the folder.
    return new Uint8Array(await readFile(path.join(PDFJS_DIST, folder, path.basename(filename))));
  }
}

/** getDocument parameters that make pdf.js read its data files through LocalPdfDataFiles. */
export const PDF_DATA_FILES = {
  // Any non-empty values: pdf.js only checks they are set, then asks the factory by file name.
  cMapUrl: `${FOLDERS.cMapUrl}/`,
  cMapPacked: true,
  standardFontDataUrl: `${FOLDERS.standardFontDataUrl}/`,
  wasmUrl: `${FOLDERS.wasmUrl}/`,
  BinaryDataFactory: LocalPdfDataFiles,
};
