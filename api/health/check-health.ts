import { z } from 'zod';
import { pingDatabase } from '../../db/queries/health.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

/** One check's budget: a dependency that has not answered by then counts as unavailable. */
const CHECK_TIMEOUT_MS = 3_000;

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });
export const HealthData = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ database: Check, temporal: Check }),
});

/**
 * The health service both versions' `GET /health` answer with (api/routes/health.ts, api/v2/routes/health.ts):
 * the database and Temporal, each within CHECK_TIMEOUT_MS; a 503 naming what failed.
 */
export async function checkHealth(deps: ApiDeps): Promise<z.infer<typeof HealthData>> {
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
