// Long PDFs through extraction and chunking as the extract step runs them:
// page ranges of `pdf_pages_per_range` in the text worker pool, each run in a
// process of its own (bench/support/pdf-ranges-child.ts). Figures: a
// 1,500-page PDF's time, peak RSS and the event-loop delay p99 of the process
// awaiting the pool (what keeps heartbeats and cancels flowing); peak RSS of a
// 2,000-page PDF against a 100-page one (memory follows the range, not the
// document); and, for contrast, the 2,000-page PDF read whole in one go.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { longPdf } from '../test/fixtures/long-documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round } from './support/stack.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'pdf-ranges-child.ts');

interface ChildFigures {
  seconds: number;
  peak_rss_mb: number;
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  pages: number;
  ranges: number;
  chunks: number;
  progress_reports: number;
}

async function measure(file: string, perRange: number): Promise<ChildFigures> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, file, String(perRange)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildFigures;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const perRange = loadConfig({}).pdf_pages_per_range;
  const sizes = { small: 100, long: quick ? 300 : 1_500, longest: quick ? 400 : 2_000 };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-bench-pdf-'));
  try {
    const files: Record<keyof typeof sizes, string> = { small: '', long: '', longest: '' };
    for (const [name, pages] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      files[name] = path.join(dir, `${pages}.pdf`);
      await writeFile(files[name], (await longPdf(pages)).bytes);
    }
    log(`pdf: ${sizes.small}, ${sizes.long} and ${sizes.longest} pages, ${perRange} pages per range`);
    const small = await measure(files.small, perRange);
    const long = await measure(files.long, perRange);
    const longest = await measure(files.longest, perRange);
    const whole = await measure(files.longest, 0);
    log(`pdf: ${JSON.stringify({ small, long, longest, whole })}`);
    return {
      figures: {
        pdf_long_seconds: round(long.seconds, 2),
        pdf_long_peak_rss_mb: round(long.peak_rss_mb, 1),
        pdf_long_loop_delay_p99_ms: round(long.loop_delay_p99_ms, 1),
        pdf_rss_ratio_longest_vs_small: round(longest.peak_rss_mb / small.peak_rss_mb, 3),
      },
      details: { pages_per_range: perRange, sizes, small, long, longest, longest_read_whole: whole },
      notes: [
        `${sizes.long} pages: ${round(long.seconds, 1)} s, ${long.ranges} ranges, ${long.chunks} chunks, peak RSS ${round(long.peak_rss_mb)} MB, event-loop delay p99 ${round(long.loop_delay_p99_ms, 1)} ms (max ${round(long.loop_delay_max_ms, 1)} ms)`,
        `peak RSS ${sizes.longest} pages ${round(longest.peak_rss_mb)} MB vs ${sizes.small} pages ${round(small.peak_rss_mb)} MB; the ${sizes.longest} pages read whole in one go: ${round(whole.peak_rss_mb)} MB in ${round(whole.seconds, 1)} s`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
