import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors.ts';

/** Paths that answer without a key: liveness checks and the API description. */
const PUBLIC_PATHS = new Set(['/health', '/openapi.json']);

/**
 * Requires `X-API-Key` equal to `apiKey`. Both sides are hashed first so the
 * comparison takes the same time whatever the lengths.
 */
export function requireApiKey(apiKey: string): RequestHandler {
  const expected = createHash('sha256').update(apiKey).digest();
  return (req, _res, next) => {
    if (PUBLIC_PATHS.has(req.path)) return next();
    const given = req.get('x-api-key') ?? '';
    const actual = createHash('sha256').update(given).digest();
    if (given.length > 0 && timingSafeEqual(actual, expected)) return next();
    // Through the error chain, so each API version answers in its own shape.
    next(new ApiError(401, 'unauthorized', 'missing or invalid X-API-Key header'));
  };
}
