import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';

const MAX_ATTEMPTS = 5;
const MAX_WAIT_MS = 30_000;
/** Calls and waits can outlast an activity's heartbeat timeout: keep heartbeating meanwhile. */
const HEARTBEAT_EVERY_MS = 10_000;

/**
 * POSTs JSON to an OpenAI-compatible endpoint. 429 and 5xx are retried here
 * with backoff, honouring Retry-After (rate limits); other 4xx are the
 * caller's mistake and fail non-retryably; what still fails after the
 * attempts is thrown as a retryable error for the activity's own retries.
 */
export async function postOpenAi<T>(
  config: Pick<Config, 'openai_base_url' | 'openai_timeout_seconds'>,
  route: string,
  body: unknown,
  sleep = defaultSleep,
): Promise<T> {
  const keepAlive = setInterval(heartbeatIfInActivity, HEARTBEAT_EVERY_MS);
  try {
    return await post<T>(config, route, body, sleep);
  } finally {
    clearInterval(keepAlive);
  }
}

function heartbeatIfInActivity(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // called outside an activity (unit tests): nothing to heartbeat
  }
}

async function post<T>(
  config: Pick<Config, 'openai_base_url' | 'openai_timeout_seconds'>,
  route: string,
  body: unknown,
  sleep: (ms: number) => Promise<void>,
): Promise<T> {
  const url = config.openai_base_url.replace(/\/+$/, '') + route;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.OPENAI_API_KEY) headers.authorization = `Bearer ${process.env.OPENAI_API_KEY}`;
  let lastError = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(config.openai_timeout_seconds * 1000),
      });
    } catch (error) {
      lastError = `${url}: ${(error as Error).message}`;
      await sleep(backoff(attempt));
      continue;
    }
    if (response.ok) return (await response.json()) as T;
    const text = (await response.text()).slice(0, 300);
    lastError = `${url} answered HTTP ${response.status}: ${text}`;
    if (response.status === 429 || response.status >= 500) {
      await sleep(retryAfterMs(response.headers.get('retry-after')) ?? backoff(attempt));
      continue;
    }
    throw ApplicationFailure.nonRetryable(lastError, 'OpenAiRequestRejected');
  }
  throw ApplicationFailure.retryable(lastError, 'OpenAiUnavailable');
}

const backoff = (attempt: number) => Math.min(MAX_WAIT_MS, 500 * 2 ** (attempt - 1));
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(MAX_WAIT_MS, Math.max(0, seconds * 1000));
  const when = Date.parse(header);
  return Number.isNaN(when) ? undefined : Math.min(MAX_WAIT_MS, Math.max(0, when - Date.now()));
}
