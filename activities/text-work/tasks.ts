// The tasks of the text worker threads (see pool.ts). Each receives a
// MessagePort `progress`: it first says it started, then reports as it goes,
// so the activity heartbeats with real progress. Results cross the thread
// boundary by structured clone: plain data only, and unreadable files come
// back as a value (an Error subclass would lose its reason on the way).
import type { ArchiveLimits } from '../../common/archive-limits.ts';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MessagePort } from 'node:worker_threads';
import { chunkSections, type Chunk, type ChunkingLimits } from '../chunking/chunker.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import {
  extractDocument,
  UnreadableDocumentError,
  type CleanedDocument,
  type OcrOptions,
  type PageRange,
  type UnreadableReason,
} from '../extraction/index.ts';
import { ocrPagesOf, type OcrPage } from '../extraction/ocr/text-source.ts';
import { entitiesOfEach, type Entity } from '../graph/entities.ts';
import { countWords, TextAnalyzer, type TextAnalysisPartial } from '../metadata/text-analysis.ts';

interface WithProgress {
  progress: MessagePort;
}

/** One range of a document, extracted and chunked; ordinals start at 0 within the range. */
export type RangeOutcome =
  | {
      ok: true;
      format: CleanedDocument['format'];
      encoding?: string;
      pageCount: number | null;
      /** The document's length in its range unit (pages, chapters, characters); null when read whole. */
      extent: number | null;
      pageUnit: CleanedDocument['pageUnit'];
      properties: CleanedDocument['properties'];
      chunks: Chunk[];
      wordCount: number;
      charCount: number;
      removedCharacters: number;
      analysis: TextAnalysisPartial;
      /** The range's pages whose text is OCR's (each chunk's metadata says so). */
      ocrPages: OcrPage[];
    }
  | { ok: false; reason: UnreadableReason; message: string };

/**
 * V8 lets a busy thread's heap grow long before it collects: a 2,000-page PDF
 * read range by range peaked 50 % higher than a 100-page one, all of it
 * garbage. So a task's end collects when the heap in use has passed this
 * floor, or half again what the last collection kept (so a thread whose live
 * data is larger, e.g. with the entity tagger loaded, does not collect after
 * every task).
 */
const COLLECT_FLOOR_BYTES = 80 * 2 ** 20;
let collectAbove = COLLECT_FLOOR_BYTES;
// Worker threads refuse --expose-gc in execArgv; the flag set at run time exposes gc() to a new context.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function releaseMemory(): void {
  if (getHeapStatistics().used_heap_size <= collectAbove) return;
  collectGarbage();
  collectAbove = Math.max(COLLECT_FLOOR_BYTES, 1.5 * getHeapStatistics().used_heap_size);
}

/** Pages between progress reports while a PDF range is read. */
const PAGES_PER_REPORT = 10;
/** While a page is OCR'd, at most one report per this many ms (tesseract.js tells of every few percent). */
const RECOGNISING_REPORT_MS = 2_000;
/** Chunks between progress reports while tagging or embedding. */
const ITEMS_PER_REPORT = 25;

export async function extractRange(
  input: WithProgress & {
    file: string;
    mimeType: string;
    filename: string;
    /** The range to read in the format's range unit (pages, chapters or characters); null: the whole document. */
    pages: PageRange | null;
    limits: ChunkingLimits & { archive?: ArchiveLimits };
    /** Off when absent. */
    ocr?: OcrOptions;
    /** HTML bigger than this is streamed rather than parsed into a DOM (config html_dom_max_mb). */
    htmlDomMaxBytes?: number;
    /** This attempt's directory for the rendered text of a document read in ranges of characters (rendered-cache.ts). */
    renderedCacheDir?: string;
  },
): Promise<RangeOutcome> {
  const { progress } = input;
  progress.postMessage({ started: true });
  try {
    let pagesRead = 0;
    let pagesOcr = 0;
    let lastRecognisingReport = 0;
    const extracted = await extractDocument(input.file, input.mimeType, input.filename, {
      range: input.pages ?? undefined,
      htmlDomMaxBytes: input.htmlDomMaxBytes,
      renderedCacheDir: input.renderedCacheDir,
      ocr: input.ocr,
      archive: input.limits.archive,
      onRecognising: (share, page) => {
        if (Date.now() - lastRecognisingReport < RECOGNISING_REPORT_MS) return;
        lastRecognisingReport = Date.now();
        progress.postMessage({ phase: 'recognising', page, recognised: Math.round(share * 100) / 100 });
      },
      onPage: (page) => {
        pagesRead++;
        // An OCR'd page takes seconds: each one is reported.
        if (page?.ocr) pagesOcr++;
        if (page?.ocr || pagesRead % PAGES_PER_REPORT === 0) {
          progress.postMessage({ phase: 'extracting', pages_read: pagesRead, pages_ocr: pagesOcr });
        }
      },
    });
    progress.postMessage({ phase: 'chunking', pages_read: pagesRead });
    const chunks = chunkSections(extracted.sections, input.limits);
    progress.postMessage({ phase: 'analysing', chunks: chunks.length });
    const analyzer = new TextAnalyzer();
    let wordCount = 0;
    let charCount = 0;
    for (const section of extracted.sections) {
      analyzer.add(section.text);
      wordCount += countWords(section.text);
      charCount += section.text.length;
    }
    return {
      ok: true,
      format: extracted.format,
      encoding: extracted.encoding,
      pageCount: extracted.pageCount,
      extent: extracted.extent ?? null,
      pageUnit: extracted.pageUnit,
      properties: extracted.properties,
      chunks,
      wordCount,
      charCount,
      removedCharacters: extracted.removedCharacters,
      analysis: analyzer.toPartial(),
      ocrPages: ocrPagesOf(extracted.sections),
    };
  } catch (error) {
    if (error instanceof UnreadableDocumentError) return { ok: false, reason: error.reason, message: error.message };
    throw error;
  } finally {
    setImmediate(releaseMemory);
  }
}

/** Lexical vectors of the hashing provider, one per text. */
export function embedTexts(input: WithProgress & { texts: string[]; dimension: number }): number[][] {
  input.progress.postMessage({ started: true });
  const provider = new HashingEmbeddingProvider(input.dimension, input.texts.length);
  setImmediate(releaseMemory);
  return input.texts.map((text, i) => {
    if ((i + 1) % ITEMS_PER_REPORT === 0) input.progress.postMessage({ embedded: i + 1 });
    return provider.vector(text);
  });
}

/** Entities of each text, in order: tagged ITEMS_PER_REPORT texts at a time (entitiesOfEach: compromise's cost per call paid once for them). */
export function tagEntities(input: WithProgress & { texts: string[] }): Entity[][] {
  input.progress.postMessage({ started: true });
  setImmediate(releaseMemory);
  const entities: Entity[][] = [];
  for (let start = 0; start < input.texts.length; start += ITEMS_PER_REPORT) {
    entities.push(...entitiesOfEach(input.texts.slice(start, start + ITEMS_PER_REPORT)));
    if (entities.length % ITEMS_PER_REPORT === 0) input.progress.postMessage({ tagged: entities.length });
  }
  return entities;
}

export type TextTasks = {
  extractRange: typeof extractRange;
  embedTexts: typeof embedTexts;
  tagEntities: typeof tagEntities;
};
