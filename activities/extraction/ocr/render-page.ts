import '../array-buffer-transfer.ts';
import { renderPageAsImage } from 'unpdf';

type PdfDocument = Parameters<typeof renderPageAsImage>[0] & { getPage(number: number): Promise<PdfPageSize> };
interface PdfPageSize {
  getViewport(options: { scale: number }): { width: number; height: number };
}

/** Pages are rendered as a scanner would for OCR: 300 dots per inch (a PDF unit is 1/72 inch). */
export const OCR_DPI = 300;
/** A page's longer side in pixels at most (a poster-sized page would otherwise need gigabytes). */
export const MAX_RENDER_SIDE_PX = 5_000;

/** One page of an open PDF as a PNG image (pdf.js drawing onto @napi-rs/canvas). */
export async function renderPageForOcr(pdf: PdfDocument, pageNumber: number): Promise<Uint8Array> {
  const page = await pdf.getPage(pageNumber);
  const { width, height } = page.getViewport({ scale: 1 });
  const scale = Math.min(OCR_DPI / 72, MAX_RENDER_SIDE_PX / Math.max(width, height, 1));
  const png = await renderPageAsImage(pdf, pageNumber, {
    canvasImport: () => import('@napi-rs/canvas'),
    scale,
  });
  return new Uint8Array(png);
}
