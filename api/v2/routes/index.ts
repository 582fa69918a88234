import { Router } from 'express';
import type { ApiDeps } from '../../deps.ts';
import { v2AnalysisRoutes } from './analysis.ts';
import { v2BatchRoutes } from './batches.ts';
import { v2CollectionRoutes } from './collections.ts';
import { v2DocumentRoutes } from './documents.ts';
import { v2HealthRoutes } from './health.ts';
import { v2QueryRoutes } from './query.ts';
import { v2TaskRoutes } from './tasks.ts';
import { v2UploadRoutes } from './uploads.ts';

/**
 * Every route of the original FileIntel contract (/api/v2), each a thin layer over the services the native API
 * uses. Each file here is named and cut as its v3 twin in api/routes/ (analysis, batches, collections, documents,
 * health, tasks, uploads), and mounted in the same order as api/app.ts mounts v3's.
 */
export function compatRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(v2HealthRoutes(deps));
  // batch-process before /collections/:collection/... so "batch-process" is never taken for a collection.
  router.use(v2BatchRoutes(deps));
  router.use(v2CollectionRoutes(deps));
  router.use(v2UploadRoutes(deps));
  router.use(v2TaskRoutes(deps));
  router.use(v2AnalysisRoutes(deps));
  router.use(v2DocumentRoutes(deps));
  router.use(v2QueryRoutes(deps));
  return router;
}
