import { z } from 'zod';

/**
 * The three processing options and their one default each, for every request
 * that starts an analysis, on both versions: `POST /collections/{c}/process`,
 * `POST /collections/batch-process` (each task), `upload-and-process` (form
 * fields) and v2's `documents/add`. The defaults are the original FileIntel's
 * (its TaskSubmissionRequest and upload-and-process form: everything on), so
 * v2 answers its clients as before; v3 shares them. Our CLI always sends
 * build_graph (`--graph`), so it is unaffected.
 */
export const PROCESSING_DEFAULTS = {
  build_graph: true,
  extract_metadata: true,
  generate_embeddings: true,
} as const;

export type ProcessingOptionName = keyof typeof PROCESSING_DEFAULTS;
export const PROCESSING_OPTION_NAMES = Object.keys(PROCESSING_DEFAULTS) as ProcessingOptionName[];

/** The options as JSON body fields: booleans, absent means the default. Spread into a body's z.object. */
export const ProcessingOptionFields = {
  build_graph: z.boolean().default(PROCESSING_DEFAULTS.build_graph),
  extract_metadata: z.boolean().default(PROCESSING_DEFAULTS.extract_metadata),
  generate_embeddings: z.boolean().default(PROCESSING_DEFAULTS.generate_embeddings),
};
