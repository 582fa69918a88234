import type { TextSection, TextSource } from '../types.ts';

/** A page whose text is OCR's, with Tesseract's confidence for it. */
export interface OcrPage {
  page: number;
  confidence: number;
}

/** What a chunk's metadata says about how its text was obtained. */
export interface ChunkTextSource {
  text_source: TextSource;
  /** With `ocr`: the mean confidence (0 to 100) of the OCR'd pages the chunk covers. */
  ocr_confidence?: number;
}

/** The pages of the sections whose text came from OCR. */
export function ocrPagesOf(sections: readonly TextSection[]): OcrPage[] {
  return sections.flatMap((section) =>
    section.source === 'ocr' && section.page !== null
      ? [{ page: section.page, confidence: section.ocrConfidence ?? 0 }]
      : [],
  );
}

/**
 * A chunk's text source from the pages it covers: `ocr` when any of them was
 * OCR'd (a chunk across a read page and an OCR'd one is as trustworthy as its
 * OCR), else `text_layer` (also every chunk of a format without pages).
 */
export function textSourceOf(
  chunk: { pageStart: number | null; pageEnd: number | null },
  ocrPages: readonly OcrPage[],
): ChunkTextSource {
  if (chunk.pageStart === null || ocrPages.length === 0) return { text_source: 'text_layer' };
  const last = chunk.pageEnd ?? chunk.pageStart;
  const covered = ocrPages.filter((page) => page.page >= chunk.pageStart! && page.page <= last);
  if (covered.length === 0) return { text_source: 'text_layer' };
  const mean = covered.reduce((sum, page) => sum + page.confidence, 0) / covered.length;
  return { text_source: 'ocr', ocr_confidence: Math.round(mean * 10) / 10 };
}
