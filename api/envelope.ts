import type { Response } from 'express';
import { ErrorBody, envelopeOf } from './openapi/registry.ts';
import { API_V3_PREFIX } from './prefixes.ts';
import type { ApiFlavour } from './route.ts';

/**
 * The native API's (v3) envelope, the one place it is built: a success is
 * `{success: true, data, timestamp}`, a failure
 * `{success: false, error: {code, message, details}, timestamp}`.
 */
export const NATIVE: ApiFlavour = {
  prefix: API_V3_PREFIX,
  successBody: (data) => ({ success: true, data, timestamp: new Date().toISOString() }),
  envelopeSchema: envelopeOf,
  errorSchema: ErrorBody,
};

export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  res
    .status(status)
    .json({ success: false, error: { code, message, details: details ?? null }, timestamp: new Date().toISOString() });
}
