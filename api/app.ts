import express, { type ErrorRequestHandler, type Express } from 'express';
import { requireApiKey } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { sendError } from './envelope.ts';
import { ApiError } from './errors.ts';
import { batchRoutes } from './routes/batches.ts';
import { collectionRoutes } from './routes/collections.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { taskRoutes } from './routes/tasks.ts';
import { analysisRoutes } from './routes/analysis.ts';
import { documentReadRoutes } from './routes/documents.ts';
import { taskStatusRoutes } from './routes/tasks-status.ts';

export const API_BASE = '/api/v2';

/** The Express app: every route under /api/v2, one envelope for every answer. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const api = express.Router();
  if (deps.apiKey) api.use(requireApiKey(deps.apiKey));
  api.use(express.json({ limit: deps.config.max_json_body_kb * 1024 }));
  api.use(healthRoutes(deps));
  api.use(openApiRoutes());
  api.use(batchRoutes(deps));
  api.use(collectionRoutes(deps));
  api.use(uploadRoutes(deps));
  api.use(taskRoutes(deps));
  api.use(analysisRoutes(deps));
  api.use(taskStatusRoutes(deps));
  api.use(documentReadRoutes(deps));
  api.use((req, res) => sendError(res, 404, 'route_not_found', `no route ${req.method} ${API_BASE}${req.path}`));

  app.use(API_BASE, api);
  app.use((req, res) => sendError(res, 404, 'route_not_found', `no route ${req.method} ${req.path}; the API lives under ${API_BASE}`));
  app.use(errorHandler);
  return app;
}

/** Turns anything thrown into the error envelope; only the unexpected is a 500. */
const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return;
  if (error instanceof ApiError) return sendError(res, error.status, error.code, error.message, error.details);
  // body-parser's own errors carry a status and a type.
  const type = (error as { type?: string }).type;
  if (type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', `request body is not valid JSON: ${error.message}`);
  if (type === 'entity.too.large') {
    return sendError(res, 413, 'limit_exceeded', `JSON body larger than max_json_body_kb (${(error as { limit: number }).limit} bytes)`, {
      limit: 'max_json_body_kb',
      allowed: (error as { limit: number }).limit,
      actual: (error as { length?: number }).length ?? null,
    });
  }
  if (isTemporalUnavailable(error)) {
    return sendError(res, 503, 'temporal_unavailable', 'Temporal is not reachable right now; try again shortly');
  }
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, status, 'bad_request', error.message);
  console.error(`[api] ${req.method} ${req.originalUrl} failed:`, error);
  sendError(res, 500, 'internal_error', 'internal error; the server log has the details');
};

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), on the error or any of its causes. */
function isTemporalUnavailable(error: unknown): boolean {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (typeof current === 'object' && (current.code === 14 || current.code === 4) && 'metadata' in current) return true;
  }
  return false;
}
