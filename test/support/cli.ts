import path from 'node:path';
import { runNode, type ProcessRun } from './run-process.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'cli', 'bin.js');

export type CliRun = ProcessRun;

/** Runs `fileintel …` as a user would, against `apiUrl`. */
export function runCli(apiUrl: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runNode([BIN, ...args], { env: { ...process.env, FILEINTEL_API_URL: apiUrl, ...env } });
}
