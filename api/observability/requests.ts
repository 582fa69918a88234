// Per-request observation: the latency histogram and upload counters
// (ApiMetrics), and a SERVER span per request when tracing is on
// (common/tracing.ts) whose context the rest of the request runs in, so the
// Temporal client's interceptor carries it into the workflows it starts.
import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import { API_V2_PREFIX, API_V3_PREFIX } from '../prefixes.ts';
import type { ApiMetrics } from './metrics.ts';

/**
 * The route template a request matched, with its version prefix
 * (`/api/v3/collections/:collection/upload-and-process`), so labels stay
 * bounded; `unmatched` for a path no route declares (404s, probes).
 */
export function routeOf(req: Request): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof template !== 'string') return 'unmatched';
  const url = req.originalUrl;
  const prefix = [API_V3_PREFIX, API_V2_PREFIX].find((base) => url === base || url.startsWith(`${base}/`)) ?? '';
  return `${prefix}${template}`;
}

/** Calls `done` once, when the response is sent or the connection closes first. */
function onceFinished(res: Response, done: () => void): void {
  let called = false;
  const finish = () => {
    if (called) return;
    called = true;
    done();
  };
  res.once('finish', finish);
  res.once('close', finish);
}

/** Files an upload request streamed to staging (res.locals.upload, set by the upload steps), if any. */
function receivedFiles(res: Response): { sizeBytes: number }[] {
  const files = (res.locals as { upload?: { files?: unknown } }).upload?.files;
  return Array.isArray(files) ? files.filter((file) => typeof file?.sizeBytes === 'number') : [];
}

export function measureRequests(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    onceFinished(res, () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A connection closed before an answer was sent counts as 499, as nginx says it.
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.requestDuration.observe({ method: req.method, route: routeOf(req), status: String(status) }, seconds);
      const files = receivedFiles(res);
      if (files.length > 0) {
        const result = status >= 200 && status < 300 ? 'accepted' : 'refused';
        metrics.uploadFiles.inc({ result }, files.length);
        metrics.uploadBytes.inc(
          { result },
          files.reduce((total, file) => total + file.sizeBytes, 0),
        );
      }
    });
    next();
  };
}

/**
 * A SERVER span per request, child of the caller's `traceparent` when it
 * sends one; named `<METHOD> <route template>` once the route is known. The
 * request's own events (body chunks, multer's callbacks) are bound to its
 * context too, so handlers reached through them still see the span.
 */
export function traceRequests(): RequestHandler {
  const tracer = trace.getTracer('fileintel-api');
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers as IncomingHttpHeaders);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    onceFinished(res, () => {
      const route = routeOf(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
