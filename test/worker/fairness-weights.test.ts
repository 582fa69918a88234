import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startTemporalDevServer, type TemporalDevServer } from '../../main/temporal-dev-server.ts';
import type { FanOutInput } from './fairness-workflows/fan-out.ts';

/**
 * What FileIntel's fairness weights rely on (workflows/fairness-weight.ts): the
 * Temporal server we start dispatches queued tasks of each fairness key in
 * proportion to its weight. 120 tasks of a large key at weight 1 and 40 of a
 * small key at weight 8 queue together; one worker slot then takes them one by
 * one. The order, not the time, is checked.
 */
describe('the dev server dispatches fairness keys by their weights', () => {
  let server: TemporalDevServer;
  let connection: NativeConnection;
  let client: Client;

  before(async () => {
    server = await startTemporalDevServer({});
    connection = await NativeConnection.connect({ address: server.address });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
  });
  after(async () => {
    await connection?.close();
    await client?.connection.close();
    await server?.stop();
  });

  /** The keys in the order one slot ran their tasks. */
  async function dispatchOrder(name: string, keys: FanOutInput['keys']): Promise<string[]> {
    const taskQueue = `fairness-${name}`;
    const workflows = await Worker.create({
      connection,
      taskQueue: `${taskQueue}-workflows`,
      workflowsPath: path.join(import.meta.dirname, 'fairness-workflows', 'fan-out.ts'),
    });
    const order: string[] = [];
    await workflows.runUntil(async () => {
      const handle = await client.workflow.start('fanOut', {
        taskQueue: `${taskQueue}-workflows`,
        workflowId: `fan-out-${name}`,
        args: [{ taskQueue, keys } satisfies FanOutInput],
      });
      // Every task queued before a slot takes any: wait until all are scheduled.
      const total = keys.reduce((sum, key) => sum + key.activities, 0);
      for (let i = 0; i < 100; i++) {
        const { pendingActivities } = await handle.describe().then((d) => d.raw);
        if ((pendingActivities?.length ?? 0) >= total) break;
        await sleep(100);
      }
      const activities = await Worker.create({
        connection,
        taskQueue,
        maxConcurrentActivityTaskExecutions: 1,
        activities: { record: async (key: string) => void order.push(key) },
      });
      await activities.runUntil(handle.result());
    });
    return order;
  }

  test('weight 8 against 1: the small key runs 8 to 1 and finishes first', async () => {
    const order = await dispatchOrder('weighted', [
      { key: 'large', weight: 1, activities: 120 },
      { key: 'small', weight: 8, activities: 40 },
    ]);
    assert.equal(order.length, 160);
    const lastSmall = order.lastIndexOf('small');
    // 40 small tasks at 8 to 1: done within about 45 dispatches (at equal weights, about 80).
    assert.ok(lastSmall < 55, `the last small task ran ${lastSmall + 1}th: ${order.slice(0, 60).join(' ')}`);
  });

  test('equal weights: the keys take turns, so the small key needs twice its own dispatches', async () => {
    const order = await dispatchOrder('equal', [
      { key: 'large', weight: 1, activities: 120 },
      { key: 'small', weight: 1, activities: 40 },
    ]);
    const lastSmall = order.lastIndexOf('small');
    assert.ok(lastSmall >= 70, `the last small task ran ${lastSmall + 1}th: ${order.slice(0, 60).join(' ')}`);
  });
});
