// The activities collectionAnalysis calls, with their options: one place to
// read what runs where, with what timeouts and retries.
import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ClosedRunActivities } from '../../activities/closed-runs.ts';
import type { CollectionAnalysisActivities } from '../../activities/collection-analysis.ts';
import type { DocumentProcessingActivities } from '../../activities/document-processing/index.ts';
import type { DocumentRouting } from '../collection-analysis-contract.ts';
import { STEP_OPTIONS, routedOptions, withHeartbeatTimeout } from '../document-processing.ts';

/**
 * Bookkeeping of the run (begin, pages, finish): short, one transaction each,
 * on the workflow's queue so a run never waits behind document work. Only the
 * graph rebuild, which grows with the collection, is document work.
 */
const COLLECTION_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['CollectionNotFound'],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
export const collection = proxyActivities<CollectionAnalysisActivities>(COLLECTION_OPTIONS);

/** Asks Temporal how document workflows closed and settles their rows (bookkeeping, on the workflow's queue). */
export const closedRuns = proxyActivities<ClosedRunActivities>(COLLECTION_OPTIONS);

/** The graph rebuild: document work, on the routing's queue. */
export function graphActivities(routing: DocumentRouting | undefined) {
  return proxyActivities<CollectionAnalysisActivities>(routedOptions(COLLECTION_OPTIONS, routing));
}

/** A group's documents one after the other; a heartbeat after each and every second. */
const GROUP_OPTIONS: ActivityOptions = { ...STEP_OPTIONS, startToCloseTimeout: '1 hour' };

/** The group activity on the routing's queue, with the worker's heartbeat timeout, and a summary the Web UI shows. */
export function groupActivities(
  routing: DocumentRouting | undefined,
  heartbeatTimeoutMs: number | undefined,
  summary: string,
) {
  return proxyActivities<DocumentProcessingActivities>({
    ...withHeartbeatTimeout(routedOptions(GROUP_OPTIONS, routing), heartbeatTimeoutMs),
    summary,
  });
}

/** A group whose activity failed for good: one short transaction, run as a local activity. */
export const groupSettlement = proxyLocalActivities<DocumentProcessingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
