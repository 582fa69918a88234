// Worker Versioning: every worker belongs to the Worker Deployment
// `deployment_name` with a build id; workflows are pinned to the build that
// started them (collectionAnalysis moves to a new build at continue-as-new),
// so a deploy never replays old histories on new workflow code.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NativeConnection, WorkerDeploymentOptions } from '@temporalio/worker';
import type { Config } from '../config/schema.ts';

/** The build id: config build_id, else a hash of the workflow bundle (a change of workflow code is a new build). */
export function buildIdOf(config: Pick<Config, 'build_id'>, workflowBundleCode: string): string {
  if (config.build_id) return config.build_id;
  return `wf-${createHash('sha256').update(workflowBundleCode).digest('hex').slice(0, 12)}`;
}

/** The Worker.create options of a versioned worker (none when versioning is off). */
export function deploymentOptionsOf(
  config: Pick<Config, 'worker_versioning' | 'deployment_name'>,
  buildId: string,
): { workerDeploymentOptions?: WorkerDeploymentOptions } {
  if (config.worker_versioning === 'off') return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: config.deployment_name, buildId },
      // Short workflows finish on the build that started them; collectionAnalysis says so too and moves at continue-as-new.
      defaultVersioningBehavior: 'PINNED',
    },
  };
}

/** How the promotion ended. */
export type Promotion = 'promoted' | 'already_current' | 'newer_build_exists' | 'rolled_back';

/** How long a worker tries to make its build current before it gives up (the server learns a version from its polls). */
const PROMOTION_DEADLINE_MS = 60_000;

/**
 * `worker_versioning: auto`: once this worker polls, its build becomes the
 * deployment's current version, so new workflows run on it, unless a newer
 * build exists (an old replica restarting never rolls a deploy back) or an
 * operator rolled this build back (it was current once and was deactivated).
 */
export async function promoteIfNewest(
  connection: NativeConnection,
  config: Pick<Config, 'temporal_namespace' | 'deployment_name'>,
  buildId: string,
  signal?: AbortSignal,
): Promise<Promotion> {
  const service = connection.workflowService;
  const namespace = config.temporal_namespace;
  const deploymentName = config.deployment_name;
  const deadline = Date.now() + PROMOTION_DEADLINE_MS;
  let lastError: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const { workerDeploymentInfo: info } = await service.describeWorkerDeployment({ namespace, deploymentName });
      const summaries = info?.versionSummaries ?? [];
      const mine = summaries.find((summary) => summary.deploymentVersion?.buildId === buildId);
      if (mine) {
        if (info?.routingConfig?.currentDeploymentVersion?.buildId === buildId) return 'already_current';
        if (mine.lastDeactivationTime) return 'rolled_back';
        const createdAt = (summary: (typeof summaries)[number]) =>
          Number(summary.createTime?.seconds ?? 0) * 1_000 + (summary.createTime?.nanos ?? 0) / 1e6;
        if (summaries.some((other) => other !== mine && createdAt(other) > createdAt(mine)))
          return 'newer_build_exists';
        await service.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName,
          buildId,
          // A worker serving one queue may come up before the workers of the other.
          ignoreMissingTaskQueues: true,
          identity: `fileintel worker ${buildId}`,
        });
        return 'promoted';
      }
    } catch (error) {
      // Not found until the first poll registers the deployment; a concurrent change conflicts: look again.
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(
    `could not make build ${buildId} the current version of deployment ${deploymentName} within ${PROMOTION_DEADLINE_MS / 1000} s: ${(lastError as Error | undefined)?.message ?? 'its version was never registered'}`,
  );
}
