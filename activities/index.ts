import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import type { DocumentStorage, StagingArea } from '../storage/document-storage.ts';
import { createBatchActivities } from './batch.ts';
import { createClosedRunActivities } from './closed-runs.ts';
import { createCollectionAnalysisActivities } from './collection-analysis.ts';
import { createDocumentProcessingActivities } from './document-processing/index.ts';
import { createQueryActivities } from './query/index.ts';
import { createReembeddingActivities } from './reembedding/index.ts';
import { createStorageReconciliationActivities } from './storage-reconciliation.ts';
import { createTextWorkPool, type TextWork } from './text-work/pool.ts';

export interface ActivityDeps {
  config: Config;
  sql: Sql;
  storage: DocumentStorage;
  staging: StagingArea;
  /** Worker threads for CPU-heavy document work; made from config when not given. */
  textWork?: TextWork;
}

/** Every activity the worker registers, built from its dependencies (no globals). */
export function createActivities(deps: ActivityDeps) {
  const textWork = deps.textWork ?? createTextWorkPool(deps.config);
  return {
    ...createStorageReconciliationActivities({ ...deps, stagingTtlMs: deps.config.staging_ttl }),
    ...createDocumentProcessingActivities({ ...deps, textWork }),
    ...createCollectionAnalysisActivities(deps),
    ...createBatchActivities(deps),
    ...createClosedRunActivities(deps),
    ...createQueryActivities(deps),
    ...createReembeddingActivities({ ...deps, textWork }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
