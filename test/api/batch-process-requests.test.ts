import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatchIdKey } from '../../workflows/search-attributes.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Request handling of POST /collections/batch-process: what is accepted,
// what is refused and why, and that a refused request starts nothing. No
// worker runs here, so an accepted batch just waits on its task queue.
describe('batch-process requests', () => {
  let stack: TestStack;
  let url: string;
  const batchWorkflows = async () => (await stack.temporal.workflow.count(`Kind = 'batch_process'`)).count;

  before(async () => {
    stack = await startTestStack({
      worker: false,
      config: {
        max_processing_batch_size: 4,
        max_parallel_collections: 3,
        callback_allowed_hosts: ['hooks.example.com'],
      },
    });
    url = stack.apiUrl;
    for (const name of ['full-a', 'full-b', 'empty']) {
      const [collection] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
      if (name === 'empty') continue;
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
                      VALUES (${collection.id}, 'a.txt', ${`${collection.id}/a.txt`}, 'text/plain', 3, 'h')`;
    }
  });
  after(() => stack?.teardown());

  test('a mixed batch: missing, empty and repeated collections are reported per item, the rest accepted', async () => {
    const res = await request('POST', `${url}/collections/batch-process`, {
      tasks: [
        { collection_id: 'full-a' },
        { collection_id: 'nope' },
        { collection_id: 'empty' },
        { collection_id: 'full-a' },
      ],
      workflow_type: 'sequential',
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const data = res.body.data;
    assert.match(data.batch_id, /^[0-9a-f-]{36}$/);
    assert.equal(data.task_id, `batch-process:${data.batch_id}`);
    assert.deepEqual(
      data.accepted.map((a: { name: string; documents: number }) => [a.name, a.documents]),
      [['full-a', 1]],
    );
    assert.deepEqual(
      data.rejected.map((r: { collection_id: string; outcome: string }) => [r.collection_id, r.outcome]),
      [
        ['nope', 'not_found'],
        ['empty', 'no_documents'],
        ['full-a', 'duplicate'],
      ],
    );
    const description = await stack.temporal.workflow.getHandle(data.task_id).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.typedSearchAttributes.get(BatchIdKey), data.batch_id);
    assert.match((await description.staticSummary()) ?? '', /1 collection\(s\), sequential/);
  });

  const refusals: [string, unknown, number, string, (details: any) => void][] = [
    [
      'no valid collection',
      { tasks: [{ collection_id: 'nope' }, { collection_id: 'empty' }] },
      400,
      'no_valid_collections',
      (d) => assert.equal(d.rejected.length, 2),
    ],
    [
      'more collections than max_processing_batch_size',
      { tasks: Array.from({ length: 5 }, () => ({ collection_id: 'full-a' })) },
      400,
      'limit_exceeded',
      (d) => assert.deepEqual(d, { limit: 'max_processing_batch_size', allowed: 4, actual: 5 }),
    ],
    [
      'max_parallel above max_parallel_collections',
      { tasks: [{ collection_id: 'full-a' }], max_parallel: 9 },
      400,
      'limit_exceeded',
      (d) => assert.equal(d.limit, 'max_parallel_collections'),
    ],
    [
      'a callback host off the allowlist',
      { tasks: [{ collection_id: 'full-a' }], callback_url: 'http://169.254.169.254/latest' },
      400,
      'callback_not_allowed',
      () => {},
    ],
    [
      'a callback with another scheme',
      { tasks: [{ collection_id: 'full-a' }], callback_url: 'file:///etc/passwd' },
      400,
      'callback_not_allowed',
      () => {},
    ],
    ['no tasks', { tasks: [] }, 400, 'validation_error', () => {}],
    [
      'an unknown workflow type',
      { tasks: [{ collection_id: 'full-a' }], workflow_type: 'random' },
      400,
      'validation_error',
      () => {},
    ],
    [
      'a flag of the wrong type',
      { tasks: [{ collection_id: 'full-a', build_graph: 'yes' }] },
      400,
      'validation_error',
      () => {},
    ],
    ['an unknown field', { tasks: [{ collection_id: 'full-a' }], priority: 1 }, 400, 'validation_error', () => {}],
  ];
  for (const [what, body, status, code, checkDetails] of refusals) {
    test(`refuses ${what} (${status} ${code}) and starts nothing`, async () => {
      const before = await batchWorkflows();
      const res = await request('POST', `${url}/collections/batch-process`, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      checkDetails(res.body.error.details);
      assert.equal(await batchWorkflows(), before);
    });
  }

  test('an allowed callback host is accepted', async () => {
    const res = await request('POST', `${url}/collections/batch-process`, {
      tasks: [{ collection_id: 'full-b' }],
      callback_url: 'https://hooks.example.com/fileintel',
    });
    assert.equal(res.status, 202);
  });

  test('unknown batches are 404 for status and cancel', async () => {
    for (const path of ['/batches/00000000-0000-0000-0000-000000000000', '/batches/nope']) {
      assert.equal((await request('GET', `${url}${path}`)).status, 404);
      assert.equal((await request('POST', `${url}${path}/cancel`, {})).status, 404);
    }
    assert.equal((await request('GET', `${url}/batches/${encodeURIComponent("x' or 1=1")}`)).status, 400);
  });
});
