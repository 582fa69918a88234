import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';

const CHECK_TIMEOUT_MS = 3_000;

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });
const HealthData = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ database: Check, temporal: Check }) });

export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  route(
    router,
    { method: 'get', path: '/health', summary: 'Checks the database and Temporal', tags: ['health'], data: HealthData, errors: [503] },
    async ({ res }) => {
      const [database, temporal] = await Promise.all([
        check(() => deps.sql`SELECT 1`),
        check(() =>
          deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
            deps.temporal.workflowService.getSystemInfo({}),
          ),
        ),
      ]);
      if (database.ok && temporal.ok) return { status: 'ok' as const, checks: { database, temporal } };
      const failed = [!database.ok && 'database', !temporal.ok && 'temporal'].filter(Boolean).join(' and ');
      return res.status(503).json({
        success: false,
        error: { code: 'unavailable', message: `${failed} unavailable`, details: { checks: { database, temporal } } },
        timestamp: new Date().toISOString(),
      });
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
