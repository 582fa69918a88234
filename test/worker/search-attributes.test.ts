import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSearchAttributes } from '../../worker/search-attributes-setup.ts';
import { findTemporalCli } from '../../main/temporal-dev-server.ts';

test('ensureSearchAttributes registers CollectionId, BatchId and Kind on a bare server, and is idempotent', async () => {
  const cli = findTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' }, ip: '127.0.0.1' },
  });
  try {
    await ensureSearchAttributes(env.client, 'default');
    await ensureSearchAttributes(env.client, 'default');
    const { customAttributes } = await env.client.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    for (const name of ['CollectionId', 'BatchId', 'Kind']) assert.ok(name in (customAttributes ?? {}), name);
  } finally {
    await env.teardown();
  }
});
