import express, { type Express, type Router } from 'express';
import { activeTracing } from '../common/tracing.ts';
import { limitDatabaseWaits } from '../db/pool.ts';
import { requireApiKey } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { errorHandlerFor, nativeErrorHandler } from './error-handler.ts';
import { ApiError } from './errors.ts';
import { batchRoutes } from './routes/batches.ts';
import { collectionRoutes } from './routes/collections.ts';
import { measureRequests, traceRequests } from './observability/requests.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { taskRoutes } from './routes/tasks.ts';
import { analysisRoutes } from './routes/analysis.ts';
import { documentRoutes } from './routes/documents.ts';
import { queryRoutes } from './routes/query.ts';
import { reembeddingRoutes } from './routes/reembedding.ts';
import { searchRoutes } from './routes/search.ts';
import { API_V2_PREFIX, API_V3_PREFIX } from './prefixes.ts';
import { sendV2Error } from './v2/envelope.ts';
import { compatRoutes } from './v2/routes/index.ts';

/** The native API: envelope, RUNNING/COMPLETED…, per-file outcomes, page tokens. Our CLI and client use it. */
export const API_BASE = API_V3_PREFIX;
/** The original FileIntel contract, so its CLI and scripts keep working. */
export const API_V2_BASE = API_V2_PREFIX;

/** The Express app: the native API under /api/v3, the original FileIntel contract under /api/v2. */
export function createApp(deps: ApiDeps): Express {
  // A request waits on the database at most db_request_timeout at a time, then answers 503 (api/error-handler.ts).
  const limit = { name: 'db_request_timeout', ms: deps.config.db_request_timeout };
  deps = { ...deps, sql: limitDatabaseWaits(deps.sql, limit) };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // First, so they see every request, the refused and the unrouted too (docs/OBSERVABILITY.md).
  if (activeTracing()) app.use(traceRequests());
  if (deps.metrics) app.use(measureRequests(deps.metrics));

  const native = versionRouter(deps);
  native.use(healthRoutes(deps));
  native.use(openApiRoutes());
  native.use(batchRoutes(deps));
  native.use(collectionRoutes(deps));
  native.use(uploadRoutes(deps));
  native.use(taskRoutes(deps));
  native.use(analysisRoutes(deps));
  native.use(documentRoutes(deps));
  native.use(searchRoutes(deps));
  native.use(queryRoutes(deps));
  native.use(reembeddingRoutes(deps));
  native.use(routeNotFound(API_BASE));

  const compat = versionRouter(deps);
  compat.use(openApiRoutes());
  compat.use(compatRoutes(deps));
  compat.use(routeNotFound(API_V2_BASE));

  app.use(API_BASE, native, nativeErrorHandler);
  app.use(API_V2_BASE, compat, errorHandlerFor(sendV2Error));
  app.use((req, _res, next) =>
    next(
      new ApiError(
        404,
        'route_not_found',
        `no route ${req.method} ${req.path}; the API lives under ${API_BASE} (and ${API_V2_BASE} for FileIntel's original clients)`,
      ),
    ),
  );
  app.use(nativeErrorHandler);
  return app;
}

/** A version's router: the API key (when set) and JSON bodies up to max_json_body_kb. */
function versionRouter(deps: ApiDeps): Router {
  const router = express.Router();
  if (deps.apiKey) router.use(requireApiKey(deps.apiKey));
  router.use(express.json({ limit: deps.config.max_json_body_kb * 1024 }));
  return router;
}

function routeNotFound(base: string): express.RequestHandler {
  return (req, _res, next) => next(new ApiError(404, 'route_not_found', `no route ${req.method} ${base}${req.path}`));
}
