import Table from 'cli-table3';
import { ApiClientError } from '../api/client/index.ts';

/**
 * The exit status, the same rule for every command: 0 when everything asked
 * for succeeded; 1 when anything failed or was refused (a rejected
 * collection or file, a task that ended with errors); 2 for a usage error.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that cannot work as given (conflicting or malformed options): exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Marks the run as failed (exit 1) unless `ok`; output goes on, so every refusal is still printed. */
export function failUnless(ok: boolean): void {
  if (!ok) process.exitCode = EXIT.failed;
}

/**
 * A reader that stops early (`| head`) closes the pipe: the rest of the
 * output has nowhere to go, so end quietly instead of with an EPIPE trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? EXIT.ok);
    });
  }
}

/** `--json` for scripts, tables for people. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  process.stdout.write(table.toString() + '\n');
}

export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(fields).map((key) => key.length));
  for (const [key, value] of Object.entries(fields)) process.stdout.write(`${key.padEnd(width)}  ${value ?? ''}\n`);
}

/** Text on one line, cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** One line that says why, then exit 1 (2 for a usage error). */
export function fail(error: unknown): never {
  const message =
    error instanceof ApiClientError
      ? `${error.message}${error.code && error.status ? ` (${error.code}, HTTP ${error.status})` : ''}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`fileintel: ${message.split('\n').join(' ')}\n`);
  process.exit(error instanceof UsageError ? EXIT.usage : EXIT.failed);
}
