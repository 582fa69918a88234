import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities/index.ts';
import type { Config } from '../../config/schema.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import type { DocumentStorage, StagingArea } from '../../storage/document-storage.ts';
import { startServices } from '../../main/services.ts';
import { startTemporalDevServer } from '../../main/temporal-dev-server.ts';
import type { WorkerQueue } from '../../config/schema.ts';
import type { FileIntelWorker } from '../../worker/worker.ts';
import { createTestDatabase } from './database.ts';
import { startS3Server, type S3TestServer } from './s3-server.ts';
import { cleanupsFor, tempDirConfig } from './temp-config.ts';

export interface TestStack {
  config: Config;
  sql: Sql;
  temporal: Client;
  temporalAddress: string;
  storage: TestStorage;
  staging: StagingArea;
  /** The backend in use, and the S3 server when it is s3. */
  storageBackend: StorageBackend;
  s3?: S3TestServer;
  /** Base URL of the API, e.g. http://127.0.0.1:PORT/api/v3, the native API (when `api` was asked for). */
  apiUrl: string;
  worker?: FileIntelWorker;
  databaseKind: 'postgresql' | 'pglite';
  /** The real activities on this stack's config, database and storage (to lay mocks over in workflow-logic tests). */
  realActivities(): ReturnType<typeof createActivities>;
  /** Starts a (second) worker with these activities (e.g. mocks) on these queues (default both); returns its stop. */
  startWorker(activities?: object, queues?: readonly WorkerQueue[]): Promise<() => Promise<void>>;
  teardown(): Promise<void>;
}

export interface TestStackOptions {
  /** Config keys laid over the defaults (as FILEINTEL_* variables would be). */
  config?: Record<string, unknown>;
  /** Start the worker with the real activities (default true). */
  worker?: boolean;
  /** Start the worker with these activities instead (workflow-logic tests). */
  activities?: object;
  /** The task queues the stack's worker serves (default both). */
  queues?: readonly WorkerQueue[];
  /** Start the API (default true). */
  api?: boolean;
  /** API key the API requires. */
  apiKey?: string;
  /** Extra arguments for `temporal server start-dev`. */
  temporalArgs?: string[];
  /** Serve the Temporal Web UI on this port (default: no UI). */
  temporalUiPort?: number;
  /**
   * Where documents are stored: local folders, or a bucket on a real S3 server
   * started for the stack (default: TEST_STORAGE_BACKEND, else local; not a
   * FILEINTEL_* name, which child processes would read as a config key).
   */
  storage?: StorageBackend;
}

export type StorageBackend = 'local' | 's3';
export const STORAGE_BACKENDS: readonly StorageBackend[] = ['local', 's3'];

/** The stack's storage; `localPath` exists for tests that write files on disk, so only on the local backend. */
export type TestStorage = DocumentStorage & { localPath(key: string): string };

function testStorage(storage: DocumentStorage): TestStorage {
  if ('localPath' in storage) return storage as TestStorage;
  return Object.assign(Object.create(storage) as DocumentStorage, {
    localPath(key: string): string {
      throw new Error(`storage.localPath('${key}'): the s3 backend has no local files; write with storage.put`);
    },
  });
}

/**
 * A whole FileIntel stack for one test file: a real Temporal dev server (the
 * installed CLI), a database of its own (real PostgreSQL when DATABASE_URL is
 * set, PGlite otherwise), storage in a temp folder, the worker and the API.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const backend = options.storage ?? ((process.env.TEST_STORAGE_BACKEND as StorageBackend | undefined) || 'local');
  const s3 = backend === 's3' ? await startS3Server() : undefined;
  const { dataDir, config } = await tempDirConfig('fileintel-test-', { ...s3?.config, ...options.config });
  const cleanups = cleanupsFor(dataDir);
  if (s3) cleanups.push(() => s3.close());
  const teardown = () => cleanups.run();

  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const sql = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);

    const server = await startTemporalDevServer({ extraArgs: options.temporalArgs, uiPort: options.temporalUiPort });
    cleanups.push(() => server.stop());
    const temporal = server.env.client;

    const env = { ...process.env, ...s3?.env };
    const startWorker = async (
      activities?: object,
      queues: readonly WorkerQueue[] = options.queues ?? ['workflows', 'documents'],
    ) => {
      const temporalAddress = server.address;
      const { worker, stop } = await startServices({
        config,
        env,
        database: sql,
        temporalAddress,
        worker: { activities, queues },
      });
      cleanups.push(stop);
      return Object.assign(stop, { worker: worker!.worker });
    };

    let worker: FileIntelWorker | undefined;
    if (options.worker !== false || options.activities) {
      worker = (await startWorker(options.activities)).worker;
    }

    const services = await startServices({
      config,
      env,
      database: sql,
      temporalAddress: server.address,
      api: options.api === false ? undefined : { host: '127.0.0.1', port: 0, apiKey: options.apiKey, temporal },
    });
    cleanups.push(() => services.stop());
    const { storage, staging } = services;
    const apiUrl = services.api?.url ?? '';

    return {
      config,
      sql,
      temporal,
      temporalAddress: server.address,
      storage: testStorage(storage),
      staging,
      storageBackend: backend,
      s3,
      apiUrl,
      worker,
      databaseKind: database.kind,
      realActivities: () => createActivities({ config, sql, storage, staging }),
      startWorker,
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}
