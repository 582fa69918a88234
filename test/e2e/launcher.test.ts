import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { launch, launcherPorts, leftOver, stop, type Launched } from '../support/launcher.ts';

/** The pid the launcher last reported for `name`. */
function pidOf(launched: Launched, name: string): number {
  const pid = launched.started().findLast((started) => started.name === name)?.pid;
  assert.ok(pid, `${name} started:\n${launched.output()}`);
  return pid;
}

describe('npm start: the whole stack on embedded defaults, one process per part', () => {
  let dataDir: string;
  let ports: Awaited<ReturnType<typeof launcherPorts>>;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-launch-'));
    ports = await launcherPorts();
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('starts Temporal, PGlite, worker and API; a killed worker is restarted; Ctrl-C stops all in order; a restart keeps the data', async () => {
    const first = await launch(dataDir, ports);
    const health = await request('GET', `${first.api}/health`);
    assert.equal(health.body.data.status, 'ok');
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    assert.equal(ui.status, 200, 'the Web UI answers');
    assert.match(first.output(), new RegExp(`Web UI\\s+http://127.0.0.1:${ports.ui}`));
    const apiMetrics = `http://127.0.0.1:${ports.apiMetrics}/metrics`;
    const workerMetrics = `http://127.0.0.1:${ports.workerMetrics}/metrics`;
    assert.ok(
      first.output().includes(`Metrics      API ${apiMetrics}, worker ${workerMetrics}`),
      `both Prometheus endpoints are printed:\n${first.output()}`,
    );
    assert.match(await (await fetch(apiMetrics)).text(), /^fileintel_documents\{status="uploaded"\} \d+$/m);
    assert.match(await (await fetch(workerMetrics)).text(), /^temporal_/m, "the worker's SDK metrics");
    assert.match(
      first.output(),
      /^\[api\] listening on http:\/\/127\.0\.0\.1:\d+\/api\/v3$/m,
      "the API's output carries its name",
    );
    assert.match(first.output(), /^\[worker\] polling task queue 'fileintel'/m, "the worker's output carries its name");
    assert.deepEqual(
      first.started().map(({ name }) => name),
      ['temporal', 'db', 'worker', 'api'],
      'one process per part, services first',
    );
    assert.equal((await request('POST', `${first.api}/collections`, { name: 'survives-restart' })).status, 201);

    // The worker dies: reported with its exit signal, restarted; the API never stopped answering.
    const worker = pidOf(first, 'worker');
    process.kill(worker, 'SIGKILL');
    await first.waitForOutput(
      new RegExp(`worker \\(pid ${worker}\\) exited unexpectedly \\(signal SIGKILL\\); restarting in 1 s`),
    );
    assert.equal((await request('GET', `${first.api}/health`)).status, 200, 'the API answers while the worker is down');
    await first.waitForOutput(/\[fileintel\] worker is running again \(pid \d+\)/);
    assert.equal((await fetch(workerMetrics)).status, 200, 'the restarted worker serves its metrics on the same port');
    assert.notEqual(pidOf(first, 'worker'), worker);

    assert.equal(await stop(first), 0, first.output());
    const stopped = [...first.output().matchAll(/\[fileintel\] (\w+) stopped/g)].map((match) => match[1]);
    assert.deepEqual(stopped, ['api', 'worker', 'db', 'temporal'], 'the API first, then the worker, then the services');
    await eventually(
      () => leftOver(first, dataDir),
      (left) => left.length === 0,
      'no stray process',
    );

    const second = await launch(dataDir, ports);
    try {
      const kept = await request('GET', `${second.api}/collections/survives-restart`);
      assert.equal(kept.status, 200);
    } finally {
      assert.equal(await stop(second), 0, second.output());
    }
  });

  test('a worker that keeps crashing stops the whole stack with a clear message and exit code 1', async () => {
    const launched = await launch(dataDir, ports);
    const killed = new Set<number>();
    // Kill every worker the launcher starts, as a crash loop would, until it gives up.
    while (launched.child.exitCode === null) {
      const worker = pidOf(launched, 'worker');
      if (!killed.has(worker)) {
        killed.add(worker);
        process.kill(worker, 'SIGKILL');
      }
      await Promise.race([launched.exited, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    const { code } = await launched.exited;
    assert.equal(code, 1, launched.output());
    assert.match(
      launched.output(),
      /\[fileintel\] worker exited \(signal SIGKILL\) 4 times within 60 s; giving up: stopping everything/,
    );
    assert.equal(killed.size, 4, 'the first run and three restarts');
    await eventually(
      () => leftOver(launched, dataDir),
      (left) => left.length === 0,
      'no stray process',
    );
  });

  test('a launcher killed outright leaves no process behind: the children stop when it is gone', async () => {
    const launched = await launch(dataDir, ports);
    launched.child.kill('SIGKILL');
    await launched.exited;
    await eventually(
      () => leftOver(launched, dataDir),
      (left) => left.length === 0,
      'no stray process',
    );
  });
});
