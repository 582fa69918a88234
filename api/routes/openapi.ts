import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { registry } from '../openapi/registry.ts';
import { API_V2_PREFIX, API_V3_PREFIX } from '../prefixes.ts';

/** The OpenAPI 3.1 document of both versions (v3 native, v2 the original contract), generated from the zod schemas that validate requests. */
function buildOpenApiDocument() {
  registry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'FileIntel API',
      version: '3.0.0',
      description: `Document intelligence batch pipelines on Temporal. ${API_V3_PREFIX} is the native API; ${API_V2_PREFIX} speaks the original FileIntel contract (its bodies, fields and Celery task states).`,
    },
    servers: [{ url: '/' }],
    security: [{ ApiKey: [] }],
  });
}

export function openApiRoutes(): Router {
  const router = Router();
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= buildOpenApiDocument();
    res.json(document);
  });
  return router;
}
