import type { Response } from 'express';
import { z } from 'zod';
import type { ErrorAnswer } from '../error-handler.ts';
import { registry } from '../openapi/registry.ts';
import { API_V2_PREFIX } from '../prefixes.ts';
import type { ApiFlavour } from '../route.ts';

/**
 * The original FileIntel contract's envelope (its ApiResponseV2): `success`,
 * `data`, `error` (a string), `timestamp`, `api_version: "2.0"`. Refusals also
 * carry a top-level `detail` (as FastAPI answered), which is what the original
 * CLI prints.
 */
export const API_VERSION = '2.0';

/** Fields a v2 route adds beside `data` (e.g. `successful` on a task status, `total` on a list). */
export function setTopLevel(res: Response, fields: Record<string, unknown>): void {
  res.locals.v2TopLevel = { ...(res.locals.v2TopLevel as object | undefined), ...fields };
}

export const V2ErrorBody = registry.register(
  'V2ErrorBody',
  z.object({
    success: z.literal(false),
    data: z.null(),
    detail: z.string().openapi({ description: 'The reason, as FastAPI answered it; the original CLI prints this' }),
    error: z.string(),
    code: z.string().openapi({ example: 'validation_error' }),
    details: z.unknown().nullable(),
    timestamp: z.string(),
    api_version: z.literal(API_VERSION),
  }),
);

export const COMPAT: ApiFlavour = {
  prefix: API_V2_PREFIX,
  successBody: (data, res) => ({
    success: true,
    data,
    error: null,
    ...(res?.locals.v2TopLevel as object | undefined),
    timestamp: new Date().toISOString(),
    api_version: API_VERSION,
  }),
  envelopeSchema: (data) =>
    z
      .object({
        success: z.literal(true),
        data,
        error: z.null(),
        timestamp: z.string(),
        api_version: z.literal(API_VERSION),
      })
      .catchall(z.unknown()),
  errorSchema: V2ErrorBody,
};

export function sendV2Error(res: Response, answer: ErrorAnswer): void {
  res.status(answer.status).json({
    success: false,
    data: null,
    detail: answer.message,
    error: answer.message,
    code: answer.code,
    details: answer.details ?? null,
    timestamp: new Date().toISOString(),
    api_version: API_VERSION,
  });
}
