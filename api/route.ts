import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { ApiError } from './errors.ts';
import { NATIVE } from './envelope.ts';
import { registry } from './openapi/registry.ts';

/**
 * How one API version mounts and wraps its routes: the path prefix its
 * OpenAPI entries carry, the body a success is sent as, and the schemas the
 * document shows for success and error bodies.
 */
export interface ApiFlavour {
  prefix: string;
  successBody(data: unknown, res?: Response): unknown;
  envelopeSchema(data: z.ZodType): z.ZodType;
  errorSchema: z.ZodType;
}

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: the body, query or path failed validation',
  401: 'Missing or wrong X-API-Key',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'A size or count limit was exceeded',
  415: 'Unsupported media type',
  422: 'Understood but cannot be processed',
  503: 'A dependency is unavailable',
};

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, D extends z.ZodType> {
  method: Method;
  /** Express-style path below the version prefix, e.g. `/collections/:id`. */
  path: string;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** `multipart` documents a multipart/form-data body handled by the route's own middleware. */
  multipart?: z.ZodType;
  /** Data schema of the success envelope. */
  data: D;
  successStatus?: number;
  errors?: number[];
  /** Middleware run before validation (e.g. the upload parser). */
  before?: RequestHandler[];
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * Declares a route once, for one API version: the zod schemas validate the
 * request, type the handler's input and become the route's OpenAPI entry
 * (under the version's prefix). The handler returns the data of a success
 * envelope (in the version's shape), or throws an ApiError.
 */
export function routeFor(flavour: ApiFlavour) {
  return <
    P extends z.ZodType = z.ZodUnknown,
    Q extends z.ZodType = z.ZodUnknown,
    B extends z.ZodType = z.ZodUnknown,
    D extends z.ZodType = z.ZodUnknown,
  >(
    router: Router,
    spec: RouteSpec<P, Q, B, D>,
    handler: RouteHandler<P, Q, B, D>,
  ): void => declareRoute(flavour, router, spec, handler);
}

/** Declares a native (v3) route. */
export const route = routeFor(NATIVE);

export type RouteHandler<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, D extends z.ZodType> = (
  input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>,
) => Promise<z.input<D> | Response> | z.input<D>;

/** `routeFor(flavour)` called at once. */
export function declareRoute<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
  D extends z.ZodType = z.ZodUnknown,
>(flavour: ApiFlavour, router: Router, spec: RouteSpec<P, Q, B, D>, handler: RouteHandler<P, Q, B, D>): void {
  registerOpenApi(flavour, spec);
  const validate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const params = spec.params ? parseOrThrow(spec.params, req.params, 'path') : req.params;
      const query = spec.query ? parseOrThrow(spec.query, req.query, 'query') : req.query;
      const body = spec.body ? parseOrThrow(spec.body, req.body ?? {}, 'body') : req.body;
      const data = await handler({ params, query, body, req, res } as RouteInput<
        z.output<P>,
        z.output<Q>,
        z.output<B>
      >);
      if (res.headersSent) return;
      res.status(spec.successStatus ?? 200).json(flavour.successBody(data, res));
    } catch (error) {
      next(error);
    }
  };
  router[spec.method](spec.path, ...(spec.before ?? []), validate);
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ApiError(
    400,
    'validation_error',
    `invalid ${where}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    { fields },
  );
}

const registeredPaths = new Set<string>();

function registerOpenApi(flavour: ApiFlavour, spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>): void {
  // Apps are built more than once in tests; the document must list each route once.
  const key = `${spec.method} ${flavour.prefix}${spec.path}`;
  if (registeredPaths.has(key)) return;
  registeredPaths.add(key);
  const responses: RouteConfig['responses'] = {
    [spec.successStatus ?? 200]: {
      description: 'Success',
      content: { 'application/json': { schema: flavour.envelopeSchema(spec.data) } },
    },
  };
  const errorStatuses = new Set([...(spec.errors ?? []), 401]);
  if (spec.params || spec.query || spec.body || spec.multipart) errorStatuses.add(400);
  for (const status of errorStatuses) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: flavour.errorSchema } },
    };
  }
  const request: RouteConfig['request'] = {};
  if (spec.params) request.params = spec.params as never;
  if (spec.query) request.query = spec.query as never;
  if (spec.body) request.body = { required: true, content: { 'application/json': { schema: spec.body } } };
  if (spec.multipart) request.body = { required: true, content: { 'multipart/form-data': { schema: spec.multipart } } };
  registry.registerPath({
    method: spec.method,
    path: flavour.prefix + spec.path.replace(/:(\w+)/g, '{$1}'),
    summary: spec.summary,
    tags: spec.tags,
    request,
    responses,
  });
}
