import type { ExecutionStatus } from '../tasks/execution-status.ts';

/** The task states of the original contract (Celery's). */
export const CELERY_STATES = ['PENDING', 'STARTED', 'PROGRESS', 'SUCCESS', 'FAILURE', 'REVOKED'] as const;
export type CeleryState = (typeof CELERY_STATES)[number];

/** Closed states: the original CLI stops waiting on these. */
export const READY_STATES: readonly CeleryState[] = ['SUCCESS', 'FAILURE', 'REVOKED'];

/**
 * A task's precise state (Temporal's, refined by the analysis outcome) as the
 * original's Celery state. CANCELLING (a cancel requested, the cleanup still
 * running) is not ready yet: REVOKED only once the workflow has closed, so a
 * client that sees REVOKED may process the collection again at once.
 */
export function celeryStateOf(state: string, hasProgress = false): CeleryState {
  switch (state) {
    case 'RUNNING':
    case 'CANCELLING':
    case 'CONTINUED_AS_NEW':
      return hasProgress ? 'PROGRESS' : 'STARTED';
    case 'COMPLETED':
    case 'COMPLETED_WITH_ERRORS':
      return 'SUCCESS';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'FAILURE';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'REVOKED';
    default:
      return 'PENDING';
  }
}

/**
 * The Temporal statuses a Celery state filter selects. PENDING, RECEIVED and
 * RETRY have no Temporal counterpart of their own: a started workflow is
 * running, so they select running tasks like STARTED and PROGRESS.
 */
export function temporalStatusesFor(state: string): Exclude<ExecutionStatus, 'UNKNOWN'>[] | undefined {
  switch (state.toUpperCase()) {
    case 'PENDING':
    case 'RECEIVED':
    case 'RETRY':
    case 'STARTED':
    case 'PROGRESS':
    case 'RUNNING':
    case 'CANCELLING':
      return ['RUNNING'];
    case 'SUCCESS':
    case 'COMPLETED':
      return ['COMPLETED'];
    case 'FAILURE':
      return ['FAILED', 'TIMED_OUT'];
    case 'REVOKED':
      return ['CANCELLED', 'TERMINATED'];
    case 'FAILED':
    case 'TIMED_OUT':
    case 'CANCELLED':
    case 'TERMINATED':
      return [state.toUpperCase() as 'FAILED'];
    default:
      return undefined;
  }
}
