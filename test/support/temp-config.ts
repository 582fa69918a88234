import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';

/**
 * Config for a throwaway stack: data, storage and staging in a fresh temp dir,
 * the API on a free port, `overrides` laid on top as FILEINTEL_* variables
 * would be (returned too, for child processes).
 */
export async function tempDirConfig(
  prefix: string,
  overrides: Record<string, unknown> = {},
): Promise<{ dataDir: string; config: Config; configEnv: Record<string, string> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const values: Record<string, unknown> = {
    data_dir: dataDir,
    storage_dir: path.join(dataDir, 'storage'),
    staging_dir: path.join(dataDir, 'staging'),
    api_port: 0,
    ...overrides,
  };
  const configEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(values))
    configEnv[`FILEINTEL_${key.toUpperCase()}`] = JSON.stringify(value);
  const config = loadConfig({ FILEINTEL_CONFIG: process.env.FILEINTEL_CONFIG, ...configEnv });
  return { dataDir, config, configEnv };
}

/** Undo steps run last-first; a failing one is logged and the rest still run. Starts with removing `dataDir`. */
export function cleanupsFor(dataDir: string) {
  const steps: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  return {
    push: (step: () => Promise<unknown>) => void steps.push(step),
    async run() {
      for (const step of steps.reverse()) await step().catch((error) => console.error('teardown:', error));
      steps.length = 0;
    },
  };
}
