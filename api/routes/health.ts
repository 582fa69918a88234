import { Router } from 'express';
import { z } from 'zod';
import { pingDatabase } from '../../db/queries/health.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { NATIVE } from '../envelope.ts';
import { declareRoute, type ApiFlavour } from '../route.ts';

const CHECK_TIMEOUT_MS = 3_000;

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });
const HealthData = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ database: Check, temporal: Check }),
});

/** GET /health in the given API version's envelope (both versions answer it the same way). */
export function healthRoutes(deps: ApiDeps, flavour: ApiFlavour = NATIVE): Router {
  const router = Router();
  declareRoute(
    flavour,
    router,
    {
      method: 'get',
      path: '/health',
      summary: 'Checks the database and Temporal',
      tags: ['health'],
      data: HealthData,
      errors: [503],
    },
    async () => {
      const [database, temporal] = await Promise.all([
        check(() => pingDatabase(deps.sql)),
        check(() =>
          deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
            deps.temporal.workflowService.getSystemInfo({}),
          ),
        ),
      ]);
      if (database.ok && temporal.ok) return { status: 'ok' as const, checks: { database, temporal } };
      const failed = [!database.ok && 'database', !temporal.ok && 'temporal'].filter(Boolean).join(' and ');
      throw new ApiError(503, 'unavailable', `${failed} unavailable`, { checks: { database, temporal } });
    },
  );
  return router;
}

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
