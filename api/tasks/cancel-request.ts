import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema.ts';
import { findCollection } from '../../db/queries/collections.ts';
import type { Sql } from '../../db/pool.ts';
import { ApiError, notFound, tooManyItems } from '../errors.ts';
import { CANCEL_WAIT_MS, cancelTasks } from './cancel.ts';
import { listTaskIds, type TaskFilters } from './visibility.ts';

/** Cancel by selection stops at this many tasks; the answer says how many it found. */
const MAX_SELECTED_TASKS = 10_000;

export interface CancelRequest {
  task_ids?: string[];
  batch_id?: string;
  collection_id?: string;
  terminate: boolean;
  reason?: string;
}

/** A collection filter may name the collection; search attributes hold its id. */
export async function collectionIdOf(sql: Sql, ref: string | undefined): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  return (await findCollection(sql, ref))?.id ?? ref;
}

/**
 * Cancels (or terminates) the listed tasks, at most max_cancel_batch_size of
 * them, or every running task of a batch or collection. Every id gets an
 * outcome; the summary is counted from them.
 */
export async function cancelRequested(deps: { temporal: Client; config: Config; sql: Sql }, request: CancelRequest) {
  const { temporal, config } = deps;
  let ids: string[];
  if (request.task_ids) {
    const unique = new Set(request.task_ids);
    if (unique.size > config.max_cancel_batch_size) {
      throw tooManyItems(config, 'max_cancel_batch_size', unique.size, 'task ids per request');
    }
    ids = request.task_ids;
  } else {
    const filters: TaskFilters = {
      status: 'RUNNING',
      batchId: request.batch_id,
      collectionId: await collectionIdOf(deps.sql, request.collection_id),
    };
    ids = await listTaskIds(temporal, config.temporal_namespace, filters, MAX_SELECTED_TASKS);
  }
  return cancelTasks(temporal, ids, {
    terminate: request.terminate,
    reason: request.reason,
    listedAsRunning: !request.task_ids,
  });
}

/**
 * Cancels (or terminates) one task: its outcome, or 404 for an unknown id and
 * 503 when Temporal failed. A cancel waits up to `waitSeconds` (default
 * CANCEL_WAIT_MS) for the task to close; its `status` says whether it did.
 */
export async function cancelOne(
  temporal: Client,
  taskId: string,
  options: { terminate: boolean; reason?: string; waitSeconds?: number },
) {
  const { results } = await cancelTasks(temporal, [taskId], {
    terminate: options.terminate,
    reason: options.reason,
    waitForCloseMs: options.terminate ? undefined : (options.waitSeconds ?? CANCEL_WAIT_MS / 1000) * 1000,
  });
  const [result] = results;
  if (result.outcome === 'not_found') throw notFound('task', taskId);
  if (result.outcome === 'error')
    throw new ApiError(503, 'temporal_error', `could not cancel '${taskId}': ${result.message}`, result);
  return result;
}
