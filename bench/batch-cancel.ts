// P4: N running collectionAnalysis workflows (on a task queue nobody polls, so
// they stay running; with the Kind/CollectionId search attributes the API
// selects by) cancelled by one batch-cancel request selecting their
// collection, against a loop cancelling N others one at a time through the
// same client. Figure: p4_ratio = time(batch) / time(loop). Goal ≤ 0.2, and
// the batch's summary exact.
import { mapWithConcurrency } from '../common/concurrency.ts';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileIntelClient } from '../api/client/index.ts';
import type { CollectionAnalysisInput } from '../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../workflows/ids.ts';
import { CollectionIdKey, KindKey, WorkflowKind } from '../workflows/search-attributes.ts';
import { createCollection } from './support/documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round, seconds, startBenchStack } from './support/stack.ts';

const UNPOLLED_QUEUE = 'fileintel-bench-unpolled';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const count = quick ? 50 : 500;
  const stack = await startBenchStack({ worker: false });
  try {
    const client = new FileIntelClient({ baseUrl: stack.apiUrl });
    const start = async (collectionId: string, n = count) => {
      const ids = Array.from({ length: n }, (_, i) => workflowIds.collectionAnalysis(collectionId, String(i + 1)));
      await mapWithConcurrency(ids, 16, (workflowId) => {
        const input: CollectionAnalysisInput = {
          collectionId,
          selection: 'pending',
          options: { build_graph: false, extract_metadata: true, generate_embeddings: true },
        };
        return stack.temporal.workflow.start('collectionAnalysis', {
          workflowId,
          taskQueue: UNPOLLED_QUEUE,
          args: [input],
          typedSearchAttributes: [
            { key: CollectionIdKey, value: collectionId },
            { key: KindKey, value: WorkflowKind.collectionAnalysis },
          ],
        });
      });
      // Cancel by selection reads visibility: wait until it lists them all.
      const query = `CollectionId = '${collectionId}' AND ExecutionStatus = 'Running'`;
      for (let i = 0; i < 600; i++) {
        if ((await stack.temporal.workflow.count(query)).count === n) return ids;
        await sleep(100);
      }
      throw new Error(`visibility never listed ${n} running workflows of ${collectionId}`);
    };

    // Warm-up, not timed: both routes once each, so neither timing pays a first request's one-off costs (a quick
    // run's batch once took 0.63 s against its loop's 0.9 s, and 0.2 s in the next run).
    const warmUp = await createCollection(stack.sql, 'p4-warm-up');
    const [firstWarm] = await start(warmUp, 5);
    await client.tasks.cancel(firstWarm, { wait_seconds: 0 });
    await client.tasks.batchCancel({ collection_id: warmUp });

    const batchCollection = await createCollection(stack.sql, 'p4-batch');
    const loopCollection = await createCollection(stack.sql, 'p4-loop');
    log(`p4: starting ${3 * count} analysis workflows on an unpolled queue`);
    const batchIds = await start(batchCollection);
    const loopIds = await start(loopCollection);

    log('p4: one batch-cancel request by collection');
    const t0 = performance.now();
    const answer = await client.tasks.batchCancel({ collection_id: batchCollection });
    const batchMs = performance.now() - t0;

    log('p4: a loop cancelling one at a time through the same client');
    const t1 = performance.now();
    const loopOutcomes: string[] = [];
    // wait_seconds 0: request the cancel and answer, as the batch does. By default a one-task cancel waits up to
    // 5 s for the workflow to close, which on this unpolled queue never comes: the loop would time that wait.
    for (const id of loopIds) loopOutcomes.push((await client.tasks.cancel(id, { wait_seconds: 0 })).outcome);
    const loopMs = performance.now() - t1;

    // For the diagnosis: the same cancels straight to Temporal, 16 at once, no HTTP and no describe.
    const directCollection = await createCollection(stack.sql, 'p4-direct');
    const directIds = await start(directCollection);
    const t2 = performance.now();
    await mapWithConcurrency(directIds, 16, (id) => stack.temporal.workflow.getHandle(id).cancel());
    const directMs = performance.now() - t2;

    const returned = new Set(answer.results.map((result) => result.task_id));
    const exact =
      answer.total === count &&
      answer.summary.cancelled === count &&
      answer.summary.errors +
        answer.summary.not_found +
        answer.summary.already_completed +
        answer.summary.terminated ===
        0 &&
      returned.size === count &&
      batchIds.every((id) => returned.has(id));
    const loopCancelled = loopOutcomes.filter((outcome) => outcome === 'cancelled').length;
    const ratio = batchMs / loopMs;
    log(
      `p4: batch ${seconds(batchMs)} s, loop ${seconds(loopMs)} s, ratio ${ratio.toFixed(3)}, summary exact: ${exact}`,
    );
    if (!exact)
      throw new Error(
        `the batch-cancel summary is not exact: ${JSON.stringify({ total: answer.total, summary: answer.summary })}`,
      );
    return {
      figures: { p4_ratio: round(ratio) },
      details: {
        workflows: count,
        batch_ms: round(batchMs, 0),
        loop_ms: round(loopMs, 0),
        batch_summary: answer.summary,
        batch_total: answer.total,
        summary_exact: exact,
        loop_cancelled: loopCancelled,
        direct_cancel_only_16_at_once_ms: round(directMs, 0),
      },
      notes: [
        `${count} workflows: one request ${seconds(batchMs)} s (${(batchMs / count).toFixed(1)} ms each, summary exact: ${answer.summary.cancelled} cancelled, total ${answer.total}) ` +
          `vs one at a time ${seconds(loopMs)} s (${(loopMs / count).toFixed(1)} ms each, ${loopCancelled} cancelled)`,
        `the bare cancel RPCs alone, 16 at once, no describe, no HTTP: ${seconds(directMs)} s (${(directMs / count).toFixed(1)} ms each) = ${round(directMs / loopMs, 2)}× the loop`,
      ],
    };
  } finally {
    await stack.teardown();
  }
}
