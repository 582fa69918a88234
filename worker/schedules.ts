import { ScheduleAlreadyRunning, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import { workflowIds } from '../workflows/ids.ts';
import { KindKey, WorkflowKind } from '../workflows/search-attributes.ts';
import type { reconcileStorage } from '../workflows/reconcile-storage.ts';
import type { settleClosedRuns } from '../workflows/settle-closed-runs.ts';

/** Creates the storage reconciliation Schedule, or brings its interval up to date. */
export async function ensureReconcileSchedule(client: Client, config: Config): Promise<void> {
  await ensureSchedule(client, workflowIds.reconcileStorageSchedule, config.reconcile_interval, {
    type: 'startWorkflow',
    workflowType: 'reconcileStorage' satisfies (typeof reconcileStorage)['name'],
    workflowId: workflowIds.reconcileStorageSchedule,
    args: [{ repair: false }],
    taskQueue: config.task_queue,
    typedSearchAttributes: [{ key: KindKey, value: WorkflowKind.reconcileStorage }],
    staticSummary:
      'Storage reconciliation: removes expired staged uploads, reports files without rows and rows without files',
  });
}

/** Creates the Schedule of the sweeper of runs closed from outside (see workflows/settle-closed-runs.ts), or brings its interval up to date. */
export async function ensureSettleClosedRunsSchedule(client: Client, config: Config): Promise<void> {
  await ensureSchedule(client, workflowIds.settleClosedRunsSchedule, config.sweep_interval, {
    type: 'startWorkflow',
    workflowType: 'settleClosedRuns' satisfies (typeof settleClosedRuns)['name'],
    workflowId: workflowIds.settleClosedRunsSchedule,
    args: [],
    taskQueue: config.task_queue,
    typedSearchAttributes: [{ key: KindKey, value: WorkflowKind.settleClosedRuns }],
    staticSummary:
      'Sweeper: settles documents and collections left in work by an analysis or batch closed from outside (terminated, timed out)',
  });
}

async function ensureSchedule(
  client: Client,
  scheduleId: string,
  everyMs: number,
  action: ScheduleOptionsAction,
): Promise<void> {
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({ scheduleId, spec, policies: { overlap: 'SKIP' }, action });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
}
