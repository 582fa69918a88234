import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Config } from '../../config/schema.ts';
import type { TextTasks } from './tasks.ts';

/** What a thread reports while it works; `queued` while the task waits for a free thread. */
export type ThreadProgress = { queued: true } | Record<string, unknown>;

export interface TextWorkOptions {
  /** Aborting it stops the task at once: the thread running it is terminated. */
  signal?: AbortSignal;
  /** Called for each report of the thread, and every few seconds while the task waits for one. */
  onProgress?: (progress: ThreadProgress) => void;
  /**
   * A started task that reports nothing for this long is stopped (its thread
   * terminated) and fails with TextTaskStalledError, so a hung parser cannot
   * hold a thread of the pool for good. Absent: no limit.
   */
  stallMs?: number;
}

/**
 * CPU-heavy document work (parsing, chunking, text analysis, entity tagging,
 * lexical embeddings) runs in worker threads, so the activity's own event
 * loop only awaits: heartbeats, cancels and workflow tasks keep flowing while
 * a 1,600-page PDF is read.
 */
export interface TextWork {
  readonly threads: number;
  run<Name extends keyof TextTasks>(
    name: Name,
    input: Omit<Parameters<TextTasks[Name]>[0], 'progress'>,
    options?: TextWorkOptions,
  ): Promise<Awaited<ReturnType<TextTasks[Name]>>>;
  close(): Promise<void>;
}

/** How often a task still waiting for a thread says so: it is queued on a live worker, not stuck. */
const QUEUED_REPORT_MS = 5_000;
/** A parser that needs more than this for one range of one file is refused, not allowed to take the worker down. */
const THREAD_HEAP_MB = 2_048;

/** `text_worker_threads` threads; 0 means one per core but one (at least one). */
function textWorkerThreads(config: Pick<Config, 'text_worker_threads'>): number {
  return config.text_worker_threads > 0 ? config.text_worker_threads : Math.max(1, availableParallelism() - 1);
}

/** The module the threads run; tests give one of their own (e.g. a task that hangs). */
const THREAD_ENTRY = new URL('./thread.mjs', import.meta.url);

export function createTextWorkPool(
  config: Pick<Config, 'text_worker_threads'>,
  threadEntry: URL = THREAD_ENTRY,
): TextWork {
  const threads = textWorkerThreads(config);
  const pool = new Piscina({
    filename: threadEntry.href,
    minThreads: 0,
    maxThreads: threads,
    // Threads are kept for a minute after their last task: a collection's documents reuse them.
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
  });

  return {
    threads,
    async run(name, input, options = {}) {
      const { port1, port2 } = new MessageChannel();
      let started = false;
      let lastReport: unknown;
      const stall = new AbortController();
      let stallTimer: NodeJS.Timeout | undefined;
      const rearmStallTimer = () => {
        clearTimeout(stallTimer);
        if (options.stallMs !== undefined) stallTimer = setTimeout(() => stall.abort(), options.stallMs);
      };
      port1.on('message', (message: { started?: true } & Record<string, unknown>) => {
        rearmStallTimer();
        if (message.started) started = true;
        else {
          lastReport = message;
          options.onProgress?.(message);
        }
      });
      const queued = setInterval(() => {
        if (!started) options.onProgress?.({ queued: true });
      }, QUEUED_REPORT_MS);
      try {
        return await pool.run(
          { ...input, progress: port2 },
          {
            name,
            transferList: [port2],
            signal: options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal,
          },
        );
      } catch (error) {
        if (stall.signal.aborted && !options.signal?.aborted) {
          throw new TextTaskStalledError(
            `the ${name} task reported nothing for ${options.stallMs! / 1000} s, so its thread was stopped` +
              ` (its last report: ${lastReport === undefined ? 'none' : JSON.stringify(lastReport)})`,
          );
        }
        if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new ThreadOutOfMemoryError(
            `the document needed more than ${THREAD_HEAP_MB} MB of memory to process one range`,
          );
        }
        throw error;
      } finally {
        clearInterval(queued);
        clearTimeout(stallTimer);
        port1.close();
      }
    },
    close: () => pool.destroy(),
  };
}

/** The thread ran out of its heap on this input: retrying the same bytes would do the same. */
export class ThreadOutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThreadOutOfMemoryError';
  }
}

/** A task went silent for longer than its limit (stallMs): its thread was terminated. Another attempt may fare better. */
export class TextTaskStalledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextTaskStalledError';
  }
}
