import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
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

/** How often a create that lost to a racing replica looks for the Schedule that replica is creating. */
const SCHEDULE_ATTEMPTS = 5;

/**
 * Creates the Schedule, or brings an existing one up to date: its interval
 * and its action (workflow type, id, arguments, task queue, search attributes,
 * summary), each only when it differs, so replicas that start together with
 * the same config write nothing. A create that loses to another replica's
 * (ScheduleAlreadyRunning) goes on as an update; a Schedule that answers "not
 * found" right after such a race (still being created) is looked up again.
 */
async function ensureSchedule(
  client: Client,
  scheduleId: string,
  everyMs: number,
  action: ScheduleOptionsAction,
): Promise<void> {
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({ scheduleId, spec, policies: { overlap: 'SKIP' }, action });
    return;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(scheduleId);
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await handle.describe();
      if (sameInterval(current, everyMs) && (await sameAction(current.action, action))) return;
      await handle.update((previous) => ({ ...previous, spec, action }));
      return;
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError) || attempt >= SCHEDULE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function sameInterval(current: ScheduleDescription, everyMs: number): boolean {
  const intervals = current.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    Number(intervals[0].every) === everyMs &&
    !intervals[0].offset &&
    (current.spec.calendars ?? []).length === 0
  );
}

/** Whether the Schedule already starts the workflow `wanted` describes (the fields FileIntel sets). */
async function sameAction(current: ScheduleDescription['action'], wanted: ScheduleOptionsAction): Promise<boolean> {
  if (current.type !== 'startWorkflow' || wanted.type !== 'startWorkflow') return false;
  const wantedType = typeof wanted.workflowType === 'string' ? wanted.workflowType : wanted.workflowType.name;
  if (
    current.workflowType !== wantedType ||
    current.workflowId !== wanted.workflowId ||
    current.taskQueue !== wanted.taskQueue ||
    JSON.stringify(current.args ?? []) !== JSON.stringify(wanted.args ?? []) ||
    ((await current.staticSummary) ?? '') !== (wanted.staticSummary ?? '')
  ) {
    return false;
  }
  const currentAttributes = current.typedSearchAttributes;
  const wantedAttributes =
    wanted.typedSearchAttributes instanceof TypedSearchAttributes
      ? wanted.typedSearchAttributes.getAll()
      : (wanted.typedSearchAttributes ?? []);
  if (!(currentAttributes instanceof TypedSearchAttributes)) return wantedAttributes.length === 0;
  return (
    currentAttributes.getAll().length === wantedAttributes.length &&
    wantedAttributes.every(({ key, value }) => JSON.stringify(currentAttributes.get(key)) === JSON.stringify(value))
  );
}
