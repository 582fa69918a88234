import { archiveLimitsOf } from '../../common/archive-limits.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import { markProcessed, markUnfinished } from '../../db/queries/document-runs.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import type { ProcessingOptions, UnitDocument } from '../../workflows/collection-analysis-contract.ts';
import { createTextWorkPool, type TextWork } from '../text-work/pool.ts';
import { allSteps } from './all-steps.ts';
import { atStep, type DocumentWork } from './attempt.ts';
import { embeddings } from './embeddings.ts';
import { entities } from './entities.ts';
import { extract } from './extract.ts';
import { processDocumentGroup, settleGroup } from './group.ts';
import { metadata } from './metadata.ts';
import type { DocumentRef, GroupResult } from './types.ts';

export { failureAtStep } from './attempt.ts';
export type * from './types.ts';

export interface DocumentProcessingDeps {
  config: Config;
  sql: Sql;
  storage: DocumentStorage;
  /** The worker-thread pool for CPU work; one is made from config when not given. */
  textWork?: TextWork;
}

/**
 * The per-document activities. Each step claims the document for its attempt,
 * and every write checks that claim in the same transaction: an attempt that
 * timed out, was cancelled or was superseded writes nothing more
 * (./attempt.ts). Extraction commits a long PDF range by range, so a retry
 * resumes at the first range not yet committed (./extract.ts). CPU work runs
 * in the worker-thread pool; this event loop only awaits, heartbeats and
 * answers cancels.
 */
export function createDocumentProcessingActivities(deps: DocumentProcessingDeps) {
  const { config, sql } = deps;
  const work: DocumentWork = {
    config,
    sql,
    storage: deps.storage,
    textWork: deps.textWork ?? createTextWorkPool(config),
    limits: {
      chunkSize: config.chunk_size,
      overlap: config.chunk_overlap,
      maxTokens: config.chunk_max_tokens,
      archive: archiveLimitsOf(config),
    },
  };

  return {
    /**
     * Every step of one document in one activity (one server round trip
     * instead of four): extract and chunk, then metadata, embeddings and
     * graph entities as the options ask. Each step marks the row with its
     * name as it starts and heartbeats as it goes; a failure says
     * "<step>: <reason>" and keeps its type, so unreadable files still fail
     * at once. A retry resumes extraction at its first uncommitted range and
     * reruns the later steps, each replacing what it wrote before.
     */
    processDocument: ({
      documentId,
      options,
    }: DocumentRef & { options: ProcessingOptions }): Promise<{ chunks: number; pages: number | null }> =>
      allSteps(work, documentId, options),

    /** Small documents one after the other in one activity (see ./group.ts). */
    processDocumentGroup: (input: { documents: UnitDocument[]; options: ProcessingOptions }): Promise<GroupResult> =>
      processDocumentGroup(work, input),

    /** A group whose activity failed for good: documents it finished keep their outcome, the others fail with its reason. */
    settleFailedGroup: (input: { documents: UnitDocument[]; runPrefix: string; error: string }): Promise<GroupResult> =>
      settleGroup(work, input),

    // The steps one activity each: histories recorded before processDocument, and the bare loop of bench/p1, call these.
    extractAndChunkDocument: ({ documentId }: DocumentRef) => atStep(work, 'extract', extract, documentId, false),
    extractDocumentMetadata: ({ documentId }: DocumentRef) => atStep(work, 'metadata', metadata, documentId, false),
    embedDocumentChunks: ({ documentId }: DocumentRef) => atStep(work, 'embeddings', embeddings, documentId, false),
    extractDocumentEntities: ({ documentId }: DocumentRef) => atStep(work, 'graph', entities, documentId, false),

    markDocumentProcessed: ({ documentId }: DocumentRef) => markProcessed(sql, documentId),

    /** Keeps processing_step, so the row says which step failed; this run's chunks go. */
    markDocumentFailed: ({ documentId, error }: DocumentRef & { error: string }) =>
      markUnfinished(sql, documentId, 'failed', error),

    markDocumentCancelled: ({ documentId }: DocumentRef) =>
      markUnfinished(sql, documentId, 'cancelled', 'processing was cancelled'),
  };
}

export type DocumentProcessingActivities = ReturnType<typeof createDocumentProcessingActivities>;
