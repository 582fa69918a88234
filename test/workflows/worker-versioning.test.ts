// A rolling deploy by Worker Versioning, with the real activities: a worker of
// build A runs an analysis; a worker of build B, whose workflow code cannot
// replay A's histories, starts and becomes current (worker_versioning auto);
// everything completes: the document workflows pinned to A finish on A, the
// analysis moves to B at its next continue-as-new, and A then stops with
// nothing of it left running.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../../worker/workflow-bundle.ts';
import { createFileIntelWorker, type FileIntelWorker } from '../../worker/worker.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { eventually } from '../support/eventually.ts';
import { collectionWith, processedAtLeast, running, settled, startAnalysis } from '../support/operators.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('Worker Versioning: a rolling deploy from build A to an incompatible build B', () => {
  let stack: TestStack;
  const stops: Array<() => Promise<void>> = [];
  const released = new Set<string>();
  const heldIds: string[] = [];

  before(async () => {
    stack = await startTestStack({
      api: false,
      worker: false,
      config: { page_size: 20, max_concurrent_documents: 4, group_max_documents: 5, worker_versioning: 'auto' },
      temporalArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    });
  });
  after(async () => {
    // Held documents go on, so the workers can drain whatever happened.
    for (const id of heldIds) released.add(id);
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await stack?.teardown();
  });

  /** A worker of `buildId` with the real activities; a `slow-*` document waits until released. */
  async function startBuild(buildId: string, workflowBundle?: { code: string }): Promise<FileIntelWorker> {
    const config = { ...stack.config, build_id: buildId };
    const deps = { config, sql: stack.sql, storage: stack.storage, staging: stack.staging };
    const real = createActivities(deps);
    const activities = {
      ...real,
      async processDocument(input: Parameters<typeof real.processDocument>[0]) {
        const [row] = await stack.sql`SELECT original_filename FROM documents WHERE id = ${input.documentId}`;
        while (row?.original_filename.startsWith('slow-') && !released.has(input.documentId)) {
          Context.current().heartbeat();
          if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('slow document cancelled');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return real.processDocument(input);
      },
    };
    const { worker, connection } = await createFileIntelWorker({
      temporalAddress: stack.temporalAddress,
      deps,
      activities,
      workflowBundle,
    });
    const runningWorker = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await runningWorker;
      await connection.close();
    });
    await eventually(
      () => worker.promotion,
      (promotion) => promotion !== undefined,
      `build ${buildId} promoted`,
    );
    return worker;
  }

  /** The build a workflow's latest run is pinned to. */
  async function buildOf(workflowId: string, runId?: string): Promise<string | undefined> {
    const description = await stack.temporal.workflow.getHandle(workflowId, runId).describe();
    const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
    return versioning?.deploymentVersion?.buildId ?? undefined;
  }

  test('pinned document workflows finish on A, the analysis continues on B, A stops with nothing left', async () => {
    // Build B, bundled first (it takes seconds): the same workflows and one more command at the start of every run.
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [
        ...WORKFLOW_INTERCEPTOR_MODULES,
        path.join(import.meta.dirname, 'versioning', 'incompatible-change.ts'),
      ],
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    });
    const a = await startBuild('build-a');
    assert.equal(a.promotion, 'promoted');
    const collection = await collectionWith(stack, 'rolling-deploy', { slow: 2, small: 200 });
    heldIds.push(...collection.slowIds);
    const analysis = await startAnalysis(stack, collection.id);
    const documentWorkflows = collection.slowIds.map((id) => workflowIds.documentProcessing(id, '1'));
    for (const id of documentWorkflows) await running(stack, id);
    // While pages are left: the analysis moves at a continue-as-new between pages.
    await processedAtLeast(stack, collection.id, 10);
    const firstRun = (await analysis.describe()).runId;
    assert.equal(await buildOf(analysis.workflowId, firstRun), 'build-a');

    const b = await startBuild('build-b', { code });
    assert.equal(b.promotion, 'promoted', 'the newest build makes itself current');

    // The analysis moves to B at its next continue-as-new.
    await eventually(
      () => buildOf(analysis.workflowId),
      (build) => build === 'build-b',
      'the analysis runs on build B',
      { timeoutMs: 120_000 },
    );
    for (const id of collection.slowIds) released.add(id);
    const result = await analysis.result();
    assert.deepEqual(
      { status: result.status, failed: result.failed, processed: result.processed },
      { status: 'completed', failed: 0, processed: 202 },
    );
    const state = await settled(stack, collection.id);
    assert.deepEqual(state.byStatus, { processed: 202 });
    for (const id of documentWorkflows) assert.equal(await buildOf(id), 'build-a', `${id} stayed pinned to A`);
    assert.equal(await buildOf(analysis.workflowId, firstRun), 'build-a');

    // A drains: nothing pinned to it runs any more, and it stops.
    const runningOnA: string[] = [];
    for await (const execution of stack.temporal.workflow.list({
      query: `TemporalWorkerDeploymentVersion = '${stack.config.deployment_name}:build-a' AND ExecutionStatus = 'Running'`,
    }))
      runningOnA.push(execution.workflowId);
    assert.deepEqual(runningOnA, []);
    a.shutdown();
    await eventually(
      () => a.getState(),
      (state) => state === 'STOPPED',
      'build A stopped',
    );
  });
});
