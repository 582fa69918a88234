import { z } from 'zod';
import { registry } from '../openapi/registry.ts';
import { acceptedExtensionsText } from '../../common/formats.ts';
import { PROCESSING_DEFAULTS } from './processing-options.ts';
import { REFUSAL_REASONS } from '../uploads/refusal-reasons.ts';

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const BOOLEAN_WORDS = [...TRUE_WORDS, 'false', '0', 'no', 'off'] as const;

/** A multipart text field read as a boolean; absent means the default. */
const formBoolean = (byDefault: boolean) =>
  z
    .enum(BOOLEAN_WORDS)
    .optional()
    .transform((word) => (word === undefined ? byDefault : TRUE_WORDS.includes(word)));

/** Text fields of POST /collections/{c}/documents (validated after the file parts streamed). */
export const SingleUploadForm = z.object({}).strict();

/** Text fields of POST /collections/{c}/upload-and-process. */
export const BatchUploadForm = z
  .object({
    process_immediately: formBoolean(true),
    build_graph: formBoolean(PROCESSING_DEFAULTS.build_graph),
    extract_metadata: formBoolean(PROCESSING_DEFAULTS.extract_metadata),
    generate_embeddings: formBoolean(PROCESSING_DEFAULTS.generate_embeddings),
    atomic: formBoolean(true),
  })
  .strict();
export const BATCH_UPLOAD_TEXT_FIELDS = [
  'process_immediately',
  'build_graph',
  'extract_metadata',
  'generate_embeddings',
  'atomic',
] as const;

const binary = z.string().openapi({ type: 'string', format: 'binary' });
const booleanWord = z.enum(['true', 'false']).optional();

export const SingleUploadMultipart = z.object({
  file: binary.openapi({ description: `The document (${acceptedExtensionsText()})` }),
});
export const BatchUploadMultipart = z.object({
  files: z
    .array(binary)
    .openapi({ description: 'The documents, one part each (repeat the field); at most max_upload_batch_size' }),
  process_immediately: booleanWord.openapi({ description: 'Start analysis of the stored documents (default true)' }),
  build_graph: booleanWord.openapi({ description: `default ${PROCESSING_DEFAULTS.build_graph}` }),
  extract_metadata: booleanWord.openapi({ description: `default ${PROCESSING_DEFAULTS.extract_metadata}` }),
  generate_embeddings: booleanWord.openapi({ description: `default ${PROCESSING_DEFAULTS.generate_embeddings}` }),
  atomic: booleanWord.openapi({
    description:
      'true (default): one refused file refuses the request and nothing is stored; false: store the good files',
  }),
});

const reasonCodes = ['duplicate_in_collection', 'duplicate_in_request', ...Object.keys(REFUSAL_REASONS)] as [
  string,
  ...string[],
];

export const UploadedFile = registry.register(
  'UploadedFile',
  z.object({
    filename: z.string().openapi({ description: 'The sanitised name, for display only' }),
    outcome: z.enum(['stored', 'duplicate', 'rejected']),
    size_bytes: z.number().int(),
    sha256: z.string().nullable(),
    document_id: z
      .string()
      .optional()
      .openapi({ description: 'The stored document, or the existing one a duplicate matches' }),
    reason: z.enum(reasonCodes).optional().openapi({ description: 'Stable code for duplicates and rejections' }),
    message: z.string().optional(),
  }),
);

export const UploadCounts = z.object({
  total: z.number().int(),
  stored: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
});

export const UploadResult = registry.register(
  'UploadResult',
  z.object({
    collection_id: z.string(),
    atomic: z.boolean(),
    files: z.array(UploadedFile),
    counts: UploadCounts,
    task_id: z
      .string()
      .nullable()
      .openapi({ description: 'The analysis workflow started for the stored documents, if any' }),
    processing: z.object({ requested: z.boolean(), started: z.boolean(), reason: z.string().optional() }),
  }),
);

export const UploadLimits = z.object({
  max_upload_batch_size: z.number().int(),
  max_file_size_bytes: z.number().int(),
  max_upload_request_bytes: z.number().int(),
  max_concurrent_uploads: z.number().int(),
  allowed_extensions: z.array(z.string()),
});

export const DeletedDocument = z.object({ id: z.string(), collection_id: z.string(), filename: z.string() });
