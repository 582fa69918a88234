import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import type { CliRun } from './cli.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'cli', 'bin.js');

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr (so far) matches, e.g. a progress line. */
  stderrMatches(pattern: RegExp): Promise<void>;
  finished: Promise<CliRun>;
}

/** Starts `fileintel …` and hands back the process while it runs (signals, closing its stdout, reading progress). */
export function startCli(apiUrl: string, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FILEINTEL_API_URL: apiUrl, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve(): void }[] = [];
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    for (const waiter of waiters.filter((w) => w.pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const finished = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      for (const waiter of waiters) waiter.resolve();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stderrMatches: (pattern) =>
      pattern.test(stderr) || child.exitCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ pattern, resolve })),
    finished,
  };
}
