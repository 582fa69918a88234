// One child process of `npm start` (main/launcher.ts): started with the
// Node and loader the launcher runs under, its output prefixed with its name,
// ready when it says so over IPC, restarted with backoff when it dies, given
// up on when it keeps dying.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What an entry point sends its supervisor once it serves (see main/process.ts `notifySupervisor`). */
export interface ReadyMessage {
  type: 'ready';
  [detail: string]: unknown;
}

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; one crash more and the supervisor gives up. */
  maxRestarts: number;
  windowMs: number;
  /** Wait before the first restart, doubled for each further crash in the window, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 3,
  windowMs: 60_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 8_000,
};

export interface ChildSpec {
  /** Prefix of its output and name in every message: 'api', 'worker'… */
  name: string;
  /** The entry point's file, e.g. 'main/api.ts' (absolute, or relative to `cwd`). */
  entry: string;
  /** Node flags for this child alone, after the launcher's own. */
  nodeFlags?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How long SIGTERM may take before SIGKILL. */
  stopTimeoutMs: number;
  restart?: RestartPolicy;
}

/** `process.exitCode`-style description of how a child ended. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** Where a child's prefixed output and the supervisor's own messages go (the launcher's stdout/stderr; tests collect them). */
export interface SupervisorOutput {
  stdout: Writable;
  stderr: Writable;
}

export class GaveUpError extends Error {
  override name = 'GaveUpError';
}

export class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private firstReady: { resolve: (message: ReadyMessage) => void; reject: (error: Error) => void } | undefined;

  /**
   * `onGiveUp` runs once when the child keeps crashing (more than
   * `maxRestarts` times within the window) or cannot be spawned at all.
   */
  constructor(
    readonly spec: ChildSpec,
    private readonly onGiveUp: (error: GaveUpError) => void,
    private readonly output: SupervisorOutput = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child; resolves with its first ready message (after restarts, if it crashed while starting). */
  start(): Promise<ReadyMessage> {
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      this.spawnChild();
    });
  }

  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; no restart afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.firstReady?.reject(new Error(`${this.name} was stopped before it was ready`));
    this.firstReady = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // 'close' (its output read to the end) rather than 'exit', so its last lines come before "stopped";
    // but a grandchild may hold the pipes, so no more than a second after 'exit'.
    const exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('exit', () => setTimeout(resolve, 1_000).unref());
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log(`${this.name} did not stop within ${this.spec.stopTimeoutMs / 1000} s: killing it`);
      child.kill('SIGKILL');
    }, this.spec.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
    this.log(`${this.name} stopped`);
  }

  private spawnChild(): void {
    // The launcher's own Node and loader (tsx), so the children run exactly as it does.
    const child = spawn(process.execPath, [...process.execArgv, ...(this.spec.nodeFlags ?? []), this.spec.entry], {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // Own process group: a terminal's Ctrl-C reaches the launcher only, which stops the children in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    prefixLines(child.stdout!, this.output.stdout, this.name);
    prefixLines(child.stderr!, this.output.stderr, this.name);
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      if (this.firstReady) {
        this.firstReady.resolve(message);
        this.firstReady = undefined;
      } else {
        this.log(`${this.name} is running again (pid ${child.pid})`);
      }
    });
    child.once('error', (error) => {
      // Spawning itself failed (no 'exit' follows when there is no process).
      if (child.pid === undefined) this.giveUp(`could not start ${this.name}: ${error.message}`);
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    if (child.pid !== undefined) this.log(`${this.name} started (pid ${child.pid})`);
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || child !== this.child) return;
    const policy = this.spec.restart ?? DEFAULT_RESTART_POLICY;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((at) => now - at < policy.windowMs), now];
    const how = describeExit(code, signal);
    if (this.crashes.length > policy.maxRestarts) {
      this.giveUp(
        `${this.name} exited (${how}) ${this.crashes.length} times within ${policy.windowMs / 1000} s; giving up`,
      );
      return;
    }
    const backoffMs = Math.min(policy.initialBackoffMs * 2 ** (this.crashes.length - 1), policy.maxBackoffMs);
    this.log(
      `${this.name} (pid ${child.pid}) exited unexpectedly (${how}); restarting in ${backoffMs / 1000} s ` +
        `(restart ${this.crashes.length} of at most ${policy.maxRestarts} within ${policy.windowMs / 1000} s)`,
    );
    this.restartTimer = setTimeout(() => this.spawnChild(), backoffMs);
  }

  private giveUp(message: string): void {
    if (this.stopping) return;
    this.stopping = true;
    const error = new GaveUpError(message);
    this.firstReady?.reject(error);
    this.firstReady = undefined;
    this.onGiveUp(error);
  }

  private log(message: string): void {
    this.output.stdout.write(`[fileintel] ${message}\n`);
  }
}

export function log(message: string): void {
  console.log(`[fileintel] ${message}`);
}

/** Copies `from` to `to` line by line, each line prefixed `[name] ` (unless the child already wrote that prefix). */
function prefixLines(from: Readable, to: Writable, name: string): void {
  const prefix = `[${name}]`;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    to.write(line.startsWith(prefix) ? `${line}\n` : `${prefix} ${line}\n`);
  });
}
