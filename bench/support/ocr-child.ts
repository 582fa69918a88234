// OCR as the worker runs it, in a process of its own so its peak RSS is its
// own (the text thread, tesseract.js's thread and its WebAssembly memory are
// all in it). argv: pdf <file> — the scanned PDF through extractRange in the
// text worker pool (render + recognise, one range); or png <files…> — the
// same pages' images recognised directly (what the tesseract CLI is given).
// Prints one JSON line: seconds, peak RSS, event-loop delay, the text.
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { endEngine, recognise } from '../../activities/extraction/ocr/engine.ts';
import { createTextWorkPool } from '../../activities/text-work/pool.ts';
import { loadConfig } from '../../config/load.ts';

const [mode, ...files] = process.argv.slice(2);
const config = loadConfig({});
const ocr = { enabled: true, languages: config.ocr_languages };
const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();
let text = '';
let reports = 0;
if (mode === 'pdf') {
  const pool = createTextWorkPool({ text_worker_threads: 1 });
  const outcome = await pool.run(
    'extractRange',
    {
      file: files[0],
      mimeType: 'application/pdf',
      filename: 'scan.pdf',
      pages: { first: 1, last: 10_000 },
      limits,
      ocr,
    },
    { onProgress: () => reports++ },
  );
  if (!outcome.ok) throw new Error(outcome.message);
  text = outcome.chunks.map((chunk) => chunk.text).join(' ');
  await pool.close();
} else {
  for (const file of files) text += ' ' + (await recognise(new Uint8Array(await readFile(file)), ocr.languages)).text;
  await endEngine();
}
const seconds = (performance.now() - started) / 1000;
loop.disable();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    seconds,
    peak_rss_mb: peakRss / 2 ** 20,
    loop_delay_p99_ms: loop.percentile(99) / 1e6,
    progress_reports: reports,
    text,
  }),
);
