import { Router } from 'express';
import type { ApiDeps } from '../../deps.ts';
import { v2CollectionRoutes } from './collections.ts';
import { v2DocumentExportRoutes } from './document-export.ts';
import { v2ProcessingRoutes } from './processing.ts';
import { v2TaskRoutes } from './tasks.ts';
import { v2UploadRoutes } from './uploads.ts';

/** Every route of the original FileIntel contract (/api/v2), each a thin layer over the services the native API uses. */
export function compatRoutes(deps: ApiDeps): Router {
  const router = Router();
  // batch-process before /collections/:collection/... so "batch-process" is never taken for a collection.
  router.use(v2ProcessingRoutes(deps));
  router.use(v2CollectionRoutes(deps));
  router.use(v2DocumentExportRoutes(deps));
  router.use(v2UploadRoutes(deps));
  router.use(v2TaskRoutes(deps));
  return router;
}
