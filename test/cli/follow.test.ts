import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { startApiServer } from '../../api/server.ts';
import { CollectionNameKey, DocumentNameKey } from '../../workflows/search-attributes.ts';
import { insertCollectionWith } from '../support/seed.ts';
import { runCli } from '../support/cli.ts';
import { startCli } from '../support/cli-process.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * Following tasks from the CLI, exit codes, and what status shows after a
 * cancel. Real workflows, API and collection activities; only the document
 * step is a stand-in steered by the file name: `bad-…` fails, `gate-<g>-…`
 * runs until the test opens gate <g> (so a task runs exactly as long as a
 * test needs, with no timing guesses).
 */
describe('fileintel waits, exit codes and status after a cancel (spawned CLI, real stack)', () => {
  let stack: TestStack;
  const openGates = new Set<string>();
  const fast = { FILEINTEL_POLL_MS: '200' };

  before(async () => {
    // No groups: processDocument is the stand-in, so every document is its own documentProcessing workflow.
    stack = await startTestStack({
      worker: false,
      config: { max_concurrent_documents: 3, max_parallel_collections: 2, small_document_mb: 0 },
    });
    const real = stack.realActivities();
    await stack.startWorker({
      ...real,
      async processDocument({ documentId }: { documentId: string }) {
        const [doc] = await stack.sql<
          { original_filename: string }[]
        >`SELECT original_filename FROM documents WHERE id = ${documentId}`;
        const gate = /^gate-([a-z]+)-/.exec(doc.original_filename)?.[1];
        while (gate && !openGates.has(gate)) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
        if (doc.original_filename.startsWith('bad'))
          throw ApplicationFailure.nonRetryable('extract: not a real PDF', 'UnreadableDocument');
        return { chunks: 1, pages: null };
      },
    });
  });
  after(async () => {
    for (const gate of 'abcdefghijklmnopqrstuvwxyz') openGates.add(gate);
    await stack?.teardown();
  });

  const cli = (...args: string[]) => runCli(stack.apiUrl, args, fast);
  let counter = 0;
  /** A collection holding documents with these names (the stand-in reads them). */
  const collectionWith = (...filenames: string[]) => insertCollectionWith(stack.sql, `follow-c${++counter}`, filenames);
  const startAnalysis = async (collection: string) => {
    const res = await request('POST', `${stack.apiUrl}/collections/${collection}/process`, {});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.data.task_id as string;
  };
  const taskStatus = async (taskId: string) =>
    (await request('GET', `${stack.apiUrl}/tasks/${encodeURIComponent(taskId)}/status`)).body.data;

  test('tasks status --wait survives an API restart mid-wait and exits with the task outcome (0: completed)', async () => {
    const deps = {
      config: stack.config,
      sql: stack.sql,
      storage: stack.storage,
      staging: stack.staging,
      temporal: stack.temporal,
    };
    const port = await freePort();
    const first = await startApiServer(deps, '127.0.0.1', port);
    const c = await collectionWith('gate-r-1.txt', 'r2.txt');
    const taskId = await startAnalysis(c.id);

    const wait = startCli(first.url, ['tasks', 'status', taskId, '--wait'], fast);
    await wait.stderrMatches(/processing: 1\/2 done, 0 failed, 1 in flight/);
    await first.close();
    await wait.stderrMatches(/cannot reach .*asking again in/);
    const second = await startApiServer(deps, '127.0.0.1', port);
    try {
      openGates.add('r');
      const run = await wait.finished;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /the API answers again/);
      assert.match(run.stdout, /status\s+COMPLETED\n/);
      assert.match(run.stdout, /processed\s+2\n/);
    } finally {
      await second.close();
    }
  });

  test('a task that ends with errors exits 1 and lists each failed document; a second process names the running task and how to follow it', async () => {
    const c = await collectionWith('ok-1.txt', 'bad-2.txt');
    const run = await cli('collections', 'process', c.name, '--wait');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /status\s+COMPLETED_WITH_ERRORS/);
    assert.match(run.stdout, /bad-2\.txt.*extract: not a real PDF/);
    assert.match(run.stderr, /processing|done: 2\/2 done, 1 failed/);

    const running = await collectionWith('gate-p-1.txt');
    const taskId = await startAnalysis(running.name);
    const again = await cli('collections', 'process', running.name);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `fileintel: collection '${running.name}' is being analysed by task ${taskId}; follow it with: fileintel tasks status ${taskId} --wait (analysis_running, HTTP 409)\n`,
    );

    const followed = startCli(stack.apiUrl, ['collections', 'status', running.name, '--follow'], fast);
    await followed.stderrMatches(/processing: 0\/1 done/);
    openGates.add('p');
    const done = await followed.finished;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /status\s+COMPLETED\n/);
    assert.match(done.stdout, /running_task\s+\n/);

    const idle = await cli('collections', 'status', running.name, '--follow');
    assert.equal(idle.code, 0);
    assert.match(idle.stderr, /no analysis of .* is running/);
  });

  test('Ctrl-C stops the waiting, not the task, and says how to follow it again', async () => {
    const c = await collectionWith('gate-i-1.txt');
    const taskId = await startAnalysis(c.id);
    const wait = startCli(stack.apiUrl, ['tasks', 'status', taskId, '--wait'], fast);
    await wait.stderrMatches(/processing: 0\/1 done/);
    wait.child.kill('SIGINT');
    const run = await wait.finished;
    assert.equal(run.code, 130);
    assert.ok(
      run.stderr.includes(
        `stopped waiting; task ${taskId} keeps running. Follow it again with: fileintel tasks status ${taskId} --wait`,
      ),
      run.stderr,
    );
    assert.equal((await taskStatus(taskId)).status, 'RUNNING');
    openGates.add('i');
    const again = await cli('tasks', 'status', taskId, '--wait', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).status, 'COMPLETED');
  });

  test('batch-process: rejected collections are listed and exit 1, with or without --wait; all clean exits 0', async () => {
    const a = await collectionWith('a-1.txt');
    const noWait = await cli('collections', 'batch-process', a.name, 'no-such-collection', a.name);
    assert.equal(noWait.code, 1, noWait.stderr);
    assert.match(noWait.stdout, /rejected 2 collection\(s\)/);
    assert.match(noWait.stdout, /no-such-collection.*not_found/);
    assert.match(noWait.stdout, new RegExp(`${a.name}.*duplicate`));
    const batchId = /batch_id\s+(\S+)/.exec(noWait.stdout)![1];
    assert.equal((await cli('batches', 'status', batchId, '--wait')).code, 0);

    const b = await collectionWith('b-1.txt');
    const waited = await cli('collections', 'batch-process', b.name, 'no-such-collection', b.name, '--wait');
    assert.equal(waited.code, 1, waited.stderr);
    assert.match(waited.stderr, /rejected: no-such-collection \(not_found\), follow-c\d+ \(duplicate\)/);
    assert.match(waited.stdout, /status\s+COMPLETED\n/);
    assert.match(waited.stdout, new RegExp(`${b.name}.*completed.*1.*0`));
    assert.match(waited.stdout, /no-such-collection.*not_found/);

    const none = await cli('collections', 'batch-process', 'nope-1', 'nope-2');
    assert.equal(none.code, 1);
    assert.match(none.stdout, /nope-1.*not_found/);
    assert.match(none.stdout, /nope-2.*not_found/);
    assert.match(none.stderr, /none of the requested collections can be processed/);

    const clean = await cli('collections', 'batch-process', (await collectionWith('d-1.txt')).name, '--wait', '--json');
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(JSON.parse(clean.stdout).final.status, 'COMPLETED');
  });

  test('after batches cancel, batch and task status still show what was processed before the cancel', async () => {
    const c = await collectionWith('k-1.txt', 'k-2.txt', 'gate-k-3.txt');
    const submitted = await cli('collections', 'batch-process', c.name, '--json');
    assert.equal(submitted.code, 0, submitted.stderr);
    const { batch_id: batchId } = JSON.parse(submitted.stdout);
    await eventually(
      () => cli('batches', 'status', batchId, '--json'),
      (run) => JSON.parse(run.stdout).collections[0]?.processed === 2,
      'two documents processed before the cancel',
    );
    const cancel = await cli('batches', 'cancel', batchId);
    assert.equal(cancel.code, 0, cancel.stderr);
    const final = await cli('batches', 'status', batchId, '--wait', '--json');
    assert.equal(final.code, 1, 'a cancelled batch did not succeed');
    const batch = JSON.parse(final.stdout);
    assert.equal(batch.status, 'CANCELLED');
    assert.deepEqual(
      [batch.collections[0].status, batch.collections[0].processed, batch.collections[0].failed],
      ['cancelled', 2, 0],
    );

    const table = await cli('batches', 'status', batchId);
    assert.match(table.stdout, new RegExp(`${c.name}\\s*│\\s*cancelled\\s*│\\s*2\\s*│\\s*0`));

    const child = await cli('tasks', 'status', batch.collections[0].task_id, '--wait');
    assert.equal(child.code, 1);
    assert.match(child.stdout, /status\s+CANCELLED\n/);
    assert.match(child.stdout, /processed\s+2\n/);
  });

  test('closing stdout early (| head) ends quietly, without an EPIPE trace', async () => {
    const c = await collectionWith('e-1.txt');
    const taskId = await startAnalysis(c.id);
    for (const args of [
      ['collections', 'list'],
      ['tasks', 'status', taskId, '--wait'],
    ]) {
      const run = startCli(stack.apiUrl, args, fast);
      run.child.stdout.destroy();
      const result = await run.finished;
      assert.doesNotMatch(result.stderr, /EPIPE|Error|at /, args.join(' '));
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
  });

  test('usage errors exit 2', async () => {
    const conflicting = await runCli(stack.apiUrl, [
      'documents',
      'batch-upload',
      'x',
      '/tmp',
      '--continue-on-error',
      '--rollback-on-failure',
    ]);
    assert.equal(conflicting.code, 2);
    assert.match(conflicting.stderr, /exclude each other/);
    assert.equal((await cli('tasks', 'status')).code, 2);
    assert.equal((await cli('collections', 'frobnicate')).code, 2);
  });

  test('every workflow carries CollectionName, and document workflows DocumentName with a summary that starts with the filename; both queryable', async () => {
    const c = await collectionWith('sa-report.txt');
    const taskId = await startAnalysis(c.name);
    assert.equal((await cli('tasks', 'status', taskId, '--wait')).code, 0);
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const workflow of stack.temporal.workflow.list({
          query: `DocumentName = "sa-report.txt" AND CollectionName = "${c.name}"`,
        }))
          ids.push(workflow.workflowId);
        return ids;
      },
      (ids) => ids.length === 1,
      'the document workflow by DocumentName and CollectionName',
    );
    const document = await stack.temporal.workflow.getHandle(found[0]).describe();
    assert.equal(document.typedSearchAttributes.get(DocumentNameKey), 'sa-report.txt');
    assert.match((await document.staticSummary()) ?? '', /^sa-report\.txt: document processing/);
    const analysis = await stack.temporal.workflow.getHandle(taskId).describe();
    assert.equal(analysis.typedSearchAttributes.get(CollectionNameKey), c.name);
    assert.match((await analysis.staticSummary()) ?? '', new RegExp(`^${c.name}: analysis of 1`));

    const batch = await collectionWith('sb-1.txt');
    const submitted = JSON.parse((await cli('collections', 'batch-process', batch.name, '--wait', '--json')).stdout);
    await eventually(
      async () => {
        const kinds: string[] = [];
        for await (const workflow of stack.temporal.workflow.list({
          query: `BatchId = "${submitted.batch_id}" AND CollectionName = "${batch.name}"`,
        }))
          kinds.push(workflow.type);
        return kinds.sort();
      },
      (kinds) => kinds.join() === 'collectionAnalysis,documentProcessing',
      "the batch's analysis and document workflows by BatchId and CollectionName",
    );
    const parent = await stack.temporal.workflow.getHandle(submitted.task_id).describe();
    assert.match((await parent.staticSummary()) ?? '', new RegExp(`^${batch.name}: 1 collection\\(s\\)`));
  });
});
