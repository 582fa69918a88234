import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { route } from '../route.ts';
import {
  BatchCancelAnswer,
  BatchCancelBody,
  CancelResult,
  CancelTaskBody,
  ListTasksQuery,
  TaskList,
  TaskMetrics,
  TaskStatus,
} from '../schemas/tasks.ts';
import { describeTask } from '../tasks/describe-task.ts';
import { readTaskMetrics } from '../tasks/metrics.ts';
import { cancelOne, cancelRequested, collectionIdOf } from '../tasks/cancel-request.ts';
import { TaskPath } from '../schemas/ids.ts';
import { InvalidPageTokenError, listTasks, type TaskFilters } from '../tasks/visibility.ts';

export function taskRoutes(deps: ApiDeps): Router {
  const { temporal, config, sql } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'get',
      path: '/tasks',
      summary: 'Lists tasks through Temporal visibility: running first, then newest closed; paged by page_token',
      tags: ['tasks'],
      query: ListTasksQuery,
      data: TaskList,
    },
    async ({ query }) => {
      const filters: TaskFilters = {
        collectionId: await collectionIdOf(sql, query.collection),
        batchId: query.batch,
        status: query.status,
        kind: query.kind,
      };
      try {
        return await listTasks(temporal, config.temporal_namespace, filters, {
          pageSize: query.limit,
          pageToken: query.page_token,
        });
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw new ApiError(400, 'invalid_page_token', error.message);
        throw error;
      }
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/tasks/metrics',
      summary:
        'Running tasks by kind, tasks closed in the last day, the workers polling the task queue and its backlog (from Temporal)',
      tags: ['tasks'],
      data: TaskMetrics,
      errors: [503],
    },
    () => readTaskMetrics(temporal, config.temporal_namespace, config.task_queue, config.document_task_queue),
  );

  // Declared before /tasks/:id/cancel, which would otherwise take "batch" for an id.
  route(
    router,
    {
      method: 'post',
      path: '/tasks/batch/cancel',
      summary: 'Cancels (or terminates) many tasks: listed ids, or every running task of a batch or collection',
      tags: ['tasks'],
      body: BatchCancelBody,
      data: BatchCancelAnswer,
    },
    async ({ body }) => {
      const { results, summary } = await cancelRequested(deps, body);
      return { results, summary, total: results.length };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/tasks/:id/cancel',
      summary:
        'Cancels a running task (its cleanup runs; the answer waits up to wait_seconds for it to close and says CANCELLED or CANCELLING in status), or terminates it when asked (no cleanup)',
      tags: ['tasks'],
      params: TaskPath,
      body: CancelTaskBody,
      data: CancelResult,
      errors: [404, 503],
    },
    async ({ params, body }) =>
      cancelOne(temporal, params.id, {
        terminate: body.terminate,
        reason: body.reason,
        waitSeconds: body.wait_seconds,
      }),
  );

  route(
    router,
    {
      method: 'get',
      path: '/tasks/:id/status',
      summary:
        'Status of a task (workflow id): RUNNING (or CANCELLING while a cancelled task cleans up) with live progress, or the outcome with its result or error',
      tags: ['tasks'],
      params: TaskPath,
      data: TaskStatus,
      errors: [404],
    },
    async ({ params }) => {
      const status = await describeTask(temporal, params.id);
      if (!status) throw notFound('task', params.id);
      return status;
    },
  );

  return router;
}
