import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { checkHealth, HealthData } from '../health/check-health.ts';
import { route } from '../route.ts';

/** GET /health: the database and Temporal checks (api/health/check-health.ts); api/v2/routes/health.ts is v2's. */
export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  route(
    router,
    {
      method: 'get',
      path: '/health',
      summary: 'Checks the database and Temporal',
      tags: ['health'],
      data: HealthData,
      errors: [503],
    },
    () => checkHealth(deps),
  );
  return router;
}
