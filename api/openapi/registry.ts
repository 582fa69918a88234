import { extendZodWithOpenApi, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

/** Filled by the route files as they declare their routes; read by the document generator. */
export const registry = new OpenAPIRegistry();

export const ErrorBody = registry.register(
  'ErrorBody',
  z.object({
    success: z.literal(false),
    error: z.object({
      code: z.string().openapi({ example: 'validation_error' }),
      message: z.string(),
      details: z.unknown().nullable(),
    }),
    timestamp: z.string(),
  }),
);

/** The success envelope around a route's data schema. */
export function envelopeOf<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data, timestamp: z.string() });
}
