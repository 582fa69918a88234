import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import {
  advanceAnalysisRun,
  anotherAnalysisRunning,
  beginRun,
  currentAnalysisRun,
  selectedPage,
  setCollectionOutcome,
} from '../db/queries/analysis.ts';
import { collectionExists } from '../db/queries/collections.ts';
import { cancelDocumentsInWork } from '../db/queries/document-runs.ts';
import { reconcileCollectionGraph } from '../db/queries/graph.ts';
import type {
  CollectionOutcome,
  DocumentSelection,
  UnitDocument,
  WorkUnit,
} from '../workflows/collection-analysis-contract.ts';
import { isPaged } from './extraction/index.ts';
import { workflowIds } from '../workflows/ids.ts';
import { recordProviderOrReembed } from './reembedding/after-analysis.ts';
import { mergeTextSearchPendingList, refreshSearchStatistics } from '../db/queries/search.ts';

export interface CollectionAnalysisDeps {
  config: Config;
  sql: Sql;
}

export interface DocumentPage {
  documents: { id: string; filename: string }[];
  /** The worker's page_size and max_concurrent_documents: config stays in the worker, not in workflow input. */
  pageSize: number;
  concurrency: number;
}

/** The next page of the sliding window, cut into units of work. */
export interface WorkPage {
  units: WorkUnit[];
  /** The last document of the page: the next page starts after it. */
  lastId: string | null;
  /** False when this page was the last one. */
  more: boolean;
  /** The worker's max_concurrent_documents (config stays in the worker, not in workflow input). */
  concurrency: number;
  /** The worker's document_heartbeat_timeout_seconds, in ms: how soon a dead worker's document is retried. */
  heartbeatTimeoutMs?: number;
  /** The worker's closed_workflow_check_interval, in ms: how soon a document workflow closed without reporting is settled. */
  closedChildCheckMs?: number;
}

const MB = 1024 * 1024;

/**
 * Cuts a page into units: a paged format (a PDF: it may be split into page ranges) or a
 * document of `small_document_mb` or more gets its own workflow; the small
 * ones go in groups of at most `group_max_documents` and `group_max_mb`.
 * Workflows come first, so a slow document starts early and the small ones
 * flow past it.
 */
export function workUnitsOf(
  documents: (UnitDocument & { mime_type: string; size_bytes: number })[],
  config: Pick<Config, 'small_document_mb' | 'group_max_documents' | 'group_max_mb'>,
): WorkUnit[] {
  const workflows: WorkUnit[] = [];
  const groups: WorkUnit[] = [];
  let group: UnitDocument[] = [];
  let groupBytes = 0;
  const flush = () => {
    if (group.length > 0) groups.push({ kind: 'group', documents: group });
    group = [];
    groupBytes = 0;
  };
  for (const { id, filename, mime_type, size_bytes } of documents) {
    const document = { id, filename };
    const small = size_bytes < config.small_document_mb * MB && !isPaged(mime_type, filename);
    if (!small) {
      workflows.push({ kind: 'workflow', document });
      continue;
    }
    if (
      group.length >= config.group_max_documents ||
      (group.length > 0 && groupBytes + size_bytes > config.group_max_mb * MB)
    )
      flush();
    group.push(document);
    groupBytes += size_bytes;
  }
  flush();
  return [...workflows, ...groups];
}

/** The collection-level steps of collectionAnalysis; each idempotent. */
export function createCollectionAnalysisActivities(deps: CollectionAnalysisDeps) {
  const { config, sql } = deps;

  const nextCollectionAnalysisRun = async (input: {
    collectionId: string;
  }): Promise<{ runKey: number; workflowId: string } | null> => {
    const runKey = await currentAnalysisRun(sql, input.collectionId);
    return runKey === undefined
      ? null
      : { runKey, workflowId: workflowIds.collectionAnalysis(input.collectionId, String(runKey)) };
  };

  return {
    /**
     * Counts the run's documents; when there are any, marks the collection
     * `processing` and each of them `queued` (see beginRun). Returns the run key the run holds: from its input, or, for
     * runs started before the input carried it, read from the workflow id. As an
     * activity result it is in the history, so replay agrees.
     */
    async beginCollectionRun(input: {
      collectionId: string;
      selection: DocumentSelection;
      runKey?: number;
    }): Promise<{ selected: number; documents: number; runKey: number | null }> {
      if (!(await collectionExists(sql, input.collectionId))) {
        throw ApplicationFailure.nonRetryable(`collection ${input.collectionId} does not exist`, 'CollectionNotFound');
      }
      const counts = await beginRun(sql, input.collectionId, input.selection);
      const runKey =
        input.runKey ?? runKeyOf(Context.current().info.workflowExecution?.workflowId ?? '', input.collectionId);
      return { ...counts, runKey };
    },

    async nextDocumentPage(input: {
      collectionId: string;
      selection: DocumentSelection;
      afterId: string | null;
    }): Promise<DocumentPage> {
      const rows = await selectedPage(sql, input.collectionId, input.selection, input.afterId, config.page_size);
      return {
        documents: rows.map((row) => ({ id: row.id, filename: row.original_filename })),
        pageSize: config.page_size,
        concurrency: config.max_concurrent_documents,
      };
    },

    /** The sliding window's next page after `afterId`, as units of work. */
    async nextWorkUnits(input: {
      collectionId: string;
      selection: DocumentSelection;
      afterId: string | null;
    }): Promise<WorkPage> {
      const rows = await selectedPage(sql, input.collectionId, input.selection, input.afterId, config.page_size);
      return {
        units: workUnitsOf(
          rows.map((row) => ({ ...row, filename: row.original_filename })),
          config,
        ),
        lastId: rows.length > 0 ? rows[rows.length - 1].id : input.afterId,
        more: rows.length === config.page_size,
        concurrency: config.max_concurrent_documents,
        heartbeatTimeoutMs: config.document_heartbeat_timeout_seconds * 1000,
        closedChildCheckMs: config.closed_workflow_check_interval,
      };
    },

    /**
     * The graph's end-of-run step. Documents merge their entities into the
     * graph as they finish (db/queries/graph.ts), so this only checks the
     * totals against the mentions and rebuilds when they differ (a writer that
     * bypassed the increments, e.g. an older build mid-deploy). Keeps the name
     * recorded histories call it by.
     */
    async rebuildCollectionGraph(input: { collectionId: string }): Promise<{ entities: number; edges: number }> {
      Context.current().heartbeat();
      const { entities, edges, rebuilt } = await reconcileCollectionGraph(sql, input.collectionId);
      if (rebuilt) Context.current().log.warn('graph totals differed from the mentions: rebuilt', { entities, edges });
      return { entities, edges };
    },

    /**
     * Writes the run's outcome on the collection, records the embedding
     * provider when processed documents carry vectors, ends `cancelled` the
     * documents a cancelled or failed run left `queued` or `processing` (its
     * error as their reason), and moves the run key on (once: a retry finds it
     * already moved). The last thing a run does.
     */
    async finishCollectionRun(input: {
      collectionId: string;
      runKey: number | null;
      status: CollectionOutcome | null;
      lastError: string | null;
      recordEmbeddings: boolean;
    }): Promise<void> {
      const { collectionId } = input;
      if (input.status === 'cancelled' || input.status === 'failed') {
        const reason = input.lastError ?? `analysis ${input.status}`;
        await sql.begin((tx) => cancelDocumentsInWork(tx, collectionId, reason));
      }
      if (input.status) await setCollectionOutcome(sql, collectionId, input.status, input.lastError);
      // The search index's upkeep falls to the last run to finish: while another collection writes chunks, merging
      // the pending list takes in its writes too (1.7 s of a small run's 5.6 beside a large one, P6), and the list
      // stays bounded meanwhile (migration 009). This run's outcome is written first, so of two runs ending at
      // once at least one sees the other done.
      if (input.status && !(await anotherAnalysisRunning(sql, collectionId))) {
        // Search reads word frequencies from the planner's statistics: refreshed where no autovacuum will (PGlite).
        await refreshSearchStatistics(sql);
        // New chunks' words wait in the full-text index's pending list, which every search reads whole.
        await mergeTextSearchPendingList(sql);
      }
      // Labels the collection with its provider, or starts re-embedding it when its vectors are another provider's.
      if (input.recordEmbeddings) await recordProviderOrReembed(sql, config, collectionId);
      if (input.runKey !== null) await advanceAnalysisRun(sql, collectionId, input.runKey);
    },

    /**
     * The run the next analysis of a collection takes: its run key and task id
     * (for workflows that start it as a child, e.g. batchProcess); null when the
     * collection is gone.
     */
    nextCollectionAnalysisRun,
  };
}

/** The numeric run key from `collection-analysis:<collection>:<n>` (runs started without it in their input); null under any other id (tests). */
function runKeyOf(workflowId: string, collectionId: string): number | null {
  const prefix = workflowIds.collectionAnalysis(collectionId, '');
  if (!workflowId.startsWith(prefix)) return null;
  const key = Number(workflowId.slice(prefix.length));
  return Number.isInteger(key) ? key : null;
}

export type CollectionAnalysisActivities = ReturnType<typeof createCollectionAnalysisActivities>;
