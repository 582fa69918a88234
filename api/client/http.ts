/** The HTTP core of the typed client: envelope handling and errors. */
import { networkReason } from '../../common/errors.ts';
import { StatusError } from '../../common/status-error.ts';
import { API_V3_PREFIX } from '../prefixes.ts';

export interface ClientOptions {
  /** Base URL including /api/v3 (the native API); default FILEINTEL_API_URL or http://localhost:8000/api/v3. */
  baseUrl?: string;
  /** Sent as X-API-Key; default FILEINTEL_API_KEY. */
  apiKey?: string;
  /**
   * Give up on a request (answer included) after this long, as `timeout`.
   * Default: no limit. Waits set a short one so a hung connection is retried
   * instead of holding the wait for minutes.
   */
  requestTimeoutMs?: number;
}

/** An answer that was not a success envelope: HTTP status, the API's code and message. */
export class ApiClientError extends StatusError {
  override name = 'ApiClientError';
}

export class ApiHttp {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly requestTimeoutMs?: number;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (
      options.baseUrl ??
      process.env.FILEINTEL_API_URL ??
      `http://localhost:8000${API_V3_PREFIX}`
    ).replace(/\/+$/, '');
    this.apiKey = options.apiKey ?? process.env.FILEINTEL_API_KEY;
    this.requestTimeoutMs = options.requestTimeoutMs;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.apiKey ? { ...extra, 'x-api-key': this.apiKey } : extra;
  }

  /** Sends a request and returns `data` of the success envelope, or throws ApiClientError. */
  async request<T>(
    method: string,
    path: string,
    options: {
      json?: unknown;
      query?: Record<string, string | number | boolean | undefined>;
      body?: RequestInit['body'];
      headers?: Record<string, string>;
    } = {},
  ): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers = this.headers(options.headers);
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const signal = this.requestTimeoutMs ? AbortSignal.timeout(this.requestTimeoutMs) : undefined;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body,
        signal,
        duplex: body ? 'half' : undefined,
      } as RequestInit);
      return await parseEnvelope<T>(response);
    } catch (error) {
      if (error instanceof ApiClientError) throw error;
      if ((error as Error).name === 'TimeoutError')
        throw new ApiClientError(0, 'timeout', `no answer from ${this.baseUrl} within ${this.requestTimeoutMs} ms`);
      throw new ApiClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${networkReason(error)}`);
    }
  }
}

/**
 * Worth asking again: no answer at all (refused, reset, timed out), or a
 * gateway/unavailable answer (the API restarting, Temporal briefly away).
 */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof ApiClientError &&
    (error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504)
  );
}

export async function parseEnvelope<T>(response: Response): Promise<T> {
  const text = await response.text();
  let parsed: { success?: boolean; data?: T; error?: { code: string; message: string; details?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiClientError(
      response.status,
      'bad_response',
      `HTTP ${response.status}: ${text.slice(0, 200) || 'empty answer'}`,
    );
  }
  if (response.ok && parsed.success) return parsed.data as T;
  const error = parsed.error ?? { code: 'http_error', message: `HTTP ${response.status}` };
  throw new ApiClientError(response.status, error.code, error.message, error.details);
}
