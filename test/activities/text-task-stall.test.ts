import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTextWorkPool, TextTaskStalledError, type TextWork } from '../../activities/text-work/pool.ts';

const STALL_MS = 300;
const STALLING_THREAD = new URL('../support/stalling-thread.mjs', import.meta.url);

/** extractRange of the stalling thread, told how to behave through `file`. */
const extractAs = (pool: TextWork, behaviour: 'hangs' | 'spins' | 'reports', signal?: AbortSignal) =>
  pool.run('extractRange', { file: behaviour } as never, { stallMs: STALL_MS, signal });

const stalledAfterPage3 = (error: unknown) => {
  assert.ok(error instanceof TextTaskStalledError, String(error));
  assert.match(error.message, /extractRange task reported nothing for 0\.3 s/);
  assert.match(error.message, /"pages_read":3/);
  return true;
};

/** One thread, so a hung task that kept it would block every task after it. */
describe('a text task that goes silent is stopped, and its thread freed', () => {
  let pool: TextWork;
  before(() => {
    pool = createTextWorkPool({ text_worker_threads: 1 }, STALLING_THREAD);
  });
  after(() => pool.close());

  test('a task whose promise never settles fails as stalled, naming its last report; the next task runs', async () => {
    await assert.rejects(extractAs(pool, 'hangs'), stalledAfterPage3);
    assert.deepEqual(await pool.run('embedTexts', { texts: ['a', 'b'], dimension: 1 }), [[1], [1]]);
  });

  test('a task stuck in a loop that never yields is stopped the same way', async () => {
    await assert.rejects(extractAs(pool, 'spins'), stalledAfterPage3);
    assert.deepEqual(await pool.run('embedTexts', { texts: ['a'], dimension: 1 }), [[1]]);
  });

  test('a task that runs longer than the limit but keeps reporting is left alone', async () => {
    assert.deepEqual(await extractAs(pool, 'reports'), { ok: true, done: 'reports' });
  });

  test("the caller's own cancel stays a cancel, not a stall", async () => {
    const cancel = new AbortController();
    const running = extractAs(pool, 'hangs', cancel.signal);
    setTimeout(() => cancel.abort(), 50);
    await assert.rejects(running, (error: unknown) => {
      assert.ok(!(error instanceof TextTaskStalledError), String(error));
      assert.equal((error as Error).name, 'AbortError');
      return true;
    });
  });

  test('without a limit, a silent task is left running (until its caller cancels it)', async () => {
    const cancel = new AbortController();
    const running = pool.run('extractRange', { file: 'hangs' } as never, { signal: cancel.signal });
    const outcome = await Promise.race([
      running.then(
        () => 'settled',
        () => 'failed',
      ),
      sleep(3 * STALL_MS).then(() => 'still running'),
    ]);
    assert.equal(outcome, 'still running');
    cancel.abort();
    await assert.rejects(running, { name: 'AbortError' });
  });
});
