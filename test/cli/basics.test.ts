import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { reconcileStorage } from '../../workflows/reconcile-storage.ts';
import { KindKey } from '../../workflows/search-attributes.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('fileintel CLI against a real stack', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ apiKey: 'cli-key' });
  });
  after(() => stack?.teardown());
  const cli = (...args: string[]) => runCli(stack.apiUrl, args, { FILEINTEL_API_KEY: 'cli-key' });

  test('health prints ok for each part; --json prints the data', async () => {
    const run = await cli('health');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /status\s+ok/);
    assert.match(run.stdout, /database\s+ok/);
    const json = await cli('health', '--json');
    assert.equal(JSON.parse(json.stdout).status, 'ok');
  });

  test('collections create, list, get, delete; tables for people, JSON for scripts', async () => {
    const created = await cli('collections', 'create', 'cli-docs', '--description', 'from the CLI');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /name\s+cli-docs/);
    const list = await cli('collections', 'list');
    assert.match(list.stdout, /cli-docs/);
    assert.match(list.stdout, /collection\(s\)/);
    const got = JSON.parse((await cli('collections', 'get', 'cli-docs', '--json')).stdout);
    assert.equal(got.name, 'cli-docs');
    assert.equal(got.description, 'from the CLI');
    const deleted = await cli('collections', 'delete', 'cli-docs');
    assert.equal(deleted.code, 0);
    assert.match(deleted.stdout, /deleted collection cli-docs/);
  });

  test('any failure is one line on stderr and a non-zero exit', async () => {
    const missing = await cli('collections', 'get', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /^fileintel: collection 'nope' not found \(not_found, HTTP 404\)/);

    const duplicate = await cli('collections', 'create', 'twice');
    assert.equal(duplicate.code, 0);
    assert.match((await cli('collections', 'create', 'twice')).stderr, /already exists \(conflict, HTTP 409\)/);

    const noKey = await runCli(stack.apiUrl, ['collections', 'list'], { FILEINTEL_API_KEY: '' });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /HTTP 401/);

    const unreachable = await runCli('http://127.0.0.1:9/api/v3', ['health']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^fileintel: cannot reach http:\/\/127.0.0.1:9\/api\/v3/);

    const usage = await cli('collections', 'frobnicate');
    assert.equal(usage.code, 2);
  });

  test('tasks batch-cancel prints the per-id table and the summary; tasks list and cancel', async () => {
    const running = await stack.temporal.workflow.start(reconcileStorage, {
      workflowId: 'cli-running',
      taskQueue: 'nobody-polls',
      args: [{ repair: false }],
      typedSearchAttributes: [{ key: KindKey, value: 'collection_analysis' }],
    });
    const run = await cli('tasks', 'batch-cancel', running.workflowId, 'cli-unknown', running.workflowId);
    assert.equal(run.code, 1, 'an id that names no task counts as refused');
    assert.match(run.stdout, /cli-running.*cancelled/);
    assert.match(run.stdout, /cli-unknown.*not_found/);
    assert.match(run.stdout, /cancelled 1, terminated 0, already completed 0, not found 1, errors 0/);

    const terminated = await cli('tasks', 'cancel', running.workflowId, '--terminate', '--json');
    assert.deepEqual(JSON.parse(terminated.stdout), { task_id: 'cli-running', outcome: 'terminated' });

    await eventually(
      () => cli('tasks', 'list', '--status', 'terminated', '--json'),
      (listed) =>
        listed.code === 0 &&
        JSON.parse(listed.stdout).tasks.some((t: { task_id: string }) => t.task_id === 'cli-running'),
      'tasks list shows the terminated task',
    );

    const unknown = await cli('tasks', 'cancel', 'cli-unknown');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /task 'cli-unknown' not found/);
  });
});
