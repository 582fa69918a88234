import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { loadWorkflowBundle } from './workflow-bundle.ts';

/**
 * The FileIntel worker: every workflow and activity on one task queue. Activity
 * slots are capped by config, which zod keeps at or below the DB pool size.
 */
export async function createFileIntelWorker(options: {
  temporalAddress: string;
  deps: ActivityDeps;
  /** Replaces the real activities (workflow-logic tests only). */
  activities?: object;
}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config } = options.deps;
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal_namespace,
    taskQueue: config.task_queue,
    workflowBundle: await loadWorkflowBundle(),
    activities: options.activities ?? createActivities(options.deps),
    maxConcurrentActivityTaskExecutions: config.max_concurrent_activities,
    // A cancel reaches an activity only with a heartbeat's answer; the default throttle (0.8 × the 1-minute heartbeat timeout) delays it up to ~48 s.
    maxHeartbeatThrottleInterval: '5 seconds',
    shutdownGraceTime: '10 seconds',
  });
  return { worker, connection };
}
