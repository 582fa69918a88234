import { StatusError } from '../common/status-error.ts';

/** A refusal the API answers with: HTTP status, stable code, plain message, optional details. */
export class ApiError extends StatusError {
  override name = 'ApiError';
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'not_found', `${what} '${id}' not found`, { id });

/** A limit error names the limit and the value that broke it. */
export const limitExceeded = (status: 400 | 413, limit: string, allowed: number, actual: number, message: string) =>
  new ApiError(status, 'limit_exceeded', message, { limit, allowed, actual });
