import { Router } from 'express';
import type { ApiDeps } from '../../deps.ts';
import { checkHealth, HealthData } from '../../health/check-health.ts';
import { v2Route } from '../route.ts';

/** GET /health in the original contract's envelope: the same checks as v3's (api/health/check-health.ts). */
export function v2HealthRoutes(deps: ApiDeps): Router {
  const router = Router();
  v2Route(
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
