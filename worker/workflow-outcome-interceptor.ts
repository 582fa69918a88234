// A workflow interceptor module (in the workflow bundle, see
// worker/workflow-bundle.ts): counts how analyses and batches end, by their
// outcome, on the worker's Prometheus endpoint (worker/telemetry.ts), through
// the workflow metric meter. It only observes what a run returns or throws:
// no command, no state, nothing replay sees (the SDK emits no metric while
// replaying). A run that continues as new is not counted; the last run of
// the chain is.
import {
  ContinueAsNew,
  isCancellation,
  metricMeter,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
} from '@temporalio/workflow';

/** The workflows whose result carries the domain outcome in `status`, and the counter of each. */
const COUNTED: Record<string, { name: string; help: string }> = {
  collectionAnalysis: {
    name: 'fileintel_analyses_finished',
    help: 'Collection analyses that ended, by outcome (completed, completed_with_errors, failed, cancelled)',
  },
  batchProcess: {
    name: 'fileintel_batches_finished',
    help: 'Batch-process requests that ended, by outcome (completed, completed_with_errors, failed, cancelled)',
  },
};
const OUTCOMES = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

class OutcomeCounter implements WorkflowInboundCallsInterceptor {
  async execute(
    input: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    const counted = COUNTED[workflowInfo().workflowType];
    if (!counted) return next(input);
    const count = (outcome: string) =>
      metricMeter
        .createCounter(counted.name, '', counted.help)
        .add(1, { outcome: OUTCOMES.has(outcome) ? outcome : 'other' });
    try {
      const result = await next(input);
      count(String((result as { status?: unknown } | undefined)?.status));
      return result;
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) count(isCancellation(error) ? 'cancelled' : 'failed');
      throw error;
    }
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new OutcomeCounter()] });
