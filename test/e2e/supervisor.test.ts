// main/supervisor.ts with small stand-in children (test/support/supervised-child.ts):
// prefixed output, ready over IPC, restarts with backoff, giving up, SIGKILL after the stop timeout.
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { GaveUpError, SupervisedChild, type RestartPolicy } from '../../main/supervisor.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const QUICK_RESTARTS: RestartPolicy = { maxRestarts: 2, windowMs: 60_000, initialBackoffMs: 50, maxBackoffMs: 200 };

function collect() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  return { output: { stdout, stderr }, out: () => out, err: () => err };
}

function child(
  name: string,
  mode: string,
  output: ReturnType<typeof collect>['output'],
  onGiveUp: (error: GaveUpError) => void = () => {},
) {
  return new SupervisedChild(
    {
      name,
      entry: 'test/support/supervised-child.ts',
      cwd: ROOT,
      env: { ...process.env, CHILD_MODE: mode, CHILD_EXIT_CODE: '3' },
      stopTimeoutMs: 1_000,
      restart: QUICK_RESTARTS,
    },
    onGiveUp,
    output,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SupervisedChild', () => {
  test('prefixes output with the name, resolves on ready, stops with SIGTERM and does not restart', async () => {
    const io = collect();
    const serving = child('svc', 'serve', io.output);
    const ready = await serving.start();
    assert.equal(ready.mode, 'serve');
    assert.equal(ready.pid, serving.pid);
    await eventually(
      async () => io.out(),
      (out) => out.includes('[svc] hello from serve'),
      'prefixed stdout',
    );
    assert.match(io.err(), /^\[svc\] a line on stderr$/m);
    await serving.stop();
    assert.match(io.out(), /\[svc\] bye\n\[fileintel\] svc stopped/);
    assert.equal(alive(ready.pid as number), false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(io.out().match(/svc started/g)?.length, 1, 'no restart after a stop');
  });

  test('a crash is reported with name and exit code, restarted with growing backoff, and given up on after too many', async () => {
    const io = collect();
    let gaveUp: GaveUpError | undefined;
    const crashing = child('flaky', 'crash', io.output, (error) => (gaveUp = error));
    await crashing.start();
    await eventually(
      async () => gaveUp,
      (error) => error !== undefined,
      'gives up',
    );
    assert.match(
      io.out(),
      /flaky \(pid \d+\) exited unexpectedly \(exit code 3\); restarting in 0.05 s \(restart 1 of at most 2 within 60 s\)/,
    );
    assert.match(
      io.out(),
      /flaky \(pid \d+\) exited unexpectedly \(exit code 3\); restarting in 0.1 s \(restart 2 of at most 2 within 60 s\)/,
    );
    assert.match(io.out(), /\[fileintel\] flaky is running again/);
    assert.equal(gaveUp!.message, 'flaky exited (exit code 3) 3 times within 60 s; giving up');
    assert.equal(io.out().match(/flaky started/g)?.length, 3, 'the first run and two restarts');
  });

  test('a child that never gets ready: start() rejects once restarts are used up', async () => {
    const io = collect();
    const early = child('early', 'crash-early', io.output);
    await assert.rejects(
      early.start(),
      (error: Error) => error instanceof GaveUpError && /early exited \(exit code 3\) 3 times/.test(error.message),
    );
  });

  test('a child that ignores SIGTERM is killed after the stop timeout', async () => {
    const io = collect();
    const stubborn = child('stubborn', 'stubborn', io.output);
    const ready = await stubborn.start();
    await stubborn.stop();
    assert.match(io.out(), /\[stubborn\] ignoring SIGTERM/);
    assert.match(io.out(), /stubborn did not stop within 1 s: killing it/);
    assert.equal(alive(ready.pid as number), false);
  });
});
