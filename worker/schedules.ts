import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import { workflowIds } from '../workflows/ids.ts';
import { KindKey, WorkflowKind } from '../workflows/search-attributes.ts';
import type { reconcileStorage } from '../workflows/reconcile-storage.ts';

/** Creates the storage reconciliation Schedule, or brings its interval up to date. */
export async function ensureReconcileSchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = workflowIds.reconcileStorageSchedule;
  const spec = { intervals: [{ every: config.reconcile_interval }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      policies: { overlap: 'SKIP' },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconcileStorage' satisfies (typeof reconcileStorage)['name'],
        workflowId: scheduleId,
        args: [{ repair: false }],
        taskQueue: config.task_queue,
        typedSearchAttributes: [{ key: KindKey, value: WorkflowKind.reconcileStorage }],
        staticSummary:
          'Storage reconciliation: removes expired staged uploads, reports files without rows and rows without files',
      },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
}
