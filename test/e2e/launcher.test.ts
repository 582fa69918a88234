import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** `npm start` as a user runs it (through tsx), on free ports and a temp data dir. */
async function launch(dataDir: string, ports: { api: number; temporal: number; ui: number }) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/launcher.ts'], {
    cwd: ROOT,
    env: {
      ...env,
      FILEINTEL_DATA_DIR: dataDir,
      FILEINTEL_STORAGE_DIR: path.join(dataDir, 'storage'),
      FILEINTEL_STAGING_DIR: path.join(dataDir, 'staging'),
      FILEINTEL_API_PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const api = `http://127.0.0.1:${ports.api}/api/v2`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`launcher exited ${child.exitCode}:\n${output}`);
    const health = await request('GET', `${api}/health`).catch(() => undefined);
    if (health?.status === 200) return { child, api, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  child.kill('SIGKILL');
  throw new Error(`no healthy API after 2 minutes:\n${output}`);
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

/** Processes whose command line mentions the data dir (the dev server names its SQLite file there). */
function processesUsing(dataDir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(dataDir) && !line.includes('ps -eo'));
}

describe('npm start: the whole stack on embedded defaults', () => {
  let dataDir: string;
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('starts Temporal, PGlite, worker and API; Ctrl-C stops all; a restart keeps the data', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-launch-'));
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };

    const first = await launch(dataDir, ports);
    const health = await request('GET', `${first.api}/health`);
    assert.equal(health.body.data.status, 'ok');
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    assert.equal(ui.status, 200, 'the Web UI answers');
    assert.match(first.output(), new RegExp(`Web UI\\s+http://127.0.0.1:${ports.ui}`));
    assert.equal((await request('POST', `${first.api}/collections`, { name: 'survives-restart' })).status, 201);
    assert.equal(await stop(first.child), 0, first.output());
    assert.deepEqual(processesUsing(dataDir), [], 'no stray child process');

    const second = await launch(dataDir, ports);
    try {
      const kept = await request('GET', `${second.api}/collections/survives-restart`);
      assert.equal(kept.status, 200);
    } finally {
      assert.equal(await stop(second.child), 0, second.output());
    }
  });
});
