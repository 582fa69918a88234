import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { refuseCallbackUrl } from '../../config/callback-policy.ts';
import { countDocuments, findCollection } from '../../db/queries/collections.ts';
import type { BatchCollection } from '../../workflows/batch-process-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { BatchIdKey, KindKey, WorkflowKind } from '../../workflows/search-attributes.ts';
import { readBatch } from '../batches/read-batch.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, limitExceeded, notFound } from '../errors.ts';
import { route } from '../route.ts';
import { BatchCancelled, BatchProcessBody, BatchRef, BatchStatus, BatchSubmitted } from '../schemas/batches.ts';
import type { z } from 'zod';

type Rejection = z.infer<typeof BatchSubmitted>['rejected'][number];

export function batchRoutes(deps: ApiDeps): Router {
  const { sql, temporal, config } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/batch-process',
      summary: 'Processes several collections as one batch: a true sequential chain or a bounded parallel fan-out',
      tags: ['batches'],
      body: BatchProcessBody,
      data: BatchSubmitted,
      successStatus: 202,
    },
    async ({ body }) => {
      if (body.tasks.length > config.max_processing_batch_size) {
        throw limitExceeded(400, 'max_processing_batch_size', config.max_processing_batch_size, body.tasks.length,
          `at most ${config.max_processing_batch_size} collections per batch (max_processing_batch_size); got ${body.tasks.length}`);
      }
      const maxParallel = body.max_parallel ?? config.max_parallel_collections;
      if (maxParallel > config.max_parallel_collections) {
        throw limitExceeded(400, 'max_parallel_collections', config.max_parallel_collections, maxParallel,
          `max_parallel may be at most ${config.max_parallel_collections} (max_parallel_collections); got ${maxParallel}`);
      }
      if (body.callback_url !== undefined) {
        const refused = refuseCallbackUrl(body.callback_url, config.callback_allowed_hosts);
        if (refused) throw new ApiError(400, 'callback_not_allowed', `callback_url refused: ${refused}`, { callback_url: body.callback_url });
      }

      const accepted: (BatchCollection & { documents: number })[] = [];
      const rejected: Rejection[] = [];
      for (const task of body.tasks) {
        const collection = await findCollection(sql, task.collection_id);
        if (!collection) {
          rejected.push({ collection_id: task.collection_id, outcome: 'not_found', reason: `no collection with id or name '${task.collection_id}'` });
          continue;
        }
        if (accepted.some((a) => a.collection_id === collection.id)) {
          rejected.push({ collection_id: task.collection_id, outcome: 'duplicate', reason: `collection ${collection.name} is already in this batch` });
          continue;
        }
        const documents = await countDocuments(sql, collection.id);
        if (documents === 0) {
          rejected.push({ collection_id: task.collection_id, outcome: 'no_documents', reason: `collection ${collection.name} has no documents` });
          continue;
        }
        const { build_graph, extract_metadata, generate_embeddings } = task;
        accepted.push({ collection_id: collection.id, name: collection.name, documents, options: { build_graph, extract_metadata, generate_embeddings } });
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
          },
        ],
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
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/batches/:batch_id',
      summary: 'A batch: live progress per collection while it runs, its result once it ended',
      tags: ['batches'],
      params: BatchRef,
      data: BatchStatus,
      errors: [404],
    },
    async ({ params }) => {
      const batch = await readBatch(temporal, params.batch_id);
      if (!batch) throw notFound('batch', params.batch_id);
      return batch;
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/batches/:batch_id/cancel',
      summary: 'Cancels a batch and, through Temporal cancellation, every running child; cleanup runs before it shows CANCELLED',
      tags: ['batches'],
      params: BatchRef,
      data: BatchCancelled,
      errors: [404],
    },
    async ({ params }) => {
      const taskId = workflowIds.batchProcess(params.batch_id);
      const handle = temporal.workflow.getHandle(taskId);
      try {
        const status = (await handle.describe()).status.name;
        if (status !== 'RUNNING') return { batch_id: params.batch_id, task_id: taskId, outcome: 'already_completed' as const, status };
        await handle.cancel();
        return { batch_id: params.batch_id, task_id: taskId, outcome: 'cancel_requested' as const, status: 'RUNNING' };
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw notFound('batch', params.batch_id);
        throw error;
      }
    },
  );

  return router;
}

/** The collections' names for the batch's summary (the Web UI shows its start), the first few only. */
function namesOf(collections: { name: string }[]): string {
  const shown = collections.slice(0, 5).map((c) => c.name).join(', ');
  return collections.length > 5 ? `${shown} and ${collections.length - 5} more` : shown;
}
