import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { workflowIds } from '../../workflows/ids.ts';
import { readBatch } from '../batches/read-batch.ts';
import { submitBatch } from '../batches/submit-batch.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { route } from '../route.ts';
import { BatchCancelled, BatchProcessBody, BatchRef, BatchStatus, BatchSubmitted } from '../schemas/batches.ts';

export function batchRoutes(deps: ApiDeps): Router {
  const { temporal } = deps;
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
    async ({ body }) => submitBatch(deps, body),
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
      summary:
        'Cancels a batch and, through Temporal cancellation, every running child; cleanup runs before it shows CANCELLED',
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
        if (status !== 'RUNNING')
          return { batch_id: params.batch_id, task_id: taskId, outcome: 'already_completed' as const, status };
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
