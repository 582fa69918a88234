import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_FOLDERS } from '../../storage/s3-storage.ts';
import { freePort } from './ports.ts';

/** The access key pair the test server accepts (SigV4). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'fileintel-test', secretAccessKey: 'fileintel-test-secret' };

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The folder the server serves; the bucket is its sub-folder of that name. */
  root: string;
  /** Config keys that point FileIntel at this bucket (storage_backend s3). */
  config: Record<string, unknown>;
  /** FILEINTEL_S3_* secrets for a process (or createStorage's env). */
  env: Record<string, string>;
  /** Writes an object through the server, last modified `ageMs` ago (rclone takes the time from the `mtime` metadata). */
  writeAgedObject(objectKey: string, bytes: string | Buffer, ageMs: number): Promise<void>;
  /** Stops the server (the bucket's files stay); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes the folder. */
  close(): Promise<void>;
}

/** The real rclone binary: RCLONE_PATH, else past pyenv's shell shim, else whatever PATH holds. */
function rclonePath(): string {
  if (process.env.RCLONE_PATH) return process.env.RCLONE_PATH;
  try {
    return execFileSync('pyenv', ['which', 'rclone'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'rclone';
  }
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`rclone serve s3 exited with ${child.exitCode}: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`rclone serve s3 did not listen on 127.0.0.1:${port}: ${output()}`);
}

/** The key prefix the test config gives FileIntel. */
const TEST_PREFIX = 'fileintel/';

/**
 * Makes the bucket folder, and in it the folders FileIntel writes to, each
 * holding an empty folder that lists as no object. rclone serve s3 removes a
 * folder that a delete left empty, and a write into it at that moment can fail
 * or be lost (a just-staged upload read back as NoSuchKey, and staged objects
 * that no delete could find). S3 has no folders, so FileIntel cannot meet this
 * on S3 itself: the test server is kept from ever emptying these folders (a
 * collection's own folder can still empty; no test deletes from one while writing to it).
 */
async function keepFoldersFileIntelWrites(bucketFolder: string): Promise<void> {
  for (const folder of Object.values(S3_FOLDERS)) {
    await mkdir(path.join(bucketFolder, TEST_PREFIX, folder, '.never-empty'), { recursive: true });
  }
}

/**
 * A real S3-compatible server for tests: `rclone serve s3` over a temp folder,
 * SigV4 with one key pair, on 127.0.0.1 and a free port. The bucket is a
 * sub-folder, made here (pass `bucket: null` for a server without it).
 */
export async function startS3Server(options: { bucket?: string | null } = {}): Promise<S3TestServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'fileintel-s3-'));
  const bucket = options.bucket === undefined ? 'documents' : (options.bucket ?? 'missing-bucket');
  if (options.bucket !== null) await keepFoldersFileIntelWrites(path.join(root, bucket));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const binary = rclonePath();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    child = spawn(
      binary,
      [
        'serve',
        's3',
        root,
        '--addr',
        `127.0.0.1:${port}`,
        '--auth-key',
        `${S3_TEST_CREDENTIALS.accessKeyId},${S3_TEST_CREDENTIALS.secretAccessKey}`,
        '--log-level',
        'ERROR',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RCLONE_CONFIG: '/dev/null' } },
    );
    child.stdout!.on('data', (data) => (output = (output + data).slice(-4000)));
    child.stderr!.on('data', (data) => (output = (output + data).slice(-4000)));
    const started = child;
    // A server that dies on its own would look like "endpoint down" to the test: say so, with its last words.
    started.once('exit', (code, signal) => {
      if (child === started) console.error(`rclone serve s3 on port ${port} exited (${code ?? signal}): ${output}`);
    });
    await waitForPort(port, child, () => output);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return {
    endpoint,
    bucket,
    root,
    config: {
      storage_backend: 's3',
      s3_endpoint: endpoint,
      s3_bucket: bucket,
      s3_region: 'us-east-1',
      s3_force_path_style: true,
      s3_prefix: TEST_PREFIX,
    },
    env: {
      FILEINTEL_S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      FILEINTEL_S3_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
    },
    async writeAgedObject(objectKey, bytes, ageMs) {
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: S3_TEST_CREDENTIALS,
      });
      try {
        const mtime = String((Date.now() - ageMs) / 1000);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: bytes, Metadata: { mtime } }));
      } finally {
        client.destroy();
      }
    },
    stop,
    start,
    async close() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
