import proto from '@temporalio/proto';

const Status = proto.temporal.api.enums.v1.WorkflowExecutionStatus;

/** Temporal's execution status as the API names it. */
export type ExecutionStatus =
  'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'CONTINUED_AS_NEW' | 'TIMED_OUT' | 'UNKNOWN';

const NAMES: Record<number, ExecutionStatus> = {
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING]: 'RUNNING',
  [Status.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'COMPLETED',
  [Status.WORKFLOW_EXECUTION_STATUS_FAILED]: 'FAILED',
  [Status.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'CANCELLED',
  [Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'TERMINATED',
  [Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'CONTINUED_AS_NEW',
  [Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'TIMED_OUT',
};

export function executionStatusFromRaw(status: number | null | undefined): ExecutionStatus {
  return NAMES[status ?? 0] ?? 'UNKNOWN';
}

/** The client's status names (`CANCELLED` is spelled the same; `RUNNING` etc. too). */
export function executionStatusFromName(name: string): ExecutionStatus {
  return (Object.values(NAMES) as string[]).includes(name) ? (name as ExecutionStatus) : 'UNKNOWN';
}

/** The visibility query value of each status we filter on. */
export const VISIBILITY_STATUS: Record<Exclude<ExecutionStatus, 'UNKNOWN'>, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
  TIMED_OUT: 'TimedOut',
};
