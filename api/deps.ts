import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import type { DocumentStorage, StagingArea } from '../storage/document-storage.ts';
import type { ApiMetrics } from './observability/metrics.ts';

/** What the routes need, handed in by whoever builds the app (server or test). */
export interface ApiDeps {
  config: Config;
  sql: Sql;
  temporal: Client;
  storage: DocumentStorage;
  staging: StagingArea;
  /** When set, every route but health requires this X-API-Key. */
  apiKey?: string;
  /** When set, requests are measured into it (served by api/observability/metrics-server.ts). */
  metrics?: ApiMetrics;
}
