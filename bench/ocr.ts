// OCR speed and memory against the machine's `tesseract` command (Debian's
// tesseract-ocr) on the same pages. Pages of prose are drawn (as a 300 dpi
// scan would show them) and wrapped in an image-only PDF; then, each run:
//   - ours, end to end: the PDF through extractRange in the text worker pool
//     (pdf.js renders each page, tesseract.js recognises it), in a child process;
//   - ours, recognition only: the PNGs our renderer made, given to tesseract.js;
//   - the reference: the same PNGs given to `tesseract <png> stdout`, one
//     process per page, with OMP_THREAD_LIMIT=1 (tesseract.js has one thread).
// Figures are medians of the runs; the spread (min–max) is in the notes. Word
// recall (the share of the drawn words found in the text) shows speed was not
// bought with accuracy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getDocumentProxy } from 'unpdf';
import { renderPageForOcr } from '../activities/extraction/ocr/render-page.ts';
import { pdfOfPages } from '../test/fixtures/scanned-documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round } from './support/stack.ts';

const run$ = promisify(execFile);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'ocr-child.ts');

const SENTENCES = [
  'Marie Curie measured the radiation of pitchblende in a shed in Paris',
  'The samples were weighed twice and every result was written down',
  'Pierre Curie built the electrometer that made the measurements possible',
  'A tonne of ore yielded a tenth of a gram of radium chloride',
  'Their notebooks are still kept in lead boxes at the national library',
  'Visitors must sign a waiver before they may read the original pages',
];

/** A page of prose: 24 lines of about 50 characters, drawn at a size a 300 dpi scan of 11 pt text has. */
function pageLines(page: number): string[] {
  return Array.from({ length: 24 }, (_, i) => {
    const sentence = SENTENCES[(page * 7 + i) % SENTENCES.length];
    return `${page + 1}.${i + 1} ${sentence}`.slice(0, 60);
  });
}

interface ChildFigures {
  seconds: number;
  peak_rss_mb: number;
  loop_delay_p99_ms: number;
  progress_reports: number;
  text: string;
}

async function child(mode: 'pdf' | 'png', files: string[]): Promise<ChildFigures> {
  const { stdout } = await run$(process.execPath, ['--import', 'tsx', CHILD, mode, ...files], {
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildFigures;
}

/** Each page through `tesseract`, one process per page as a batch script would: seconds in all, peak RSS of one. */
async function cli(files: string[]): Promise<{ seconds: number; peak_rss_mb: number; text: string }> {
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  let peakKb = 0;
  let text = '';
  const started = performance.now();
  for (const file of files) {
    // GNU time writes the peak resident set (KB) after the command's own stderr.
    const { stdout, stderr } = await run$(
      '/usr/bin/time',
      ['-f', 'maxrss=%M', 'tesseract', file, 'stdout', '-l', 'eng'],
      {
        env,
        maxBuffer: 16 << 20,
      },
    );
    peakKb = Math.max(peakKb, Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? 0));
    text += ' ' + stdout;
  }
  return { seconds: (performance.now() - started) / 1000, peak_rss_mb: peakKb / 1024, text };
}

/** Share of the drawn words (lower case, punctuation aside) that the text holds, counted with multiplicity per word. */
function wordRecall(pages: string[][], text: string): number {
  const found = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}.]+/gu) ?? []) found.set(word, (found.get(word) ?? 0) + 1);
  let drawn = 0;
  let hits = 0;
  const wanted = new Map<string, number>();
  for (const word of pages.flat().join(' ').toLowerCase().split(/\s+/)) wanted.set(word, (wanted.get(word) ?? 0) + 1);
  for (const [word, count] of wanted) {
    drawn += count;
    hits += Math.min(count, found.get(word) ?? 0);
  }
  return hits / drawn;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values: number[], digits = 2) =>
  `${round(Math.min(...values), digits)}–${round(Math.max(...values), digits)}`;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  try {
    await run$('tesseract', ['--version']);
  } catch {
    return { figures: {}, details: {}, notes: [], skipped: 'no `tesseract` command (apt-get install tesseract-ocr)' };
  }
  const pageCount = quick ? 2 : 4;
  const runs = quick ? 1 : 3;
  const pages = Array.from({ length: pageCount }, (_, page) => pageLines(page));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-bench-ocr-'));
  try {
    const pdfFile = path.join(dir, 'scan.pdf');
    await writeFile(pdfFile, (await pdfOfPages(pages.map((lines) => ({ scanned: lines })))).bytes);
    // The PNGs our renderer makes of the PDF's pages: the reference recognises exactly the pixels we do.
    const pdf = await getDocumentProxy(new Uint8Array(await readFile(pdfFile)));
    const pngs: string[] = [];
    for (let page = 1; page <= pageCount; page++) {
      const file = path.join(dir, `page-${page}.png`);
      await writeFile(file, await renderPageForOcr(pdf, page));
      pngs.push(file);
    }
    await pdf.destroy();
    log(`ocr: ${pageCount} scanned pages, ${runs} run(s) of each`);

    const ours: ChildFigures[] = [];
    const oursRecognise: ChildFigures[] = [];
    const reference: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await child('pdf', [pdfFile]));
      oursRecognise.push(await child('png', pngs));
      reference.push(await cli(pngs));
      log(
        `ocr run ${i + 1}: ours ${round(ours[i].seconds, 1)} s (recognition alone ${round(oursRecognise[i].seconds, 1)} s), ` +
          `tesseract ${round(reference[i].seconds, 1)} s`,
      );
    }
    const perSecond = (results: { seconds: number }[]) => results.map((result) => pageCount / result.seconds);
    const ratios = oursRecognise.map((result, i) => reference[i].seconds / result.seconds);
    const figures = {
      ocr_pages_per_s: round(median(perSecond(ours)), 3),
      ocr_recognise_pages_per_s: round(median(perSecond(oursRecognise)), 3),
      ocr_cli_pages_per_s: round(median(perSecond(reference)), 3),
      ocr_speed_ratio_vs_cli: round(median(ratios), 3),
      ocr_peak_rss_mb: round(median(ours.map((result) => result.peak_rss_mb)), 1),
      ocr_cli_peak_rss_mb: round(median(reference.map((result) => result.peak_rss_mb)), 1),
      ocr_loop_delay_p99_ms: round(median(ours.map((result) => result.loop_delay_p99_ms)), 1),
      ocr_word_recall: round(wordRecall(pages, ours[0].text), 3),
      ocr_cli_word_recall: round(wordRecall(pages, reference[0].text), 3),
    };
    return {
      figures,
      details: {
        pages: pageCount,
        runs,
        dpi: 300,
        ours_seconds: ours.map((result) => round(result.seconds, 2)),
        ours_recognise_seconds: oursRecognise.map((result) => round(result.seconds, 2)),
        cli_seconds: reference.map((result) => round(result.seconds, 2)),
        ours_peak_rss_mb: ours.map((result) => round(result.peak_rss_mb, 1)),
        ours_recognise_peak_rss_mb: oursRecognise.map((result) => round(result.peak_rss_mb, 1)),
        cli_peak_rss_mb: reference.map((result) => round(result.peak_rss_mb, 1)),
        progress_reports: ours.map((result) => result.progress_reports),
      },
      notes: [
        `${pageCount} scanned A4 pages (24 lines each) at 300 dpi, ${runs} run(s); medians, spread min–max:`,
        `ours end to end (render + OCR in the text worker pool): ${spread(perSecond(ours), 3)} pages/s; recognition alone ${spread(perSecond(oursRecognise), 3)} pages/s`,
        `tesseract CLI, one thread: ${spread(perSecond(reference), 3)} pages/s; ours (recognition alone) / CLI speed ${spread(ratios, 3)}`,
        `peak RSS ours ${spread(
          ours.map((result) => result.peak_rss_mb),
          0,
        )} MB (whole process; recognition alone ${spread(
          oursRecognise.map((result) => result.peak_rss_mb),
          0,
        )} MB), CLI ${spread(
          reference.map((result) => result.peak_rss_mb),
          0,
        )} MB per page process`,
        `word recall: ours ${figures.ocr_word_recall}, CLI ${figures.ocr_cli_word_recall}; event-loop delay p99 while OCR runs ${figures.ocr_loop_delay_p99_ms} ms`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
