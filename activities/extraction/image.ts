import type { FormatName } from '../../common/formats.ts';
import { UnreadableImageError } from './ocr/errors.ts';
import { imageSize } from './ocr/image-size.ts';
import type { OnPage, OnRecognising } from './pdf.ts';
import { UnreadableDocumentError, type ExtractedDocument, type OcrOptions } from './types.ts';

export type ImageFormat = Extract<FormatName, 'png' | 'jpeg' | 'tiff'>;

/**
 * Pixels an image may have (about A3 at 600 dots per inch): Tesseract holds
 * the decoded image several times over, so a small file that declares a huge
 * size would take the worker's memory.
 */
export const MAX_IMAGE_PIXELS = 80_000_000;

/** A PNG, JPEG or TIFF image is a one-page document whose text is its OCR (a TIFF's first page). */
export async function extractImage(
  bytes: Uint8Array,
  format: ImageFormat,
  ocr: OcrOptions | undefined,
  onPage?: OnPage,
  onRecognising?: OnRecognising,
): Promise<ExtractedDocument> {
  const name = format.toUpperCase();
  const size = imageSize(bytes);
  if (!size || size.width === 0 || size.height === 0) {
    throw new UnreadableDocumentError('corrupt_file', `the ${name} image cannot be read: its header has no image size`);
  }
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new UnreadableDocumentError(
      'too_large',
      `the ${name} image is ${size.width} × ${size.height} pixels; at most ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels are read`,
    );
  }
  if (!ocr?.enabled) {
    throw new UnreadableDocumentError('no_text', `the text of an image needs OCR, which is off (ocr_enabled: false)`);
  }
  let recognised;
  try {
    const { recognise } = await import('./ocr/engine.ts');
    recognised = await recognise(bytes, ocr.languages, (share) => onRecognising?.(share, 1));
  } catch (error) {
    if (error instanceof UnreadableImageError) {
      throw new UnreadableDocumentError('corrupt_file', `the ${name} image cannot be read: ${error.message}`);
    }
    throw error;
  }
  onPage?.({ ocr: true });
  return {
    format,
    sections: [{ text: recognised.text, page: 1, source: 'ocr', ocrConfidence: recognised.confidence }],
    pageCount: 1,
    pageUnit: 'page',
    properties: {},
  };
}
