import { Router } from 'express';
import { submitBatch } from '../../batches/submit-batch.ts';
import type { ApiDeps } from '../../deps.ts';
import { v2Route } from '../route.ts';
import { V2BatchAnswer, V2BatchBody } from '../schemas/batches.ts';
import { optionsOf } from './analysis.ts';

/** The original contract's batch route, as api/routes/batches.ts is v3's: several collections as one batch. */
export function v2BatchRoutes(deps: ApiDeps): Router {
  const router = Router();

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/batch-process',
      summary:
        'Processes several collections as one batch (parallel or a true sequential chain); answers per collection',
      tags: ['v2 processing'],
      body: V2BatchBody,
      data: V2BatchAnswer,
    },
    async ({ body }) => {
      const submitted = await submitBatch(deps, {
        tasks: body.tasks.map((task) => ({
          collection_id: (task.collection_id ?? task.collection_identifier)!,
          ...optionsOf(task),
        })),
        workflow_type: body.workflow_type,
        stop_on_failure: body.stop_on_failure,
        max_parallel: body.max_parallel,
        callback_url: body.callback_url ?? undefined,
      });
      return {
        batch_id: submitted.batch_id,
        task_ids: [submitted.task_id],
        submitted_count: submitted.accepted.length,
        failed_count: submitted.rejected.length,
        failures: submitted.rejected.map((item) => ({
          collection_identifier: item.collection_id,
          error: item.reason,
          outcome: item.outcome,
        })),
        workflow_type: submitted.workflow_type,
        estimated_duration: null,
        task_id: submitted.task_id,
        accepted: submitted.accepted,
      };
    },
  );

  return router;
}
