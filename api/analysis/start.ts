import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../config/schema.ts';
import { advanceAnalysisRun, countSelected, currentAnalysisRun } from '../../db/queries/analysis.ts';
import { findCollection } from '../../db/queries/collections.ts';
import type { Sql } from '../../db/pool.ts';
import type { collectionAnalysis } from '../../workflows/collection-analysis.ts';
import type { CollectionAnalysisInput } from '../../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import {
  BatchIdKey,
  CollectionIdKey,
  CollectionNameKey,
  KindKey,
  WorkflowKind,
} from '../../workflows/search-attributes.ts';
import { cancelRequested } from '../tasks/describe-task.ts';
import { documentRouting } from './routing.ts';

/**
 * An analysis of this collection is running; `taskId` is its id. `state` is
 * CANCELLING when its cancel was requested and its cleanup still runs (it
 * closes shortly; a start after that is accepted).
 */
export class AnalysisAlreadyRunningError extends Error {
  constructor(
    readonly taskId: string,
    readonly state: 'RUNNING' | 'CANCELLING' = 'RUNNING',
  ) {
    super(
      state === 'CANCELLING'
        ? `the analysis of this collection is being cancelled, its cleanup still runs: ${taskId}`
        : `an analysis of this collection is already running: ${taskId}`,
    );
    this.name = 'AnalysisAlreadyRunningError';
  }
}

/** The run would have nothing to do: the collection is empty, or no document matches the selection. */
export class NothingToProcessError extends Error {
  constructor(
    readonly reason: 'no_documents' | 'nothing_selected',
    message: string,
  ) {
    super(message);
    this.name = 'NothingToProcessError';
  }
}

export class CollectionNotFoundError extends Error {
  constructor(readonly collectionId: string) {
    super(`collection '${collectionId}' not found`);
    this.name = 'CollectionNotFoundError';
  }
}

export interface AnalysisStartDeps {
  temporal: Client;
  config: Config;
  sql: Sql;
}

/**
 * Starts collectionAnalysis for a collection; the API, upload-and-process and
 * batches call this.
 *
 * Run keys and the 409: the workflow id is `collection-analysis:<id>:<n>`,
 * where n is `collections.analysis_run`. A run moves n on (compare-and-set)
 * as the very last thing it does. We start with workflowIdConflictPolicy FAIL
 * and reuse policy REJECT_DUPLICATE, so two starts racing for the same n meet
 * at the Temporal server: exactly one starts, the other gets "already
 * started" and answers 409 with that id. There is no check-then-start window.
 * If the id with key n belongs to a run that closed without moving n on
 * (terminated, timed out), n is moved past it, compare-and-set, and we try
 * again.
 */
export async function startCollectionAnalysis(
  deps: AnalysisStartDeps,
  input: CollectionAnalysisInput,
): Promise<{ task_id: string; documents: number }> {
  const { temporal, config, sql } = deps;
  const { collectionId } = input;
  const counts = await countSelected(sql, collectionId, input.selection);
  if (counts.documents === 0) {
    if ((await currentAnalysisRun(sql, collectionId)) === undefined) throw new CollectionNotFoundError(collectionId);
    throw new NothingToProcessError('no_documents', 'the collection has no documents; upload some first');
  }
  if (counts.selected === 0) {
    const message =
      input.selection === 'only_failed'
        ? 'no document of the collection has failed; nothing to retry'
        : `all ${counts.documents} document(s) are processed already; pass force to process them again`;
    throw new NothingToProcessError('nothing_selected', message);
  }

  // The name as well as the id: the Web UI list shows it, and document children copy it from here.
  const collectionName = (await findCollection(sql, collectionId))?.name ?? collectionId;
  const searchAttributes: SearchAttributePair[] = [
    { key: CollectionIdKey, value: collectionId },
    { key: CollectionNameKey, value: collectionName },
    { key: KindKey, value: WorkflowKind.collectionAnalysis },
  ];
  if (input.batchId) searchAttributes.push({ key: BatchIdKey, value: input.batchId });
  const steps = [
    input.options.extract_metadata && 'metadata',
    input.options.generate_embeddings && 'embeddings',
    input.options.build_graph && 'graph',
  ]
    .filter(Boolean)
    .join(', ');

  const routing = documentRouting(config, collectionId, input.batchId ? 'batch' : 'interactive');
  for (let attempt = 0; attempt < 5; attempt++) {
    const runKey = await currentAnalysisRun(sql, collectionId);
    if (runKey === undefined) throw new CollectionNotFoundError(collectionId);
    const workflowId = workflowIds.collectionAnalysis(collectionId, String(runKey));
    try {
      await temporal.workflow.start<typeof collectionAnalysis>('collectionAnalysis', {
        workflowId,
        taskQueue: config.task_queue,
        args: [{ ...input, routing, runKey }],
        priority: routing.priority,
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes,
        staticSummary: `${collectionName}: analysis of ${counts.selected} ${input.selection} document(s); extract+chunk${steps ? `, ${steps}` : ''} (collection ${collectionId}${input.batchId ? `, batch ${input.batchId}` : ''})`,
      });
      return { task_id: workflowId, documents: counts.selected };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const description = await temporal.workflow.getHandle(workflowId).describe();
      if (description.status.name === 'RUNNING')
        throw new AnalysisAlreadyRunningError(workflowId, cancelRequested(description) ? 'CANCELLING' : 'RUNNING');
      await advanceAnalysisRun(sql, collectionId, runKey);
    }
  }
  throw new Error(`could not find a free run key for collection ${collectionId}`);
}
