import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { refuseCallbackUrl } from '../../config/callback-policy.ts';
import { countDocuments, findCollection } from '../../db/queries/collections.ts';
import type { BatchCollection } from '../../workflows/batch-process-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { BatchIdKey, KindKey, WorkflowKind } from '../../workflows/search-attributes.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, limitExceeded, tooManyItems } from '../errors.ts';
import type { BatchProcessBody, BatchSubmitted } from '../schemas/batches.ts';
import { batchRouting } from '../analysis/routing.ts';

type Rejection = z.infer<typeof BatchSubmitted>['rejected'][number];

/**
 * Starts one batchProcess workflow over the collections that can be
 * processed; answers per collection (accepted with its document count, or
 * rejected with an outcome and reason). Limits are checked first.
 */
export async function submitBatch(
  deps: Pick<ApiDeps, 'sql' | 'temporal' | 'config'>,
  body: z.output<typeof BatchProcessBody>,
): Promise<z.input<typeof BatchSubmitted>> {
  const { sql, temporal, config } = deps;
  if (body.tasks.length > config.max_processing_batch_size) {
    throw tooManyItems(config, 'max_processing_batch_size', body.tasks.length, 'collections per batch');
  }
  const maxParallel = body.max_parallel ?? config.max_parallel_collections;
  if (maxParallel > config.max_parallel_collections) {
    throw limitExceeded(
      400,
      'max_parallel_collections',
      config.max_parallel_collections,
      maxParallel,
      `max_parallel may be at most ${config.max_parallel_collections} (max_parallel_collections); got ${maxParallel}`,
    );
  }
  if (body.callback_url !== undefined) {
    const refused = refuseCallbackUrl(body.callback_url, config.callback_allowed_hosts);
    if (refused)
      throw new ApiError(400, 'callback_not_allowed', `callback_url refused: ${refused}`, {
        callback_url: body.callback_url,
      });
  }

  const accepted: (BatchCollection & { documents: number })[] = [];
  const rejected: Rejection[] = [];
  for (const task of body.tasks) {
    const collection = await findCollection(sql, task.collection_id);
    if (!collection) {
      rejected.push({
        collection_id: task.collection_id,
        outcome: 'not_found',
        reason: `no collection with id or name '${task.collection_id}'`,
      });
      continue;
    }
    if (accepted.some((a) => a.collection_id === collection.id)) {
      rejected.push({
        collection_id: task.collection_id,
        outcome: 'duplicate',
        reason: `collection ${collection.name} is already in this batch`,
      });
      continue;
    }
    const documents = await countDocuments(sql, collection.id);
    if (documents === 0) {
      rejected.push({
        collection_id: task.collection_id,
        outcome: 'no_documents',
        reason: `collection ${collection.name} has no documents`,
      });
      continue;
    }
    const { build_graph, extract_metadata, generate_embeddings } = task;
    accepted.push({
      collection_id: collection.id,
      name: collection.name,
      documents,
      options: { build_graph, extract_metadata, generate_embeddings },
    });
  }
  if (accepted.length === 0) {
    throw new ApiError(400, 'no_valid_collections', 'none of the requested collections can be processed', { rejected });
  }

  const batchId = randomUUID();
  const taskId = workflowIds.batchProcess(batchId);
  await temporal.workflow.start('batchProcess', {
    workflowId: taskId,
    taskQueue: config.task_queue,
    args: [
      {
        batchId,
        mode: body.workflow_type,
        stopOnFailure: body.stop_on_failure,
        maxParallel,
        collections: accepted.map(({ documents: _documents, ...collection }) => collection),
        callbackUrl: body.callback_url,
        routing: batchRouting(config),
      },
    ],
    priority: { priorityKey: config.batch_priority },
    typedSearchAttributes: [
      { key: KindKey, value: WorkflowKind.batchProcess },
      { key: BatchIdKey, value: batchId },
    ],
    staticSummary: `${namesOf(accepted)}: ${accepted.length} collection(s), ${body.workflow_type}${body.workflow_type === 'parallel' ? ` (${maxParallel} at once)` : body.stop_on_failure ? ', stop on failure' : ''} (batch ${batchId})`,
  });
  return {
    batch_id: batchId,
    task_id: taskId,
    workflow_type: body.workflow_type,
    accepted: accepted.map(({ collection_id, name, documents }) => ({ collection_id, name, documents })),
    rejected,
  };
}

/** The collections' names for the batch's summary (the Web UI shows its start), the first few only. */
function namesOf(collections: { name: string }[]): string {
  const shown = collections
    .slice(0, 5)
    .map((c) => c.name)
    .join(', ');
  return collections.length > 5 ? `${shown} and ${collections.length - 5} more` : shown;
}
