// The API's Prometheus metrics (prom-client), one registry per API instance.
// Request latency and upload volume are counted by this process as requests
// pass; what lives in the database (documents by status, failures by reason,
// collections by their last analysis's outcome) is read at scrape time with
// one grouped query, so every API replica reports the same truth
// (docs/OBSERVABILITY.md).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { limitDatabaseWaits, type Sql } from '../../db/pool.ts';
import { CollectionStatus, DocumentStatus } from '../schemas/collections.ts';

/** A scrape waits on the database at most this long; then the database gauges are left out of that scrape. */
export const SCRAPE_DATABASE_TIMEOUT_MS = 2_000;

// The statuses the API's own schemas name: one list each.
const DOCUMENT_STATUSES = DocumentStatus.options;
const COLLECTION_STATUSES = CollectionStatus.options;
/** The reasons a step names after its own name (`extract: corrupt_file: …`); any other text is counted by its class below. */
const STEP_REASONS = ['unsupported_type', 'corrupt_file', 'encrypted', 'no_text', 'too_large', 'timeout'] as const;

/**
 * One query, grouped: documents by status, failed documents by step and
 * reason class, collections by status. The reason class comes from the
 * error's text: `<step>: <reason>: …` for the named reasons, the database
 * refusing the text, an operator's terminate, a timeout, a cancel, else
 * `other`; the step is the text's first word before `: ` (`workflow` for a
 * document workflow closed from outside). Both labels are bounded.
 */
const DATABASE_COUNTS = `
  SELECT 'documents' AS metric, status AS a, '' AS b, count(*)::int AS n FROM documents GROUP BY status
  UNION ALL
  SELECT 'failed',
    coalesce(substring(error from '^([a-z_]{1,32}): '),
             CASE WHEN error LIKE 'document workflow %' THEN 'workflow' ELSE 'other' END),
    CASE
      WHEN error ~ '^[a-z_]{1,32}: (${STEP_REASONS.join('|')}): ' THEN substring(error from '^[a-z_]{1,32}: ([a-z_]+): ')
      WHEN error LIKE '%the database refused%' THEN 'database_refused'
      WHEN error LIKE '%terminated by an operator%' THEN 'terminated'
      WHEN error LIKE '%timed out%' THEN 'timed_out'
      WHEN error LIKE '%cancel%' THEN 'cancelled'
      ELSE 'other'
    END,
    count(*)::int
  FROM documents WHERE status = 'failed' GROUP BY 2, 3
  UNION ALL
  SELECT 'collections', status, '', count(*)::int FROM collections GROUP BY status`;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly sql: Sql;

  readonly requestDuration = new Histogram({
    name: 'fileintel_http_request_duration_seconds',
    help: 'HTTP requests of the API by method, route template and status, and how long each took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly uploadFiles = new Counter({
    name: 'fileintel_upload_files_total',
    help: 'Files received by upload requests (streamed to staging), by whether the request answered 2xx',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'fileintel_upload_bytes_total',
    help: 'Bytes of the files received by upload requests, by whether the request answered 2xx',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly documents = new Gauge({
    name: 'fileintel_documents',
    help: 'Documents by status, read from the database at scrape time (queued: taken by an analysis, not started)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly failed = new Gauge({
    name: 'fileintel_documents_failed',
    help: 'Failed documents by the step that failed and the reason class of their error, read at scrape time',
    labelNames: ['step', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly collections = new Gauge({
    name: 'fileintel_collections',
    help: "Collections by status: processing, or their last analysis's outcome; read at scrape time",
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly databaseUp = new Gauge({
    name: 'fileintel_metrics_database_up',
    help: '1 when this scrape read the database counts, 0 when the query failed or timed out (they are left out)',
    registers: [this.registry],
  });

  constructor(sql: Sql) {
    this.sql = limitDatabaseWaits(sql, { name: 'metrics scrape', ms: SCRAPE_DATABASE_TIMEOUT_MS });
    collectDefaultMetrics({ register: this.registry, prefix: 'fileintel_api_' });
  }

  /** The exposition text: the database counts read now, then every metric. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    await this.readDatabaseCounts();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private async readDatabaseCounts(): Promise<void> {
    let rows: { metric: string; a: string; b: string; n: number }[] | undefined;
    try {
      rows = await this.sql.unsafe(DATABASE_COUNTS);
    } catch {
      rows = undefined;
    }
    // Reset and set with no await between, so a scrape running beside this one never serialises a half-set state.
    this.documents.reset();
    this.failed.reset();
    this.collections.reset();
    this.databaseUp.set(rows ? 1 : 0);
    if (!rows) return;
    // Every status is present, 0 when no row has it, so rates and deltas start from zero.
    for (const status of DOCUMENT_STATUSES) this.documents.set({ status }, 0);
    for (const status of COLLECTION_STATUSES) this.collections.set({ status }, 0);
    for (const { metric, a, b, n } of rows) {
      if (metric === 'documents') this.documents.set({ status: a }, n);
      else if (metric === 'failed') this.failed.set({ step: a, reason: b }, n);
      else this.collections.set({ status: a }, n);
    }
  }
}
