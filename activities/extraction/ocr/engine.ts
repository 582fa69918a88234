// Tesseract (tesseract.js: Tesseract compiled to WebAssembly) in a worker
// thread of its own, fed the language data's bytes: no path or URL is ever
// given to it, so it cannot fetch, and its entry (tesseract-thread.mjs) fails
// any fetch as a second guard.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { OcrEngineError, UnreadableImageError } from './errors.ts';
import { languageDataFile } from './languages.ts';

export interface Recognised {
  text: string;
  /** Tesseract's mean word confidence, 0 to 100. */
  confidence: number;
}

/** An engine unused this long is ended, so an idle text thread does not hold its ~100 MB. */
const IDLE_MS = 30_000;

/** tesseract.js's worker script behind our network guard. */
export const THREAD_ENTRY = fileURLToPath(new URL('./tesseract-thread.mjs', import.meta.url));

let current: { languages: string; worker: Promise<Worker>; idle?: NodeJS.Timeout } | undefined;

/** Told of the page being recognised (share done, 0 to 1); tesseract.js has one logger per engine, so it is set per page. */
let reportRecognition: ((share: number) => void) | undefined;

/**
 * Recognises an image (PNG, JPEG, TIFF or BMP bytes). One engine per thread,
 * kept between pages and documents and ended when idle; a different language
 * list replaces it. `onProgress` hears how far recognition is, so a page that
 * takes a minute on a loaded machine still heartbeats.
 */
export async function recognise(
  image: Uint8Array,
  languages: readonly string[],
  onProgress?: (share: number) => void,
): Promise<Recognised> {
  const key = languages.join('+');
  if (current && current.languages !== key) await endEngine();
  current ??= { languages: key, worker: startEngine(languages) };
  const engine = current;
  clearTimeout(engine.idle);
  try {
    const worker = await engine.worker.catch((error: unknown) => {
      throw new OcrEngineError(`the OCR engine did not start: ${messageOf(error)}`);
    });
    reportRecognition = onProgress;
    const { data } = await worker
      .recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength))
      .catch((error: unknown) => {
        const message = messageOf(error);
        // Leptonica's words for bytes it cannot decode as an image.
        if (/attempting to read image/i.test(message)) throw new UnreadableImageError(message);
        throw new OcrEngineError(`OCR failed: ${message}`);
      });
    return { text: data.text, confidence: data.confidence };
  } finally {
    reportRecognition = undefined;
    if (current === engine) engine.idle = setTimeout(() => void endEngine(), IDLE_MS).unref();
  }
}

/** tesseract.js rejects with strings ("Error: …") as often as with errors. */
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');

/** Ends this thread's engine, if any. */
export async function endEngine(): Promise<void> {
  const engine = current;
  current = undefined;
  if (!engine) return;
  clearTimeout(engine.idle);
  await (await engine.worker.catch(() => undefined))?.terminate();
}

async function startEngine(languages: readonly string[]): Promise<Worker> {
  const data = await Promise.all(
    languages.map(async (code) => {
      const file = languageDataFile(code);
      // Config validation refuses a language without data; this guards a caller that skipped it.
      if (!file)
        throw new Error(`no OCR language data installed for "${code}" (npm package @tesseract.js-data/${code})`);
      return { code, data: new Uint8Array(await readFile(file)) };
    }),
  );
  // createWorker's promise never settles when loading or initialising fails (it swallows the error): the
  // failure reaches only errorHandler, which also hears of every failed job (their promises reject as well).
  let failStart: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (failStart = reject));
  // tesseract.js's types say a language is a string; its code also takes { code, data } (the bytes themselves).
  const worker = createWorker(data as unknown as string[], OEM.LSTM_ONLY, {
    workerPath: THREAD_ENTRY,
    // No cache: it would write <lang>.traineddata into the working directory.
    cacheMethod: 'none',
    logger: (message: { status: string; progress: number }) => {
      if (message.status === 'recognizing text') reportRecognition?.(message.progress);
    },
    // Without a handler tesseract.js throws a failed job's error from an event listener, past our await.
    errorHandler: (error: unknown) => failStart(new Error(messageOf(error))),
  });
  return Promise.race([worker, failed]);
}
