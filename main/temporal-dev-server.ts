import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.ts';

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH, else undefined (the SDK downloads one). */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_CLI_PATH) return env.TEMPORAL_CLI_PATH;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Dynamic config of the dev server (tests, benches, `npm start`): Task Queue
 * Priority and Fairness on (server 1.32: the new matcher and fairness), with
 * migration, so a queue's backlog from before (a persisted `npm start` server)
 * is still dispatched; one partition per task queue so priority and fairness
 * hold across the whole queue (with several, a lighter partition can dispatch
 * out of order).
 * docker/temporal-dynamic-config.yaml sets the same for docker compose.
 */
export const FAIRNESS_DYNAMIC_CONFIG: Record<string, string> = {
  'matching.useNewMatcher': 'true',
  'matching.enableFairness': 'true',
  'matching.enableMigration': 'true',
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
};

function dynamicConfigArgs(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]);
}

/**
 * Starts `temporal server start-dev` with FileIntel's search attributes
 * registered. With `dbFilename` the history survives restarts; without it the
 * server is in memory (tests). Port 0 picks a free port.
 */
export async function startTemporalDevServer(options: {
  dbFilename?: string;
  port?: number;
  uiPort?: number;
  extraArgs?: string[];
}): Promise<TemporalDevServer> {
  const cli = findTemporalCli();
  if (options.dbFilename) mkdirSync(path.dirname(options.dbFilename), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ip: '127.0.0.1',
      port: options.port || undefined,
      dbFilename: options.dbFilename,
      ui: options.uiPort !== undefined,
      uiPort: options.uiPort,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      log: { format: 'pretty', level: 'error' },
      extraArgs: [...dynamicConfigArgs(FAIRNESS_DYNAMIC_CONFIG), ...(options.extraArgs ?? [])],
    },
  });
  return {
    address: env.address,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined,
    env,
    stop: () => env.teardown(),
  };
}
