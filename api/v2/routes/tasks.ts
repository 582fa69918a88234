import { Router } from 'express';
import { describeTask } from '../../tasks/describe-task.ts';
import type { ApiDeps } from '../../deps.ts';
import { ApiError, notFound } from '../../errors.ts';
import { TaskPath } from '../../schemas/ids.ts';
import { summarise, type CancelResult } from '../../tasks/cancel.ts';
import { cancelOne, cancelRequested } from '../../tasks/cancel-request.ts';
import { readTaskMetrics } from '../../tasks/metrics.ts';
import { countTasks, listTasksAt, type TaskFilters } from '../../tasks/visibility.ts';
import { setTopLevel } from '../envelope.ts';
import { v2Route } from '../route.ts';
import {
  V2BatchCancelAnswer,
  V2BatchCancelBody,
  V2CancelAnswer,
  V2CancelBody,
  V2ListTasksQuery,
  V2TaskList,
  V2TaskMetrics,
  V2TaskResult,
  V2TaskStatus,
} from '../schemas/tasks.ts';
import { CELERY_STATES, celeryStateOf, READY_STATES, temporalStatusesFor } from '../task-states.ts';
import { v2TaskStatus, v2TaskSummary } from '../task-json.ts';

/** The original contract's task routes: status, result, list, cancel, batch cancel and metrics, in Celery states. */
export function v2TaskRoutes(deps: ApiDeps): Router {
  const { temporal, config } = deps;
  const router = Router();

  const statusOf = async (id: string) => {
    const task = await describeTask(temporal, id);
    if (!task) throw notFound('task', id);
    return v2TaskStatus(task);
  };

  v2Route(
    router,
    {
      method: 'get',
      path: '/tasks/metrics',
      summary:
        'Task system metrics from Temporal: running tasks, tasks closed in the last day (by outcome: SUCCESS counts completed and completed_with_errors, FAILURE an analysis whose documents all failed), workers polling the task queue, its backlog',
      tags: ['v2 tasks'],
      data: V2TaskMetrics,
      errors: [503],
    },
    async () => {
      const metrics = await readTaskMetrics(temporal, config.temporal_namespace, config.task_queue);
      // By outcome: an analysis whose documents all failed closes COMPLETED in Temporal but is a FAILURE here.
      const byStatus = metrics.recently_closed.by_status;
      const backlog = (metrics.backlog.workflow ?? 0) + (metrics.backlog.activity ?? 0);
      return {
        active_tasks: metrics.running.total,
        pending_tasks: backlog,
        completed_tasks: byStatus.COMPLETED + byStatus.COMPLETED_WITH_ERRORS,
        failed_tasks: byStatus.FAILED + byStatus.TIMED_OUT,
        average_task_duration: metrics.recently_closed.average_duration_seconds,
        worker_count: metrics.workers.length,
        queue_lengths: { [metrics.task_queue]: backlog },
        workers: Object.fromEntries(
          metrics.workers.map((worker) => [
            worker.identity,
            { status: 'online', active_tasks: null, polls: worker.polls, last_access_time: worker.last_access_time },
          ]),
        ),
        window_hours: metrics.recently_closed.window_hours,
        running_by_kind: metrics.running.by_kind,
        recently_closed_by_status: byStatus,
        recently_closed_by_execution_status: metrics.recently_closed.by_execution_status,
        recently_closed_by_kind: metrics.recently_closed.by_kind,
        task_queue: metrics.task_queue,
      };
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/tasks',
      summary: 'Lists tasks (running first, then newest closed), paged by limit/offset, filtered by state',
      tags: ['v2 tasks'],
      query: V2ListTasksQuery,
      data: V2TaskList,
    },
    async ({ query }) => {
      const filters: TaskFilters = {};
      if (query.status !== undefined) {
        const statuses = temporalStatusesFor(query.status);
        if (!statuses) {
          throw new ApiError(
            400,
            'validation_error',
            `unknown task state '${query.status}'; use one of ${CELERY_STATES.join(', ')} (or RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT)`,
            {
              status: query.status,
            },
          );
        }
        filters.status = statuses;
      }
      const [tasks, total] = await Promise.all([
        listTasksAt(temporal, config.temporal_namespace, filters, query.offset, query.limit),
        countTasks(temporal, config.temporal_namespace, filters),
      ]);
      return {
        tasks: tasks.map(v2TaskSummary),
        total,
        limit: query.limit,
        offset: query.offset,
        has_more: query.offset + tasks.length < total,
      };
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/tasks/:id/status',
      summary: 'A task in Celery states (STARTED/PROGRESS → SUCCESS, FAILURE or REVOKED), the precise state in `state`',
      tags: ['v2 tasks'],
      params: TaskPath,
      data: V2TaskStatus,
      errors: [404],
    },
    async ({ params, res }) => {
      const task = await statusOf(params.id);
      // The original CLI's wait reads these beside `data`.
      setTopLevel(res, {
        successful: task.status === 'SUCCESS',
        result: task.result,
        error: task.status === 'SUCCESS' ? null : task.error,
      });
      return task;
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/tasks/:id/result',
      summary: "A task's result: ready=false while it runs; once closed, successful and the workflow's result or error",
      tags: ['v2 tasks'],
      params: TaskPath,
      data: V2TaskResult,
      errors: [404],
    },
    async ({ params }) => {
      const task = await statusOf(params.id);
      const ready = READY_STATES.includes(task.status);
      return {
        task_id: task.task_id,
        ready,
        successful: ready ? task.status === 'SUCCESS' : null,
        status: task.status,
        state: task.state,
        result: task.result,
        error: task.error,
      };
    },
  );

  // Declared before /tasks/:id/cancel, which would otherwise take "batch" for an id.
  v2Route(
    router,
    {
      method: 'post',
      path: '/tasks/batch/cancel',
      summary: 'Cancels (or terminates) many tasks, at most max_cancel_batch_size; one result per id',
      tags: ['v2 tasks'],
      body: V2BatchCancelBody,
      data: V2BatchCancelAnswer,
    },
    async ({ body }) => {
      const { results } = await cancelRequested(deps, { task_ids: body.task_ids, terminate: body.terminate });
      const counts = summarise(results);
      const stopped = counts.cancelled + counts.terminated;
      return {
        total_tasks: results.length,
        successful_cancellations: stopped,
        failed_cancellations: results.length - stopped,
        results: results.map(batchItem),
        summary: {
          cancelled: stopped,
          already_completed: counts.already_completed,
          errors: counts.not_found + counts.errors,
          terminated: counts.terminated,
          not_found: counts.not_found,
        },
      };
    },
  );

  v2Route(
    router,
    {
      method: 'post',
      path: '/tasks/:id/cancel',
      summary:
        'Cancels a running task (its cleanup runs; the answer waits up to wait_seconds for it to close and says REVOKED/CANCELLED or, still cleaning up, CANCELLING), or terminates it; a closed task is a 400',
      tags: ['v2 tasks'],
      params: TaskPath,
      body: V2CancelBody,
      data: V2CancelAnswer,
      errors: [404, 503],
    },
    async ({ params, body }) => {
      const result = await cancelOne(temporal, params.id, {
        terminate: body.terminate,
        reason: body.reason ?? undefined,
        waitSeconds: body.wait_seconds,
      });
      if (result.outcome === 'already_completed') {
        const state = (await describeTask(temporal, params.id))?.status ?? result.status ?? 'closed';
        const status = celeryStateOf(state);
        throw new ApiError(
          400,
          'already_completed',
          `Task ${params.id} is already completed (${status}: ${state}) and cannot be cancelled`,
          { task_id: params.id, status, state },
        );
      }
      const outcome = result.outcome as 'cancelled' | 'terminated';
      const state = outcome === 'terminated' ? 'TERMINATED' : (result.status ?? 'CANCELLING');
      return {
        task_id: params.id,
        success: true,
        message: cancelMessage(state, body.wait_seconds),
        timestamp: new Date().toISOString(),
        outcome,
        status: celeryStateOf(state),
        state,
      };
    },
  );

  return router;
}

/** What a one-task cancel did, by the state the task was in when the answer was made. */
function cancelMessage(state: string, waitedSeconds: number): string {
  if (state === 'TERMINATED') return 'Task terminated successfully';
  if (state === 'CANCELLED') return 'Task cancelled successfully; its cleanup is done (REVOKED)';
  if (state === 'CANCELLING')
    return `Task cancellation requested; its cleanup was still running after ${waitedSeconds} s (state CANCELLING): it shows REVOKED once it has closed, and its collection can be processed again then`;
  return `Task cancellation requested, but it closed ${state} (${celeryStateOf(state)})`;
}

function batchItem(result: CancelResult) {
  const messages: Record<CancelResult['outcome'], string> = {
    cancelled: 'Task cancellation requested',
    terminated: 'Task terminated successfully',
    already_completed: `Task already completed (${result.status ?? 'closed'})`,
    not_found: 'Task not found',
    error: `Cancellation failed: ${result.message ?? 'unknown error'}`,
  };
  return {
    task_id: result.task_id,
    success: result.outcome === 'cancelled' || result.outcome === 'terminated',
    message: messages[result.outcome],
    outcome: result.outcome,
    ...(result.status ? { state: result.status } : {}),
  };
}
