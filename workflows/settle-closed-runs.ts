import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { ClosedRunActivities, SettleClosedRunsResult } from '../activities/closed-runs.ts';

const { settleClosedRuns: sweep } = proxyActivities<ClosedRunActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/**
 * The sweeper of runs closed from outside, run by a Schedule every
 * `sweep_interval`: an analysis or a batch an operator terminated (or that
 * timed out) leaves no document `queued` or `processing`, no collection
 * `processing` and no document workflow running; each gets a final status
 * naming what happened.
 */
export async function settleClosedRuns(): Promise<SettleClosedRunsResult> {
  return sweep();
}

// Short: it finishes on the build that started it (Worker Versioning).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, settleClosedRuns);
