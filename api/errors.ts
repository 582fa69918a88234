import { StatusError } from '../common/status-error.ts';
import type { Config } from '../config/schema.ts';

/** A refusal the API answers with: HTTP status, stable code, plain message, optional details. */
export class ApiError extends StatusError {
  override name = 'ApiError';
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'not_found', `${what} '${id}' not found`, { id });

/** A limit error names the limit and the value that broke it. */
export const limitExceeded = (status: 400 | 413, limit: string, allowed: number, actual: number, message: string) =>
  new ApiError(status, 'limit_exceeded', message, { limit, allowed, actual });

type CountLimit = 'max_cancel_batch_size' | 'max_upload_batch_size' | 'max_processing_batch_size';

/** 400 for a request listing more items than a count limit allows, e.g. "at most 100 task ids per request". */
export const tooManyItems = (config: Config, limit: CountLimit, actual: number, items: string) =>
  limitExceeded(400, limit, config[limit], actual, `at most ${config[limit]} ${items} (${limit}); got ${actual}`);
