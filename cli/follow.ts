import { setTimeout as sleep } from 'node:timers/promises';
import { FileIntelClient, isRetryable } from '../api/client/index.ts';
import { workReporter, type WorkProgress } from './progress.ts';

/** Between two status requests while the task runs. FILEINTEL_POLL_MS overrides it (tests, busy servers). */
const POLL_MS = Number(process.env.FILEINTEL_POLL_MS) || 1_000;
/** One status request may take this long; a hung connection is dropped and asked again. */
const REQUEST_TIMEOUT_MS = 20_000;
/** Retry delays after a network error: doubling from the first to the last, then staying there. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
/** Exit status after Ctrl-C, as shells report a SIGINT. */
const INTERRUPTED_EXIT = 130;

export interface Followed<T> {
  /** For messages: "task collection-analysis:…:3", "batch 1c0…". */
  label: string;
  /** The command that follows it again after Ctrl-C. */
  resume: string;
  /** One short status request. */
  read(client: FileIntelClient): Promise<T>;
  ended(status: T): boolean;
  progress(status: T): WorkProgress | undefined;
}

/** A client for waits: every request is short, so a dead connection is noticed and retried. */
export function waitClient(): FileIntelClient {
  return new FileIntelClient({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
}

/**
 * Polls until the followed thing has ended and returns its last status.
 *
 * Network trouble (the API restarting, a reset connection, a request that
 * hangs) is retried with backoff for as long as it lasts: the task runs on
 * the server whatever happens to this process, so giving up would only lose
 * its outcome. Errors the API answers on purpose (404, 401) end the wait.
 * Ctrl-C stops the waiting, never the task, and says how to follow it again.
 */
export async function follow<T>(followed: Followed<T>, options: { json: boolean }): Promise<T> {
  const client = waitClient();
  const reporter = workReporter({ label: followed.label, json: options.json, stream: process.stderr });
  const onInterrupt = () => {
    reporter.stop();
    process.stderr.write(
      `\nstopped waiting; ${followed.label} keeps running. Follow it again with: ${followed.resume}\n`,
    );
    process.exit(INTERRUPTED_EXIT);
  };
  process.once('SIGINT', onInterrupt);
  let retryMs = 0;
  try {
    for (;;) {
      let status: T;
      try {
        status = await followed.read(client);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        retryMs = retryMs === 0 ? RETRY_FIRST_MS : Math.min(retryMs * 2, RETRY_MAX_MS);
        reporter.notice(
          `${(error as Error).message}; asking again in ${(retryMs / 1000).toFixed(1)} s (the task runs on regardless)`,
        );
        await sleep(retryMs);
        continue;
      }
      if (retryMs > 0) reporter.notice('the API answers again');
      retryMs = 0;
      const progress = followed.progress(status);
      if (progress) reporter.update(progress);
      if (followed.ended(status)) return status;
      await sleep(POLL_MS);
    }
  } finally {
    reporter.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
}
