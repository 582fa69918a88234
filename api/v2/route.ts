import type { Router } from 'express';
import type { z } from 'zod';
import { declareRoute, type RouteHandler, type RouteSpec } from '../route.ts';
import { COMPAT } from './envelope.ts';

/** `route()` for the v2 (original FileIntel) contract: its envelope and its OpenAPI prefix. */
export function v2Route<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown, D extends z.ZodType = z.ZodUnknown>(
  router: Router,
  spec: RouteSpec<P, Q, B, D>,
  handler: RouteHandler<P, Q, B, D>,
): void {
  declareRoute(COMPAT, router, spec, handler);
}
