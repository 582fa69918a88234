import { NativeConnection, Worker, type State, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { activeTracing } from '../common/tracing.ts';
import type { Config, WorkerQueue } from '../config/schema.ts';
import { buildIdOf, deploymentOptionsOf, promoteIfNewest, type Promotion } from './versioning.ts';
import { loadWorkflowBundle, WORKFLOW_SINKS_WITHOUT_TRACING } from './workflow-bundle.ts';

/**
 * The Temporal workers of one process, one per task queue it serves, run and
 * stopped together: `workflows` (task_queue: every workflow, its bookkeeping
 * activities and local activities) and `documents` (document_task_queue: the
 * per-document and per-group activities). Both register every activity: an
 * analysis started before the queues were split still schedules its document
 * work on the workflow queue, and must find it there.
 */
export class FileIntelWorker {
  /** How `worker_versioning: auto` ended for this worker's build (undefined until it has, or when it is not auto). */
  promotion?: Promotion;

  constructor(
    readonly workers: ReadonlyMap<WorkerQueue, Worker>,
    /** This worker's build id (its Worker Deployment version). */
    readonly buildId: string,
    /** Makes the build current once the workers poll (worker_versioning auto); a failure stops the worker. */
    private readonly promote?: (signal: AbortSignal) => Promise<Promotion>,
  ) {}

  /** Runs every queue's worker; when one stops or fails, the others are shut down too. */
  async run(): Promise<void> {
    const runs = [...this.workers.values()].map((worker) =>
      worker.run().finally(() => {
        this.shutdown();
      }),
    );
    if (this.promote) {
      const stopped = new AbortController();
      void Promise.allSettled(runs).then(() => stopped.abort());
      runs.push(
        this.promote(stopped.signal).then(
          (promotion) => void (this.promotion = promotion),
          (error: unknown) => {
            this.shutdown();
            throw error;
          },
        ),
      );
    }
    const outcomes = await Promise.allSettled(runs);
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  shutdown(): void {
    for (const worker of this.workers.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** RUNNING while any queue's worker runs; else the first one's state. */
  getState(): State {
    const states = [...this.workers.values()].map((worker) => worker.getState());
    return states.includes('RUNNING') ? 'RUNNING' : states[0];
  }
}

/** The task queue of each kind, by config. */
export function taskQueueOf(config: Config, queue: WorkerQueue): string {
  return queue === 'workflows' ? config.task_queue : config.document_task_queue;
}

/**
 * The FileIntel worker of a process: the queues it is told (config
 * worker_queues unless given), each with its own slots. Document slots are
 * max_concurrent_activities, which zod keeps at or below the DB pool size.
 */
export async function createFileIntelWorker(options: {
  temporalAddress: string;
  deps: ActivityDeps;
  /** Replaces the real activities (workflow-logic tests only). */
  activities?: object;
  /** Replaces the workflows of workflows/ (the versioning test runs a changed build beside the current one). */
  workflowBundle?: { code: string };
  /** The queues to serve; config worker_queues when not given. */
  queues?: readonly WorkerQueue[];
}): Promise<{ worker: FileIntelWorker; connection: NativeConnection }> {
  const { config } = options.deps;
  const queues = [...new Set(options.queues ?? config.worker_queues)];
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  try {
    const activities = options.activities ?? createActivities(options.deps);
    const tracing = await tracingOptions();
    // Every queue's worker of this process is of one build, named after its workflow code.
    const workflowBundle = options.workflowBundle ?? (await loadWorkflowBundle());
    const buildId = buildIdOf(config, workflowBundle.code);
    const workers = new Map<WorkerQueue, Worker>();
    for (const queue of queues) {
      const common = {
        connection,
        namespace: config.temporal_namespace,
        taskQueue: taskQueueOf(config, queue),
        activities,
        // A cancel reaches an activity only with a heartbeat's answer; the default throttle
        // (0.8 × the 1-minute heartbeat timeout) delays it up to ~48 s.
        maxHeartbeatThrottleInterval: '5 seconds',
        shutdownGraceTime: '10 seconds',
        ...tracing,
        ...deploymentOptionsOf(config, buildId),
      } as const;
      workers.set(
        queue,
        queue === 'workflows'
          ? await Worker.create({
              ...common,
              workflowBundle,
              maxConcurrentWorkflowTaskExecutions: config.max_concurrent_workflow_tasks,
              maxConcurrentActivityTaskExecutions: config.max_concurrent_bookkeeping_activities,
            })
          : await Worker.create({ ...common, maxConcurrentActivityTaskExecutions: config.max_concurrent_activities }),
      );
    }
    const promote =
      config.worker_versioning === 'auto'
        ? (signal: AbortSignal) => promoteIfNewest(connection, config, buildId, signal)
        : undefined;
    return { worker: new FileIntelWorker(workers, buildId, promote), connection };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/**
 * The workflow bundle always carries OpenTelemetry's workflow interceptors
 * (worker/workflow-bundle.ts), which hand their spans to the `exporter` sink:
 * with tracing on (common/tracing.ts) the sink exports them and the activity
 * interceptors add a span per activity, child of the workflow's; off, the
 * sink drops them and activities run unwrapped.
 */
async function tracingOptions(): Promise<Pick<WorkerOptions, 'sinks' | 'interceptors'>> {
  const tracing = activeTracing();
  if (!tracing) return { sinks: WORKFLOW_SINKS_WITHOUT_TRACING };
  const otel = await import('@temporalio/interceptors-opentelemetry');
  return {
    sinks: { exporter: otel.makeWorkflowExporter(tracing.processor, tracing.resource) },
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
  };
}
