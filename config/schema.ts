import { z } from 'zod';
import { missingLanguages } from '../activities/extraction/ocr/languages.ts';

/** A duration written as `<number><unit>` (ms, s, m, h, d), kept in milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 15m, 1h or 7d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms'];
    return Number(amount) * unitMs;
  });

/** The task queues a worker process can serve, by kind (see worker/queues.ts). */
export const WORKER_QUEUES = ['workflows', 'documents'] as const;
export type WorkerQueue = (typeof WORKER_QUEUES)[number];

const positiveInt = (max = 1_000_000) => z.number().int().min(1).max(max);
/** A duration above zero: a bound that must hold (0 would mean none). */
const positiveDuration = duration.refine((ms) => ms > 0, 'a duration above zero, such as 10s');
const port = z.number().int().min(0).max(65_535);
/** Where a metrics endpoint listens, `host:port` (`[::1]:9464` for IPv6); "" (or an empty variable) turns it off. */
const listenAddress = z.preprocess(
  (value) => (value === null ? '' : value),
  z.union([
    z.literal(''),
    z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, such as 127.0.0.1:9464, or "" for off'),
  ]),
);

export const configSchema = z
  .object({
    api_host: z.string().min(1),
    api_port: port,
    max_json_body_kb: positiveInt(100_000),
    api_metrics_address: listenAddress,
    worker_metrics_address: listenAddress,

    temporal_namespace: z.string().min(1),
    task_queue: z.string().min(1),
    document_task_queue: z.string().min(1),
    // A list, or "workflows,documents" as FILEINTEL_WORKER_QUEUES and --queues give it.
    worker_queues: z.preprocess(
      (value) =>
        typeof value === 'string'
          ? value
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean)
          : value,
      z
        .array(
          z.enum(WORKER_QUEUES, {
            error: (issue) => `unknown queue ${JSON.stringify(issue.input)}; choose from ${WORKER_QUEUES.join(', ')}`,
          }),
        )
        .min(1),
    ),
    // auto: a worker makes its build current when it is the newest; manual: operators promote; off: unversioned.
    worker_versioning: z.enum(['auto', 'manual', 'off']),
    deployment_name: z.string().min(1),
    // "" = derived from the workflow bundle (a change of workflow code is a new build).
    build_id: z.string(),
    max_concurrent_workflow_tasks: positiveInt(10_000),
    max_concurrent_bookkeeping_activities: positiveInt(1_000),
    fairness: z.boolean(),
    // The largest fairness weight of a small collection's run (workflows/fairness-weight.ts); 1: equal shares.
    fairness_max_weight: positiveInt(1_000),
    // Temporal's default range: 1 (first) to 5 (last).
    interactive_priority: z.number().int().min(1).max(5),
    batch_priority: z.number().int().min(1).max(5),

    max_upload_batch_size: positiveInt(10_000),
    max_file_size_mb: positiveInt(100_000),
    max_upload_request_mb: positiveInt(1_000_000),
    max_concurrent_uploads: positiveInt(256),
    max_archive_uncompressed_mb: positiveInt(1_000_000),
    max_archive_ratio: positiveInt(100_000),
    max_archive_entries: positiveInt(10_000_000),

    // A batch's history holds ~10 events per collection: 200 keeps it far below Temporal's limits.
    max_processing_batch_size: positiveInt(200),
    max_cancel_batch_size: positiveInt(10_000),
    page_size: positiveInt(10_000),
    max_concurrent_documents: positiveInt(1_000),
    // 0 turns groups off: every document gets its own documentProcessing workflow.
    small_document_mb: z.number().min(0).max(1_000),
    group_max_documents: positiveInt(1_000),
    group_max_mb: z.number().positive().max(10_000),
    max_parallel_collections: positiveInt(1_000),
    chunk_size: positiveInt(1_000_000).min(50),
    chunk_overlap: z.number().int().min(0),
    chunk_max_tokens: positiveInt(100_000),
    pdf_pages_per_range: positiveInt(100_000),
    epub_chapters_per_range: positiveInt(100_000),
    text_chars_per_range: positiveInt(1_000_000_000).min(10_000),
    // 0: every HTML file is streamed.
    html_dom_max_mb: z.number().min(0).max(1_000),
    document_heartbeat_timeout_seconds: positiveInt(3_600),
    text_worker_threads: z.number().int().min(0).max(256),
    ocr_enabled: z.boolean(),
    // Tesseract language codes (eng, deu, fra …), each from the npm package @tesseract.js-data/<code>.
    ocr_languages: z
      .array(z.string().regex(/^[a-z][a-z0-9_]*$/i, 'a Tesseract language code such as eng or chi_sim'))
      .min(1),

    embedding_provider: z.enum(['hashing', 'openai']),
    embedding_dimension: positiveInt(8_192).min(16),
    embedding_batch_size: positiveInt(2_048),
    openai_base_url: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
    openai_embedding_model: z.string().min(1),
    openai_chat_model: z.string(),
    openai_timeout_seconds: positiveInt(3_600),
    reembedding_documents_per_activity: positiveInt(10_000),

    llm_base_url: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
    llm_model: z.string(),
    llm_timeout_seconds: positiveInt(3_600),
    query_default_k: positiveInt(1_000),
    query_context_chars: positiveInt(1_000_000).min(500),

    search_default_k: positiveInt(1_000),
    search_max_k: positiveInt(1_000),
    search_max_query_chars: positiveInt(100_000),
    // Candidates each signal hands to fusion (never fewer than k).
    search_candidates: positiveInt(10_000),
    search_rrf_k: z.number().min(0).max(10_000),
    search_common_word_chunks: positiveInt(1_000_000_000),
    search_text_rank_limit: positiveInt(10_000_000),
    search_text_weight: z.number().min(0).max(100),
    search_vector_weight: z.number().min(0).max(100),
    search_hnsw_ef_search: positiveInt(1_000),

    db_pool_size: positiveInt(1_000),
    db_connect_timeout: positiveDuration,
    db_statement_timeout: positiveDuration,
    db_request_timeout: positiveDuration,
    max_concurrent_activities: positiveInt(1_000),

    data_dir: z.string().min(1),
    storage_dir: z.string().min(1),
    staging_dir: z.string().min(1),
    staging_ttl: duration,
    reconcile_interval: duration,
    sweep_interval: duration,
    closed_workflow_check_interval: duration,

    storage_backend: z.enum(['local', 's3']),
    // "" = the AWS endpoint of s3_region.
    s3_endpoint: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
    s3_region: z.string().min(1),
    s3_bucket: z.string(),
    s3_force_path_style: z.boolean(),
    // Keys start with it, e.g. "fileintel/"; "" = the bucket's root.
    s3_prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'empty, or folder names each ending in "/", e.g. fileintel/'),

    callback_allowed_hosts: z.array(z.string().min(1)),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.chunk_overlap >= config.chunk_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['chunk_overlap'],
        message: `must be smaller than chunk_size (${config.chunk_size})`,
      });
    }
    if (config.embedding_provider === 'openai' && config.openai_base_url === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['openai_base_url'],
        message: 'must be set when embedding_provider is openai',
      });
    }
    if (config.llm_base_url !== '' && config.llm_model === '') {
      ctx.addIssue({ code: 'custom', path: ['llm_model'], message: 'must be set when llm_base_url is set' });
    }
    if (config.query_default_k > config.search_max_k) {
      const message = `must not exceed search_max_k (${config.search_max_k})`;
      ctx.addIssue({ code: 'custom', path: ['query_default_k'], message });
    }
    if (config.search_default_k > config.search_max_k) {
      const message = `must not exceed search_max_k (${config.search_max_k})`;
      ctx.addIssue({ code: 'custom', path: ['search_default_k'], message });
    }
    if (config.search_text_weight + config.search_vector_weight === 0) {
      const message = 'search_text_weight and search_vector_weight must not both be 0';
      ctx.addIssue({ code: 'custom', path: ['search_vector_weight'], message });
    }
    if (config.storage_backend === 's3' && config.s3_bucket === '') {
      ctx.addIssue({ code: 'custom', path: ['s3_bucket'], message: 'must be set when storage_backend is s3' });
    }
    // Every activity slot may hold a connection: more slots than connections
    // would queue work on the pool instead of on Temporal.
    if (config.document_task_queue === config.task_queue) {
      const message = `must differ from task_queue (${config.task_queue})`;
      ctx.addIssue({ code: 'custom', path: ['document_task_queue'], message });
    }
    const missing = config.ocr_enabled ? missingLanguages(config.ocr_languages) : [];
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocr_languages'],
        message:
          `no language data installed for ${missing.join(', ')}: install ${missing.map((code) => `@tesseract.js-data/${code}`).join(' ')} ` +
          'with npm, remove the language, or set ocr_enabled: false',
      });
    }
    if (config.max_concurrent_activities > config.db_pool_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_concurrent_activities'],
        message: `must not exceed db_pool_size (${config.db_pool_size})`,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
