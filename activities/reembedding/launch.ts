import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../../config/schema.ts';
import { workflowIds } from '../../workflows/ids.ts';
import type { reembedCollection } from '../../workflows/reembedding.ts';
import { REEMBEDDING_LABEL_PREFIX } from '../../workflows/reembedding-contract.ts';
import { CollectionIdKey, CollectionNameKey, KindKey, WorkflowKind } from '../../workflows/search-attributes.ts';
import { createEmbeddingProvider } from '../embeddings/provider.ts';

/** A re-embedding of this collection is running; `taskId` is its id. */
export class ReembeddingAlreadyRunningError extends Error {
  constructor(readonly taskId: string) {
    super(`a re-embedding of this collection is already running: ${taskId}`);
    this.name = 'ReembeddingAlreadyRunningError';
  }
}

/**
 * Whether the collection's vectors are of another provider (or dimension)
 * than the configured one, or half-replaced by a re-embedding that stopped.
 * A collection without vectors yet (no label) needs none.
 */
export function needsReembedding(config: Config, label: string | null): boolean {
  if (label === null) return false;
  return label.startsWith(REEMBEDDING_LABEL_PREFIX) || label !== createEmbeddingProvider(config).name;
}

/**
 * Starts reembedCollection for a collection: one at a time per collection
 * (conflict policy FAIL: a second start while it runs is refused with its id),
 * and a later one may reuse the id once it has closed.
 */
export async function launchReembedding(
  temporal: Client,
  config: Config,
  collection: { id: string; name: string; embedding_provider: string | null },
): Promise<{ task_id: string; target: string }> {
  const workflowId = workflowIds.reembedding(collection.id);
  const target = createEmbeddingProvider(config).name;
  try {
    await temporal.workflow.start<typeof reembedCollection>('reembedCollection', {
      workflowId,
      taskQueue: config.task_queue,
      args: [{ collectionId: collection.id }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: KindKey, value: WorkflowKind.reembedding },
        { key: CollectionIdKey, value: collection.id },
        { key: CollectionNameKey, value: collection.name },
      ],
      staticSummary: `${collection.name}: re-embedding from ${collection.embedding_provider ?? 'no provider'} to ${target} (collection ${collection.id})`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ReembeddingAlreadyRunningError(workflowId);
    throw error;
  }
  return { task_id: workflowId, target };
}
