// Conformance of /api/v2 with the original FileIntel CLI: for each command of
// its collections, documents and tasks groups, the exact request it sends
// (original-client.ts) against a real stack (Temporal dev server, database,
// worker, API), and the fields it reads from the answer. Task states are
// walked through real runs: STARTED → SUCCESS, a cancel → REVOKED, a run whose
// documents all fail → FAILURE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeText } from '../../fixtures/upload-files.ts';
import { eventually } from '../../support/eventually.ts';
import { request } from '../../support/http.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';
import { CLI_STOP_STATES, originalClient, waitLikeTheCli, type OriginalClient } from './original-client.ts';

/** The envelope every v2 answer has (the original's ApiResponseV2). */
function assertEnvelope(body: { success: boolean; api_version: string; timestamp: string }) {
  assert.equal(body.api_version, '2.0');
  assert.equal(typeof body.timestamp, 'string');
  assert.equal(typeof body.success, 'boolean');
}

/** A refusal: the status, and the top-level `detail` the original CLI prints. */
function assertRefusal(res: { status: number; body: any }, status: number, detail: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assertEnvelope(res.body);
  assert.equal(res.body.success, false);
  assert.match(res.body.detail, detail);
  assert.equal(res.body.error, res.body.detail);
}

describe('/api/v2 answers the original FileIntel CLI (real stack)', () => {
  let stack: TestStack;
  let cli: OriginalClient;
  let v2: string;
  let stopWorker: (() => Promise<void>) | undefined;

  before(async () => {
    // No worker at first: a started run then stays STARTED until one polls.
    stack = await startTestStack({ worker: false });
    v2 = stack.apiUrl.replace(/\/api\/v3$/, '/api/v2');
    cli = originalClient(v2);
  });
  after(async () => {
    await stopWorker?.();
    await stack?.teardown();
  });

  const text = (words: string) =>
    makeText(`${words} ${'The quick brown fox jumps over the lazy dog near the river bank. '.repeat(4)}`);

  test('collections create | list | get | status | delete read the fields the CLI reads', async () => {
    const created = await cli.createCollection('conformance-crud', 'made by the original CLI');
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertEnvelope(created.body);
    assert.equal(created.body.success, true);
    assert.deepEqual(
      [created.body.data.name, created.body.data.description],
      ['conformance-crud', 'made by the original CLI'],
    );
    assert.match(created.body.data.id, /^[0-9a-f-]{36}$/);

    // collections list: `data` is the list; each item's id, name, description, status.
    const listed = await cli.listCollections();
    assert.ok(Array.isArray(listed.body.data), 'data is a list');
    const item = listed.body.data.find((c: { name: string }) => c.name === 'conformance-crud');
    for (const key of ['id', 'name', 'description', 'status']) assert.ok(key in item, key);
    assert.equal(listed.body.total, listed.body.data.length);

    // collections get by name and by id; documents list reads data.documents.
    for (const ref of ['conformance-crud', created.body.data.id]) {
      const got = await cli.getCollection(ref);
      assert.equal(got.status, 200);
      assert.equal(got.body.data.id, created.body.data.id);
      assert.deepEqual(got.body.data.documents, []);
    }

    const status = await cli.collectionStatus('conformance-crud');
    assert.equal(status.status, 200);
    assert.equal(status.body.data.collection_identifier, created.body.data.id);
    assert.equal(status.body.data.processing_status, 'created');
    assert.equal(status.body.data.document_count, 0);
    assert.ok(status.body.data.available_operations.includes('complete_analysis'));

    assertRefusal(await cli.createCollection('conformance-crud'), 409, /already exists/);
    const deleted = await cli.deleteCollection('conformance-crud');
    assert.equal(deleted.status, 200);
    assert.match(deleted.body.data.message, /deleted successfully/);
    assertRefusal(await cli.getCollection('conformance-crud'), 404, /collection 'conformance-crud' not found/);
    assertRefusal(await cli.deleteCollection('conformance-crud'), 404, /not found/);
  });

  test('documents upload | list | get | delete: upload fields, sizes, id prefixes, a duplicate, an unsupported type', async () => {
    await cli.createCollection('conformance-docs');
    const bytes = text('alpha');
    const uploaded = await cli.uploadDocument('conformance-docs', 'alpha.txt', bytes);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const doc = uploaded.body.data;
    assert.equal(doc.duplicate, false);
    assert.equal(doc.file_size, bytes.length);
    assert.equal(doc.original_filename, 'alpha.txt');
    assert.match(doc.content_hash, /^[0-9a-f]{64}$/);
    assert.match(doc.document_id, /^[0-9a-f-]{36}$/);
    assert.equal(doc.filename, `${doc.document_id}.txt`);
    assert.ok(doc.file_path.endsWith(doc.filename));

    const again = await cli.uploadDocument('conformance-docs', 'alpha-copy.txt', bytes);
    assert.equal(again.status, 200);
    assert.equal(again.body.data.duplicate, true);
    assert.equal(again.body.data.document_id, doc.document_id);

    // documents list: id, original_filename or filename, file_size (was "0 bytes"), mime_type; every document, not the first 100.
    const listed = await cli.getCollection('conformance-docs');
    assert.equal(listed.body.data.documents.length, 1);
    const [row] = listed.body.data.documents;
    assert.deepEqual(
      [row.id, row.original_filename, row.file_size, row.mime_type],
      [doc.document_id, 'alpha.txt', bytes.length, 'text/plain'],
    );

    // documents get: a whole id, or its first characters when only one id starts so.
    for (const ref of [doc.document_id, doc.document_id.slice(0, 8)]) {
      const got = await cli.getDocument(ref);
      assert.equal(got.status, 200, JSON.stringify(got.body));
      assert.equal(got.body.data.id, doc.document_id);
      assert.equal(got.body.data.file_size, bytes.length);
      assert.deepEqual(got.body.data.collection_ids, [listed.body.data.id]);
    }
    // An ambiguous prefix is a 409 that lists the candidates.
    const ids: string[] = [doc.document_id];
    for (let i = 0; ids.length < 40 && i < 40; i++)
      ids.push(
        (await cli.uploadDocument('conformance-docs', `more-${i}.txt`, text(`more ${i}`))).body.data.document_id,
      );
    const shared = ids.map((id) => id[0]).find((c, i, all) => all.indexOf(c) !== i)!;
    const ambiguous = await cli.getDocument(shared);
    assertRefusal(ambiguous, 409, /matches .* documents/);
    assert.ok(ambiguous.body.details.candidates.length >= 2);
    assertRefusal(await cli.getDocument('ffffffff-ffff-ffff-ffff-ffffffffffff'), 404, /not found/);

    const refused = await cli.uploadDocument('conformance-docs', 'book.kfx', Buffer.from('fake kindle bytes'));
    assertRefusal(refused, 415, /KFX.*not supported.*pdf, epub, docx, txt, md, html, htm, mobi, azw, azw3/);

    const removed = await cli.deleteDocument(doc.document_id.slice(0, 13));
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.data.id, doc.document_id);
    assertRefusal(await cli.getDocument(doc.document_id), 404, /not found/);
  });

  test('process, then tasks get | wait | result | list | cancel: STARTED → SUCCESS, a cancel → REVOKED, all documents failing → FAILURE', async () => {
    for (const name of ['conformance-ok', 'conformance-cancel', 'conformance-fail']) await cli.createCollection(name);
    await cli.uploadDocument('conformance-ok', 'one.txt', text('one'));
    await cli.uploadDocument('conformance-ok', 'two.md', text('two'));
    await cli.uploadDocument('conformance-cancel', 'three.txt', text('three'));
    // Text that passes the upload check but has no words: its processing fails.
    await cli.uploadDocument('conformance-fail', 'blank.txt', Buffer.from('   \n\n   \n'));

    // The original body: operation_type, parameters, build_graph true by default.
    const ok = await cli.processCollection('conformance-ok');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.data.task_type, 'complete_analysis');
    assert.equal(ok.body.data.status, 'PENDING');
    const okTask = ok.body.data.task_id;
    assertRefusal(await cli.processCollection('conformance-ok'), 409, /is being analysed by task/);

    // No worker yet: the run is STARTED, its result not ready.
    const started = await cli.taskStatus(okTask);
    assertEnvelope(started.body);
    assert.equal(started.body.success, true);
    assert.equal(started.body.data.status, 'STARTED');
    assert.equal(started.body.data.state, 'RUNNING');
    for (const key of [
      'task_id',
      'task_name',
      'result',
      'error',
      'progress',
      'started_at',
      'completed_at',
      'worker_id',
      'retry_count',
    ])
      assert.ok(key in started.body.data, key);
    const notReady = await cli.taskResult(okTask);
    assert.equal(notReady.status, 200);
    assert.equal(notReady.body.data.ready, false);

    const cancelTask = (await cli.processCollection('conformance-cancel')).body.data.task_id;
    const cancelled = await cli.cancelTask(cancelTask);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.data.success, true);
    assert.equal(typeof cancelled.body.data.message, 'string');
    // No worker runs its cleanup yet: the cancel waited its bound and says so; the task is not REVOKED while it runs,
    // and processing the collection again is refused as cancelling, with when to retry (issue 22, item 6).
    assert.deepEqual([cancelled.body.data.status, cancelled.body.data.state], ['STARTED', 'CANCELLING']);
    const cancelling = await cli.taskStatus(cancelTask);
    assert.deepEqual([cancelling.body.data.status, cancelling.body.data.state], ['STARTED', 'CANCELLING']);
    assertRefusal(await cli.processCollection('conformance-cancel'), 409, /is being cancelled and still cleaning up/);
    const failTask = (await cli.processCollection('conformance-fail')).body.data.task_id;

    stopWorker = await stack.startWorker();

    // tasks wait: stops on SUCCESS; the CLI then reads `successful` and `result` beside data.
    const success = await waitLikeTheCli(cli, okTask);
    assert.equal(success.body.data.status, 'SUCCESS');
    assert.equal(success.body.data.state, 'COMPLETED');
    assert.equal(success.body.successful, true);
    assert.equal(success.body.result.status, 'completed');
    assert.deepEqual([success.body.data.result.processed, success.body.data.result.failed], [2, 0]);
    assert.equal(typeof success.body.data.completed_at, 'string');
    assert.equal(success.body.data.progress.percentage, 100);

    const revoked = await waitLikeTheCli(cli, cancelTask);
    assert.equal(revoked.body.data.status, 'REVOKED');
    assert.equal(revoked.body.data.state, 'CANCELLED');
    assert.equal(revoked.body.successful, false);

    const failure = await waitLikeTheCli(cli, failTask);
    assert.equal(failure.body.data.status, 'FAILURE');
    assert.equal(failure.body.data.state, 'FAILED');
    assert.match(failure.body.error, /all 1 document\(s\) failed; first: blank\.txt/);
    assert.equal((await cli.collectionStatus('conformance-fail')).body.data.processing_status, 'failed');

    // tasks result: ready, successful, result / error.
    const result = await cli.taskResult(okTask);
    assert.deepEqual([result.body.data.ready, result.body.data.successful], [true, true]);
    assert.equal(result.body.data.result.processed, 2);
    const failedResult = await cli.taskResult(failTask);
    assert.deepEqual([failedResult.body.data.ready, failedResult.body.data.successful], [true, false]);
    assert.match(failedResult.body.data.error, /blank\.txt/);

    // tasks cancel of a finished task: 400 "already completed", as the original answered.
    assertRefusal(await cli.cancelTask(okTask), 400, /already completed \(SUCCESS: COMPLETED\)/);
    assertRefusal(
      await cli.taskStatus('collection-analysis:nope:0'),
      404,
      /task 'collection-analysis:nope:0' not found/,
    );

    // tasks list: offset and Celery states accepted; tasks, total, limit, offset, has_more.
    const listed = await eventually(
      () => cli.listTasks(undefined, 2, 0),
      (res) => res.body.data?.total >= 3,
      'three tasks visible',
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(
      [listed.body.data.limit, listed.body.data.offset, listed.body.data.tasks.length, listed.body.data.has_more],
      [2, 0, 2, true],
    );
    for (const task of listed.body.data.tasks)
      assert.ok(['task_id', 'status', 'task_name'].every((key) => key in task));
    const page2 = await cli.listTasks(undefined, 2, 2);
    assert.equal(page2.body.data.offset, 2);
    assert.ok(
      !page2.body.data.tasks.some((t: { task_id: string }) =>
        listed.body.data.tasks.some((u: { task_id: string }) => u.task_id === t.task_id),
      ),
      'pages do not overlap',
    );
    for (const [state, id] of [
      ['SUCCESS', okTask],
      ['REVOKED', cancelTask],
      ['FAILURE', null],
    ] as const) {
      const filtered = await eventually(
        () => cli.listTasks(state),
        (res) =>
          res.status === 200 && (id === null || res.body.data.tasks.some((t: { task_id: string }) => t.task_id === id)),
        `tasks list --state ${state}`,
      );
      assert.ok(
        filtered.body.data.tasks.every((t: { status: string }) => t.status === state),
        state,
      );
    }
    assertRefusal(await cli.listTasks('SLEEPING'), 400, /unknown task state 'SLEEPING'/);
  });

  test('tasks batch-cancel counts terminated tasks as cancelled and unknown ids as errors; tasks metrics; health', async () => {
    await stopWorker?.();
    stopWorker = undefined;
    await cli.createCollection('conformance-batch');
    await cli.uploadDocument('conformance-batch', 'b.txt', text('bee'));
    const running = (await cli.processCollection('conformance-batch')).body.data.task_id;
    const finished = (
      await eventually(
        () => cli.listTasks('SUCCESS'),
        (res) => res.body.data?.tasks.length > 0,
        'a finished task',
      )
    ).body.data.tasks[0].task_id;

    const answer = await cli.batchCancel([running, finished, 'collection-analysis:unknown:0'], true);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.data.summary, {
      cancelled: 1,
      already_completed: 1,
      errors: 1,
      terminated: 1,
      not_found: 1,
    });
    assert.deepEqual(
      answer.body.data.results.map((r: { outcome: string }) => r.outcome),
      ['terminated', 'already_completed', 'not_found'],
    );
    assert.equal(answer.body.data.total_tasks, 3);
    const revoked = await cli.taskStatus(running);
    assert.deepEqual([revoked.body.data.status, revoked.body.data.state], ['REVOKED', 'TERMINATED']);
    // A terminated run does no cleanup: the status its first step set stays `processing` (set here, as that step
    // would have, since no worker ran it); nothing runs any more, so the collection can be deleted.
    await stack.sql`UPDATE collections SET status = 'processing' WHERE name = 'conformance-batch'`;
    assert.equal((await cli.collectionStatus('conformance-batch')).body.data.processing_status, 'processing');
    assert.equal((await cli.deleteCollection('conformance-batch')).status, 200);

    // tasks metrics (also behind the CLI's health and status).
    const metrics = await cli.taskMetrics();
    assert.equal(metrics.status, 200);
    assert.equal(metrics.body.success, true);
    for (const key of [
      'active_tasks',
      'pending_tasks',
      'completed_tasks',
      'failed_tasks',
      'average_task_duration',
      'worker_count',
      'queue_lengths',
    ])
      assert.ok(key in metrics.body.data, key);
    // By outcome: the successful run is completed; the one whose documents all failed is a failure, though its
    // workflow completed in Temporal (recently_closed_by_execution_status says that).
    assert.equal(metrics.body.data.completed_tasks, 1, JSON.stringify(metrics.body.data));
    assert.equal(metrics.body.data.failed_tasks, 1);
    assert.equal(metrics.body.data.recently_closed_by_execution_status.COMPLETED, 2);
    assert.deepEqual(metrics.body.data.recently_closed_by_kind.collection_analysis, {
      COMPLETED: 1,
      FAILED: 1,
      CANCELLED: 1,
      TERMINATED: 1,
    });
    assert.equal(typeof metrics.body.data.failed_tasks, 'number');
    assert.equal(metrics.body.data.recently_closed_by_status.TERMINATED, 1);
    assert.equal(typeof metrics.body.data.workers, 'object');

    const health = await request('GET', `${v2}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.api_version, '2.0');
  });

  test('upload-and-process, batch upload then process, documents/add and batch-process start real runs that end in SUCCESS', async () => {
    stopWorker ??= await stack.startWorker();
    await cli.createCollection('conformance-flow');
    const uploaded = await cli.uploadAndProcessDocument('conformance-flow', 'flow.txt', text('flow'));
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    assert.deepEqual(
      [uploaded.body.data.uploaded_files, uploaded.body.data.duplicates_skipped, uploaded.body.data.processing_status],
      [1, 0, 'submitted'],
    );
    assert.equal(uploaded.body.data.file_paths.length, 1);
    assert.equal((await waitLikeTheCli(cli, uploaded.body.data.task_id)).body.data.status, 'SUCCESS');

    const duplicate = await cli.uploadAndProcessDocument('conformance-flow', 'flow-again.txt', text('flow'));
    assert.deepEqual(
      [
        duplicate.body.data.uploaded_files,
        duplicate.body.data.duplicates_skipped,
        duplicate.body.data.processing_status,
      ],
      [0, 1, 'skipped'],
    );

    // documents batch-upload: one upload per file, then process_collection.
    for (const name of ['b1.txt', 'b2.txt'])
      assert.equal((await cli.uploadDocument('conformance-flow', name, text(name))).status, 200);
    const processed = await cli.processCollection('conformance-flow');
    assert.equal(processed.body.data.documents, 2, 'only the new documents');
    assert.equal((await waitLikeTheCli(cli, processed.body.data.task_id)).body.data.status, 'SUCCESS');

    // Nothing new: the original processed everything again, and so does v2.
    const again = await cli.processCollection('conformance-flow');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.match(again.body.data.message, /processed again/);
    assert.equal((await waitLikeTheCli(cli, again.body.data.task_id)).body.data.status, 'SUCCESS');

    // documents/add: an uploaded document named by the file_path its upload answered.
    const added = await cli.uploadDocument('conformance-flow', 'late.txt', text('late'));
    const incremental = await cli.addDocuments('conformance-flow', [
      added.body.data.file_path,
      '/srv/uploads/missing.pdf',
    ]);
    assert.equal(incremental.status, 200, JSON.stringify(incremental.body));
    assert.equal(incremental.body.data.task_type, 'incremental_update');
    assert.deepEqual(
      incremental.body.data.added.map((a: { document_id: string }) => a.document_id),
      [added.body.data.document_id],
    );
    assert.equal(incremental.body.data.not_found[0].reference, '/srv/uploads/missing.pdf');
    assert.equal((await waitLikeTheCli(cli, incremental.body.data.task_id)).body.data.status, 'SUCCESS');
    assertRefusal(
      await cli.addDocuments('conformance-flow', ['/etc/passwd']),
      400,
      /none of the 1 path\(s\) names a document/,
    );

    // documents chunks (by id prefix) and documents export of the processed document.
    const prefix = added.body.data.document_id.slice(0, 13);
    const chunks = await cli.documentChunks(prefix, 10, 0);
    assert.equal(chunks.status, 200, JSON.stringify(chunks.body));
    assert.equal(chunks.body.data.document_id, added.body.data.document_id);
    assert.ok(chunks.body.data.total_chunks >= 1);
    const [chunk] = chunks.body.data.chunks;
    for (const key of ['chunk_id', 'chunk_index', 'text', 'has_embedding', 'embedding_dimensions', 'chunk_metadata'])
      assert.ok(key in chunk, key);
    assert.match(chunk.text, /late/);
    const exported = await cli.exportDocument(prefix, true);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^text\/markdown/);
    assert.match(exported.headers.get('content-disposition') ?? '', /filename="late\.md"/);
    const markdown = await exported.text();
    assert.equal(
      markdown.split('### Chunk ').length - 1,
      chunks.body.data.total_chunks,
      'the CLI counts "### Chunk " to report the total',
    );
    assert.match(markdown, /\*\*Tokens\*\*: \d+/);

    await cli.uploadDocument('conformance-flow', 'batch.txt', text('batch'));
    const batch = await cli.batchProcess(['conformance-flow', 'no-such-collection']);
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    assert.deepEqual([batch.body.data.submitted_count, batch.body.data.failed_count], [1, 1]);
    assert.equal(batch.body.data.failures[0].collection_identifier, 'no-such-collection');
    const batchRun = await waitLikeTheCli(cli, batch.body.data.task_ids[0]);
    assert.ok(CLI_STOP_STATES.includes(batchRun.body.data.status));
    assert.equal(batchRun.body.data.status, 'SUCCESS');
  });
});
