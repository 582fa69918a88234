// Start-up is idempotent across replicas: several workers that start at once
// (docker compose's worker services, `--scale worker=3`) all register the
// search attributes and the Schedules against one server. On a bare dev server
// (no search attributes from its flags), as a fresh cluster is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { findTemporalCli } from '../../main/temporal-dev-server.ts';
import { ensureReconcileSchedule, ensureSettleClosedRunsSchedule } from '../../worker/schedules.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes-setup.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { KindKey, SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.ts';

describe('start-up of several replicas at once (bare dev server)', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let config: Config;
  before(async () => {
    const cli = findTemporalCli();
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        ip: '127.0.0.1',
        log: { format: 'pretty', level: 'error' },
      },
    });
    client = env.client;
    config = loadConfig({});
  });
  after(() => env?.teardown());

  async function registeredNames(): Promise<string[]> {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    return Object.keys(customAttributes ?? {});
  }

  test('search attributes: four replicas registering at once all succeed, and every key is there', async () => {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => ensureSearchAttributes(client, 'default')));
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
      JSON.stringify(results),
    );
    const names = await registeredNames();
    for (const key of SEARCH_ATTRIBUTE_KEYS) assert.ok(names.includes(key.name), key.name);
  });

  test('search attributes: a replica told AlreadyExists by the server (another one registered them first) succeeds', async () => {
    // This replica listed before the other registered (it sees none); the other
    // replica's registration lands, then this one's add is answered AlreadyExists,
    // as servers whose registration is not idempotent answer.
    const operator = client.connection.operatorService;
    let adds = 0;
    const racingClient = {
      connection: {
        operatorService: {
          listSearchAttributes: async (request: { namespace: string }) =>
            adds === 0 ? { customAttributes: {} } : operator.listSearchAttributes(request),
          addSearchAttributes: async (request: Parameters<typeof operator.addSearchAttributes>[0]) => {
            adds++;
            await operator.addSearchAttributes(request); // the racing replica's registration
            throw Object.assign(new Error('6 ALREADY_EXISTS: Search attribute CollectionId already exists.'), {
              code: 6, // gRPC ALREADY_EXISTS
            });
          },
        },
      },
    } as unknown as Client;
    await ensureSearchAttributes(racingClient, 'default');
    assert.equal(adds, 1, 'one add, then the list showed every key');
  });

  test('search attributes: an error that is not a lost race is still thrown', async () => {
    const failingClient = {
      connection: {
        operatorService: {
          listSearchAttributes: async () => ({ customAttributes: {} }),
          addSearchAttributes: async () => {
            throw Object.assign(new Error('7 PERMISSION_DENIED: not allowed'), {
              code: 7 /* gRPC PERMISSION_DENIED */,
            });
          },
        },
      },
    } as unknown as Client;
    await assert.rejects(ensureSearchAttributes(failingClient, 'default'), /PERMISSION_DENIED/);
  });

  test('Schedules: four replicas creating both Schedules at once all succeed, and each Schedule exists once', async () => {
    await ensureSearchAttributes(client, 'default'); // the Schedules' actions carry Kind
    const results = await Promise.allSettled(
      [1, 2, 3, 4].flatMap(() => [
        ensureReconcileSchedule(client, config),
        ensureSettleClosedRunsSchedule(client, config),
      ]),
    );
    assert.ok(
      results.every((result) => result.status === 'fulfilled'),
      JSON.stringify(results.filter((result) => result.status === 'rejected')),
    );
    const ids: string[] = [];
    for await (const schedule of client.schedule.list()) ids.push(schedule.scheduleId);
    for (const id of [workflowIds.reconcileStorageSchedule, workflowIds.settleClosedRunsSchedule]) {
      assert.equal(ids.filter((each) => each === id).length, 1, `${id} once in ${JSON.stringify(ids)}`);
    }
  });

  test('Schedules: a changed action is updated (not only the interval), and an unchanged one is not written', async () => {
    await ensureReconcileSchedule(client, config);
    const handle = client.schedule.getHandle(workflowIds.reconcileStorageSchedule);
    const before = await handle.describe();

    // The same config again, from several replicas: nothing is written.
    await Promise.all([1, 2, 3].map(() => ensureReconcileSchedule(client, config)));
    const unchanged = await handle.describe();
    assert.equal(unchanged.info.lastUpdatedAt?.getTime(), before.info.lastUpdatedAt?.getTime());

    // Only the action changes (another task queue), the interval stays.
    const moved: Config = { ...config, task_queue: 'fileintel-moved' };
    await ensureReconcileSchedule(client, moved);
    const afterMove = await handle.describe();
    assert.equal(afterMove.action.type, 'startWorkflow');
    assert.equal(afterMove.action.taskQueue, 'fileintel-moved');
    assert.equal(afterMove.spec.intervals?.[0]?.every, config.reconcile_interval);
    assert.equal((afterMove.action.typedSearchAttributes as TypedSearchAttributes).get(KindKey), 'reconcile_storage');
    assert.equal(afterMove.policies.overlap, 'SKIP');

    // Both change: the interval and the action back.
    const slower: Config = { ...config, reconcile_interval: config.reconcile_interval * 2 };
    await ensureReconcileSchedule(client, slower);
    const afterBoth = await handle.describe();
    assert.equal(afterBoth.action.taskQueue, config.task_queue);
    assert.equal(afterBoth.spec.intervals?.[0]?.every, config.reconcile_interval * 2);
    assert.match((await afterBoth.action.staticSummary) ?? '', /Storage reconciliation/);
  });
});
