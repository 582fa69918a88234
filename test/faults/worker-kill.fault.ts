import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
  assertExactlyOnce,
  killHard,
  reportFigures,
  retriesInHistory,
  runsOf,
  seedDocuments,
  stopChild,
  type Child,
  forkWorkerChild,
} from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';

const DOCUMENTS = Number(process.env.FAULT_DOCUMENTS ?? 500);
const KILLS = Number(process.env.FAULT_KILLS ?? 3);

/**
 * The worker runs in a child process and is SIGKILLed three times while a
 * 500-document analysis runs (at about 20 %, 45 % and 70 % done), restarted
 * each time. The analysis must end `completed` with every document processed
 * exactly once in effect, and the histories must show the retries.
 */
describe(`worker SIGKILLed ${KILLS}× during a ${DOCUMENTS}-document analysis`, () => {
  let stack: TestStack;
  let worker: Child | undefined;
  before(async () => {
    stack = await startTestStack({ worker: false, api: false, config: { page_size: 50, max_concurrent_documents: 4 } });
  });
  after(async () => {
    await stopChild(worker);
    await stack?.teardown();
  });

  const startWorker = () => forkWorkerChild(stack);

  test('completed, exactly once in effect, retries in the history', async () => {
    const started = Date.now();
    const [{ id: collectionId }] = await stack.sql`INSERT INTO collections (name) VALUES ('worker-kill') RETURNING id`;
    const documentIds = await seedDocuments(stack.sql, stack.storage, collectionId, DOCUMENTS);
    worker = await startWorker();
    const { task_id } = await startCollectionAnalysis(
      { temporal: stack.temporal, config: stack.config, sql: stack.sql },
      {
        collectionId,
        selection: 'pending',
        options: { build_graph: true, extract_metadata: true, generate_embeddings: true },
      },
    );
    const processed = async () =>
      (
        await stack.sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`
      )[0].n;
    const inFlightAtKill = new Set<string>();
    const kills: { atProcessed: number; inFlight: number; restartMs: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const threshold = Math.floor(DOCUMENTS * (0.2 + 0.25 * k));
      await eventually(processed, (n) => n >= threshold, `${threshold} documents processed before kill ${k + 1}`, {
        timeoutMs: 20 * 60_000,
        everyMs: 200,
      });
      const busy = await stack.sql<
        { id: string }[]
      >`SELECT id FROM documents WHERE collection_id = ${collectionId} AND status = 'processing'`;
      const at = await processed();
      await killHard(worker);
      for (const row of busy) inFlightAtKill.add(row.id);
      const restartedAt = Date.now();
      worker = await startWorker();
      kills.push({ atProcessed: at, inFlight: busy.length, restartMs: Date.now() - restartedAt });
      console.log(
        `kill ${k + 1}: SIGKILL at ${at}/${DOCUMENTS} processed, ${busy.length} in flight; new worker pid ${worker.pid} in ${Date.now() - restartedAt} ms`,
      );
    }
    const result = (await stack.temporal.workflow.getHandle(task_id).result()) as CollectionAnalysisResult;
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(result.processed, DOCUMENTS);
    assert.equal(result.failed, 0);
    const [collection] = await stack.sql`SELECT status FROM collections WHERE id = ${collectionId}`;
    assert.equal(collection.status, 'completed');

    const effect = await assertExactlyOnce(stack.sql, stack.storage, stack.config, collectionId, DOCUMENTS);
    const runKey = task_id.split(':').pop()!;
    // Small documents run in groups, activities of the analysis itself (in every run it continued
    // as new into); the others in workflows of their own.
    const analysisRuns = await runsOf(stack.temporal, task_id);
    const history = await retriesInHistory(stack.temporal, [
      ...analysisRuns,
      ...documentIds.map((id) => `document:${id}:${runKey}`),
    ]);
    assert.ok(
      history.activityAttemptsAfterFirst + history.activityTimeouts + history.workflowTaskTimeouts > 0,
      `the histories show the retries: ${JSON.stringify(history)}`,
    );
    reportFigures('worker-kill', {
      database: stack.databaseKind,
      documents: DOCUMENTS,
      kills,
      result: { status: result.status, processed: result.processed, failed: result.failed },
      exactly_once: effect,
      retries_in_document_histories: history,
      documents_processing_at_kills: inFlightAtKill.size,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  });
});
