// `npm start` as a user runs it (built JavaScript, built first when stale), on free ports and a temp data
// dir, for the launcher's end-to-end tests.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from './http.ts';
import { freePort } from './ports.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface Launched {
  child: ChildProcess;
  /** Base URL of the API, e.g. http://127.0.0.1:PORT/api/v3. */
  api: string;
  output(): string;
  /** Every child the launcher reported starting ("[fileintel] NAME started (pid N)"), in order. */
  started(): { name: string; pid: number }[];
  /** Resolves once the output matches `pattern`; rejects after `timeoutMs` or when the launcher exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function launcherPorts() {
  return {
    api: await freePort(),
    temporal: await freePort(),
    ui: await freePort(),
    apiMetrics: await freePort(),
    workerMetrics: await freePort(),
  };
}

/** The launcher on embedded defaults, or against `databaseUrl` (then it starts no PGlite). */
export async function launch(
  dataDir: string,
  ports: { api: number; temporal: number; ui: number; apiMetrics?: number; workerMetrics?: number },
  databaseUrl?: string,
): Promise<Launched> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, ['scripts/run-built.mjs', 'main/launcher'], {
    cwd: ROOT,
    env: {
      ...env,
      FILEINTEL_DATA_DIR: dataDir,
      FILEINTEL_STORAGE_DIR: path.join(dataDir, 'storage'),
      FILEINTEL_STAGING_DIR: path.join(dataDir, 'staging'),
      FILEINTEL_API_PORT: String(ports.api),
      // Free ports, or off: never the defaults another stack on this machine may hold.
      FILEINTEL_API_METRICS_ADDRESS: ports.apiMetrics ? `127.0.0.1:${ports.apiMetrics}` : '""',
      FILEINTEL_WORKER_METRICS_ADDRESS: ports.workerMetrics ? `127.0.0.1:${ports.workerMetrics}` : '""',
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const launched: Launched = {
    child,
    api: `http://127.0.0.1:${ports.api}/api/v3`,
    output: () => output,
    started: () =>
      [...output.matchAll(/\[fileintel\] (\w+) started \(pid (\d+)\)/g)].map((match) => ({
        name: match[1]!,
        pid: Number(match[2]),
      })),
    async waitForOutput(pattern, timeoutMs = 120_000) {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
        const match = output.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no ${pattern} in the launcher's output:\n${output}`);
    },
    exited,
  };
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`launcher exited ${child.exitCode}:\n${output}`);
    const health = await request('GET', `${launched.api}/health`).catch(() => undefined);
    if (health?.status === 200) return launched;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  child.kill('SIGKILL');
  throw new Error(`no healthy API after 2 minutes:\n${output}`);
}

/** Ctrl-C: SIGINT to the launcher alone (its children have process groups of their own). */
export async function stop(launched: Launched): Promise<number | null> {
  launched.child.kill('SIGINT');
  return (await launched.exited).code;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions the data dir (the dev server names its SQLite file there). */
export function processesUsing(dataDir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(dataDir) && !line.includes('ps -eo'));
}

/** What is still running of the launcher's children and the processes using its data dir. */
export function leftOver(launched: Launched, dataDir: string): string[] {
  const children = launched
    .started()
    .filter(({ pid }) => alive(pid))
    .map(({ name, pid }) => `${name} (pid ${pid})`);
  return [...children, ...processesUsing(dataDir)];
}
