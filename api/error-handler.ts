import type { ErrorRequestHandler, Request, Response } from 'express';
import { causes } from '../common/errors.ts';
import { sendError } from './envelope.ts';
import { StorageUnavailableError } from '../storage/document-storage.ts';
import { DatabaseUnavailableError } from '../db/pool.ts';
import { ApiError } from './errors.ts';

/** A refusal as every API version needs it; each version renders it in its own body. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** Turns anything thrown into an answer; only the unexpected is a 500 (and is logged). */
function classifyError(error: unknown, req: Request): ErrorAnswer {
  if (error instanceof ApiError)
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  const failure = error as { type?: string; message?: string; limit?: number; length?: number; status?: number };
  // body-parser's own errors carry a status and a type.
  if (failure.type === 'entity.parse.failed')
    return { status: 400, code: 'invalid_json', message: `request body is not valid JSON: ${failure.message}` };
  if (failure.type === 'entity.too.large') {
    return {
      status: 413,
      code: 'limit_exceeded',
      message: `JSON body larger than max_json_body_kb (${failure.limit} bytes)`,
      details: { limit: 'max_json_body_kb', allowed: failure.limit, actual: failure.length ?? null },
    };
  }
  const database = causes(error).find((cause) => cause instanceof DatabaseUnavailableError);
  if (database) return databaseUnavailable(database);
  if (error instanceof StorageUnavailableError)
    return { status: 503, code: 'storage_unavailable', message: `document storage is unavailable: ${error.message}` };
  if (isTemporalUnavailable(error))
    return {
      status: 503,
      code: 'temporal_unavailable',
      message: 'Temporal is not reachable right now; try again shortly',
    };
  if (typeof failure.status === 'number' && failure.status >= 400 && failure.status < 500)
    return { status: failure.status, code: 'bad_request', message: failure.message ?? 'bad request' };
  console.error(`[api] ${req.method} ${req.originalUrl} failed:`, error);
  return { status: 500, code: 'internal_error', message: 'internal error; the server log has the details' };
}

/** An Express error handler that answers in the body `send` writes. */
export function errorHandlerFor(send: (res: Response, answer: ErrorAnswer) => void): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) return;
    send(res, classifyError(error, req));
  };
}

/** The native (v3) error envelope. */
export const nativeErrorHandler = errorHandlerFor((res, answer) =>
  sendError(res, answer.status, answer.code, answer.message, answer.details),
);

/**
 * 503 for a request that waited on the database past db_request_timeout, or
 * lost its connection: the request may be retried. The limit, when one ran
 * out, is in the details as for the other limits (`limit`, `allowed` in ms).
 */
function databaseUnavailable(error: DatabaseUnavailableError): ErrorAnswer {
  return {
    status: 503,
    code: 'database_unavailable',
    message: `${error.message}; try again shortly`,
    details: error.limit ? { limit: error.limit.name, allowed: error.limit.ms } : null,
  };
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), on the error or any of its causes. */
function isTemporalUnavailable(error: unknown): boolean {
  return causes(error).some((cause) => {
    const code = (cause as { code?: unknown }).code;
    return typeof cause === 'object' && (code === 14 || code === 4) && 'metadata' in (cause as object);
  });
}
