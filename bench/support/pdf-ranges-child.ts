// One PDF through extraction and chunking as the extract step runs it (range
// by range in the text worker pool), in a process of its own so its peak RSS
// is its own. argv: <pdf file> <pages per range, or 0 for the whole document
// at once>. Prints one JSON line: seconds, peak RSS, event-loop delay, counts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTextWorkPool } from '../../activities/text-work/pool.ts';
import { loadConfig } from '../../config/load.ts';

const [file, perRangeArg] = process.argv.slice(2);
const config = loadConfig({});
const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };
const pool = createTextWorkPool({ text_worker_threads: 1 });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();

let perRange = Number(perRangeArg);
let pageCount = Infinity;
let chunks = 0;
let ranges = 0;
let reports = 0;
for (let first = 1; first <= pageCount; first += perRange) {
  const pages = perRange > 0 ? { first, last: first + perRange - 1 } : null;
  const outcome = await pool.run(
    'extractRange',
    { file, mimeType: 'application/pdf', filename: 'bench.pdf', pages, limits },
    { onProgress: () => reports++ },
  );
  if (!outcome.ok) throw new Error(outcome.message);
  pageCount = outcome.pageCount ?? 0;
  chunks += outcome.chunks.length;
  ranges++;
  if (perRange <= 0) perRange = Infinity;
}

const seconds = (performance.now() - started) / 1000;
loop.disable();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
await pool.close();
console.log(
  JSON.stringify({
    seconds,
    peak_rss_mb: peakRss / 2 ** 20,
    loop_delay_p99_ms: loop.percentile(99) / 1e6,
    loop_delay_max_ms: loop.max / 1e6,
    pages: pageCount,
    ranges,
    chunks,
    progress_reports: reports,
  }),
);
