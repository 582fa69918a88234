import Table from 'cli-table3';
import { ApiClientError } from '../api/client/index.ts';

/** `--json` for scripts, tables for people. */
export interface OutputOptions {
  json?: boolean;
}

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

/** One line that says why, then a non-zero exit. */
export function fail(error: unknown): never {
  const message =
    error instanceof ApiClientError
      ? `${error.message}${error.code && error.status ? ` (${error.code}, HTTP ${error.status})` : ''}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`fileintel: ${message.split('\n').join(' ')}\n`);
  process.exit(1);
}
