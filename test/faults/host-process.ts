// FileIntel processes as separate hosts would run them: main/api.ts or
// main/worker.ts through tsx's loader, each in an empty folder of its own (its cwd and
// data_dir), with nothing but the environment a host needs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * tsx's loader, by absolute URL so it resolves whatever the cwd. Node runs the
 * entry itself: the `tsx` launcher would start it as a child of its own, and a
 * SIGKILL to the launcher would leave that child running.
 */
const TSX_LOADER = pathToFileURL(path.join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface HostProcess {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The process's own folder: its cwd and data_dir. */
  dir: string;
  exited: Promise<void>;
  /** The output line that said it was ready. */
  readyLine: string;
  output(): string;
}

/**
 * Starts `entry` (repository-relative) with exactly `env` (plus PATH, HOME
 * and TMPDIR), in a fresh empty folder; resolves when a line of its output matches
 * `ready` (e.g. "[worker] polling").
 */
export async function startHostProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 120_000,
): Promise<HostProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `fileintel-host-${name}-`));
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(repo, entry)], {
    cwd: dir,
    // Its folder is its data_dir and its TMPDIR too, so whatever it leaves on disk is found there.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      TMPDIR: dir,
      FILEINTEL_DATA_DIR: JSON.stringify(dir),
      // Hosts on one machine would all take the default metrics ports: off unless a test asks.
      FILEINTEL_API_METRICS_ADDRESS: '""',
      FILEINTEL_WORKER_METRICS_ADDRESS: '""',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit').then(() => undefined);
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      const line = output.split('\n').find((text) => ready.test(text));
      if (line) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(line);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`));
    });
  }).catch(async (error: Error) => {
    // Never ready: it is not handed back, so nothing else would stop it or remove its folder.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return { name, process: child, pid: child.pid!, dir, exited, output: () => output, readyLine };
}

/** SIGKILL, for real, and wait until it is gone. */
export async function killHost(host: HostProcess): Promise<void> {
  if (host.process.exitCode !== null || host.process.signalCode !== null) return;
  host.process.kill('SIGKILL');
  await host.exited;
}

/** SIGTERM (a clean stop), SIGKILL after `graceMs`. */
export async function stopHost(host: HostProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!host || host.process.exitCode !== null || host.process.signalCode !== null) return;
  host.process.kill('SIGTERM');
  const timer = setTimeout(() => host.process.kill('SIGKILL'), graceMs);
  await host.exited;
  clearTimeout(timer);
}
