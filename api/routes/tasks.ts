import { Router } from 'express';
import { findCollection } from '../../db/queries/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, limitExceeded, notFound } from '../errors.ts';
import { route } from '../route.ts';
import { BatchCancelAnswer, BatchCancelBody, CancelResult, CancelTaskBody, ListTasksQuery, TaskList } from '../schemas/tasks.ts';
import { cancelTasks } from '../tasks/cancel.ts';
import { TaskIdParam } from '../tasks/task-id.ts';
import { InvalidPageTokenError, listTaskIds, listTasks, type TaskFilters } from '../tasks/visibility.ts';

/** Cancel by selection stops at this many tasks; the answer says how many it found. */
const MAX_SELECTED_TASKS = 10_000;

export function taskRoutes(deps: ApiDeps): Router {
  const { temporal, config, sql } = deps;
  const router = Router();

  /** A collection filter may name the collection; search attributes hold its id. */
  const collectionIdOf = async (ref: string | undefined) => {
    if (ref === undefined) return undefined;
    return (await findCollection(sql, ref))?.id ?? ref;
  };

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
        collectionId: await collectionIdOf(query.collection),
        batchId: query.batch,
        status: query.status,
        kind: query.kind,
      };
      try {
        return await listTasks(temporal, config.temporal_namespace, filters, { pageSize: query.limit, pageToken: query.page_token });
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw new ApiError(400, 'invalid_page_token', error.message);
        throw error;
      }
    },
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
      let ids: string[];
      if (body.task_ids) {
        const unique = new Set(body.task_ids);
        if (unique.size > config.max_cancel_batch_size) {
          throw limitExceeded(400, 'max_cancel_batch_size', config.max_cancel_batch_size, unique.size,
            `at most ${config.max_cancel_batch_size} task ids per request (max_cancel_batch_size); got ${unique.size}`);
        }
        ids = body.task_ids;
      } else {
        const filters: TaskFilters = { status: 'RUNNING', batchId: body.batch_id, collectionId: await collectionIdOf(body.collection_id) };
        ids = await listTaskIds(temporal, config.temporal_namespace, filters, MAX_SELECTED_TASKS);
      }
      const { results, summary } = await cancelTasks(temporal, ids, { terminate: body.terminate, reason: body.reason, listedAsRunning: !body.task_ids });
      return { results, summary, total: results.length };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/tasks/:id/cancel',
      summary: 'Cancels a running task (its cleanup runs), or terminates it when asked (no cleanup)',
      tags: ['tasks'],
      params: TaskIdParam,
      body: CancelTaskBody,
      data: CancelResult,
      errors: [404, 503],
    },
    async ({ params, body }) => {
      const { results } = await cancelTasks(temporal, [params.id], { terminate: body.terminate, reason: body.reason });
      const [result] = results;
      if (result.outcome === 'not_found') throw notFound('task', params.id);
      if (result.outcome === 'error') throw new ApiError(503, 'temporal_error', `could not cancel '${params.id}': ${result.message}`, result);
      return result;
    },
  );

  return router;
}
