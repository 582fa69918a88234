// Text pipeline: the pure text steps a document goes through (chunking, token
// counting, text analysis with word counts, entity tagging, hashing
// embeddings), each timed on mixed document text (test/fixtures/mixed-text.ts:
// prose in English, German and Russian, Japanese and Thai without spaces, code,
// dotted table-of-contents leaders, long URLs, base64, number tables) cut into
// pages, at 10 KB, 100 KB, 1 MB and 10 MB (the quick run a tenth of each).
// Figures per stage: seconds per MB at the largest size, and time(largest) /
// time(a tenth of it) (goal ≤ 12: linear, with room for noise). Also a
// PDF-like document of 1,300 pages (the size of pgfmanual, whose 1.28 M
// characters once took 39 s to chunk) through every stage.
// BENCH_TEXT_FILE=<a pdftotext output> adds that file's timings to the details.
// At the largest size, entities are also timed the way they were tagged before
// (compromise over every sentence of the chunk), on the same texts: the
// speed-up is a ratio within one run.
import { readFile } from 'node:fs/promises';
import nlp from 'compromise';
import { performance } from 'node:perf_hooks';
import { chunkSections, type Chunk } from '../activities/chunking/chunker.ts';
import { countTokens } from '../activities/chunking/tokenizer.ts';
import { HashingEmbeddingProvider } from '../activities/embeddings/hashing.ts';
import type { TextSection } from '../activities/extraction/index.ts';
import { entitiesOfEach, sentenceFindings } from '../activities/graph/entities.ts';
import { countWords, TextAnalyzer } from '../activities/metadata/text-analysis.ts';
import { loadConfig } from '../config/load.ts';
import { mixedText } from '../test/fixtures/mixed-text.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round } from './support/stack.ts';

export const TEXT_STAGES = ['chunking', 'tokens', 'analysis', 'entities', 'embeddings'] as const;
type Stage = (typeof TEXT_STAGES)[number];

const PAGE_CHARS = 1_000;
const PDF_LIKE_PAGES = 1_300;
/**
 * Each size is measured on this many different texts (different seeds) and the
 * fastest kept, as the machine is shared; not the same text again, which would
 * find the tokenizer's cache of pieces warm. Every size alike, so a ratio
 * compares like with like.
 */
const REPEATS = 3;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const config = loadConfig({});
  const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };
  const embedder = new HashingEmbeddingProvider(config.embedding_dimension, config.embedding_batch_size);
  const sizes = quick ? [1_000, 10_000, 100_000, 1_000_000] : [10_000, 100_000, 1_000_000, 10_000_000];

  /**
   * Seconds per stage for one document. Token counting reads `otherText`, as
   * chunking has just left the tokenizer's cache warm with this document's pieces.
   */
  const timeStages = (sections: TextSection[], otherText: string) => {
    const text = sections.map((section) => section.text).join('\n\n');
    let chunks: Chunk[] = [];
    const stages: Record<Stage, () => unknown> = {
      chunking: () => (chunks = chunkSections(sections, limits)),
      tokens: () => countTokens(otherText),
      analysis: () => {
        const analyzer = new TextAnalyzer();
        for (const chunk of chunks) analyzer.add(chunk.text.slice(chunk.ownStart - chunk.charStart));
        return [analyzer.result(), sections.reduce((sum, section) => sum + countWords(section.text), 0)];
      },
      // as the pipeline tags them (tagEntities): entitiesOfEach, 25 chunks to a compromise document;
      // cold, as a new document: no sentence kept from a text timed before (the same text, at the largest size)
      entities: () => {
        sentenceFindings.clear();
        return entitiesOfEach(chunks.map((chunk) => chunk.text));
      },
      embeddings: () => chunks.map((chunk) => embedder.vector(chunk.text)),
    };
    const seconds = {} as Record<Stage, number>;
    for (const stage of TEXT_STAGES) {
      const t0 = performance.now();
      stages[stage]();
      seconds[stage] = (performance.now() - t0) / 1000;
    }
    return { seconds, chunks: chunks.length, chars: text.length };
  };
  /** The fastest of each stage over texts of `size` characters from different seeds (and, when asked, of the former entity tagging). */
  const timeSize = (size: number, seed: number, withWholeChunkEntities = false) => {
    let wholeChunk = Infinity;
    const runs = Array.from({ length: REPEATS }, (_, k) => {
      const sections = pages(mixedText(size, seed + k));
      if (withWholeChunkEntities) {
        const texts = chunkSections(sections, limits).map((chunk) => chunk.text);
        const t0 = performance.now();
        wholeChunkCpu.push(cpuSeconds(() => texts.forEach(wholeChunkEntities)));
        wholeChunk = Math.min(wholeChunk, (performance.now() - t0) / 1000);
        sentenceFindings.clear();
        entitiesCpu.push(cpuSeconds(() => entitiesOfEach(texts)));
      }
      return timeStages(sections, mixedText(size, seed + 50 + k));
    });
    const seconds = Object.fromEntries(
      TEXT_STAGES.map((stage) => [stage, Math.min(...runs.map((r) => r.seconds[stage]))]),
    ) as Record<Stage, number>;
    return { seconds, chunks: runs[0].chunks, chars: runs[0].chars, wholeChunk };
  };

  // Loads the tokenizer's ranks and compromise's lexicon, so no size pays for them.
  timeStages(pages(mixedText(5_000, 1)), mixedText(5_000, 2));
  let wholeChunkEntitiesSeconds = NaN;
  // The same comparison in CPU seconds of this process, which a busy shared machine disturbs less than the clock.
  const wholeChunkCpu: number[] = [];
  const entitiesCpu: number[] = [];

  const bySize: {
    chars: number;
    chunks: number;
    seconds: Record<Stage, number>;
    secondsPerMb: Record<Stage, number>;
  }[] = [];
  for (const [index, size] of sizes.entries()) {
    const largest = index === sizes.length - 1;
    const { wholeChunk, ...measured } = timeSize(size, 100 * (index + 1), largest);
    if (largest) wholeChunkEntitiesSeconds = wholeChunk;
    const secondsPerMb = Object.fromEntries(
      TEXT_STAGES.map((stage) => [stage, round(measured.seconds[stage] / (size / 1e6), 3)]),
    ) as Record<Stage, number>;
    bySize.push({ ...measured, seconds: roundAll(measured.seconds), secondsPerMb });
    log(
      `text: ${size.toLocaleString('en')} characters, ${measured.chunks} chunks: ${JSON.stringify(roundAll(measured.seconds))} s`,
    );
  }

  const pdfLike = timeSize(PDF_LIKE_PAGES * PAGE_CHARS, 1_000);
  log(`text: PDF-like, ${PDF_LIKE_PAGES} pages: ${JSON.stringify(roundAll(pdfLike.seconds))} s`);

  const largest = bySize[bySize.length - 1];
  const tenth = bySize[bySize.length - 2];
  const figures: Record<string, number | null> = {};
  for (const stage of TEXT_STAGES) {
    figures[`text_${stage}_s_per_mb`] = largest.secondsPerMb[stage];
    figures[`text_${stage}_ratio`] = round(largest.seconds[stage] / tenth.seconds[stage], 2);
  }
  figures.text_pdf_like_chunking_s = round(pdfLike.seconds.chunking, 2);
  figures.text_entities_whole_chunk_s_per_mb = round(wholeChunkEntitiesSeconds / (sizes[sizes.length - 1] / 1e6), 3);
  figures.text_entities_speedup = round(wholeChunkEntitiesSeconds / largest.seconds.entities, 2);
  figures.text_entities_speedup_cpu = round(Math.min(...wholeChunkCpu) / Math.min(...entitiesCpu), 2);

  const details: Record<string, unknown> = {
    limits,
    embedding_dimension: config.embedding_dimension,
    page_chars: PAGE_CHARS,
    sizes: bySize,
    pdf_like: {
      pages: PDF_LIKE_PAGES,
      chars: pdfLike.chars,
      chunks: pdfLike.chunks,
      seconds: roundAll(pdfLike.seconds),
    },
  };
  const notes = [
    `Mixed text cut into ${PAGE_CHARS.toLocaleString('en')}-character pages; ratios are time(${sizes[sizes.length - 1].toLocaleString('en')} characters) / time(${sizes[sizes.length - 2].toLocaleString('en')}), each the fastest over ${REPEATS} texts of that size.`,
    `Entities at ${sizes[sizes.length - 1].toLocaleString('en')} characters: ${round(wholeChunkEntitiesSeconds, 2)} s with compromise over every sentence (as before), ${largest.seconds.entities} s now (x${figures.text_entities_speedup}); in CPU seconds, fastest of ${REPEATS}: ${round(Math.min(...wholeChunkCpu), 2)} (${wholeChunkCpu.map((v) => round(v, 2)).join(', ')}) against ${round(Math.min(...entitiesCpu), 2)} (${entitiesCpu.map((v) => round(v, 2)).join(', ')}), x${figures.text_entities_speedup_cpu}.`,
    `Seconds per MB by size: ${TEXT_STAGES.map((stage) => `${stage} ${bySize.map((row) => row.secondsPerMb[stage]).join(' / ')}`).join('; ')}.`,
  ];

  const file = process.env.BENCH_TEXT_FILE;
  if (file) {
    const fileText = await readFile(file, 'utf8');
    const real = timeStages(
      fileText.split('\f').map((text, i) => ({ text, page: i + 1 })),
      fileText,
    );
    details.text_file = { file, chars: real.chars, chunks: real.chunks, seconds: roundAll(real.seconds) };
    notes.push(
      `${file}: ${real.chars.toLocaleString('en')} characters, ${real.chunks} chunks: ${JSON.stringify(roundAll(real.seconds))} s.`,
    );
  }
  return { figures, details, notes };
}

/**
 * Text cut into pages of about PAGE_CHARS characters, after a line break where
 * there is one, as extraction hands them over; each page starts a heading (a
 * section every ten pages), so the chunker's section handling is timed too.
 */
function pages(text: string): TextSection[] {
  const sections: TextSection[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + PAGE_CHARS);
    const lineBreak = text.slice(start, end).lastIndexOf('\n');
    if (end < text.length && lineBreak > PAGE_CHARS / 2) end = start + lineBreak;
    const page = sections.length + 1;
    const path = ['Benchmark', `Section ${Math.ceil(page / 10)}`, `Page ${page}`];
    sections.push({ text: text.slice(start, end), page, headings: [{ offset: 0, path }] });
    start = end;
  }
  return sections;
}

function cpuSeconds(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Entity tagging as it was: compromise over every sentence of the chunk (the reference for text_entities_speedup). */
function wholeChunkEntities(text: string): unknown {
  const doc = nlp(text);
  return [
    doc.people().out('array'),
    doc.organizations().out('array'),
    doc.places().out('array'),
    doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)').out('array'),
  ];
}

function roundAll(seconds: Record<Stage, number>): Record<Stage, number> {
  return Object.fromEntries(Object.entries(seconds).map(([stage, value]) => [stage, round(value, 3)])) as Record<
    Stage,
    number
  >;
}
