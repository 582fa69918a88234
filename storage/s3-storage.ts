import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DocumentStorage, StagingArea } from './document-storage.ts';
import type { S3Bucket } from './s3-bucket.ts';

/** S3's smallest multipart part; with two parts in flight an upload holds at most 10 MiB in memory. */
const PART_BYTES = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/** Streams `body` into one object, multipart past PART_BYTES; an interrupted upload is aborted, never left half-written. */
async function streamInto(bucket: S3Bucket, objectKey: string, body: Readable | Buffer, doing: string): Promise<void> {
  const upload = new Upload({
    client: bucket.client,
    params: { Bucket: bucket.name, Key: objectKey, Body: body },
    partSize: PART_BYTES,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    if (body instanceof Readable) {
      // A failure of the body itself (a limit broken, a client gone) is the caller's to explain;
      // an AbortError is the Upload stopping the body because the store failed.
      const own = body.errored;
      if (own && own.name !== 'AbortError') throw own;
      // The store failed: stop the producer, which would otherwise wait forever for a reader.
      if (!body.destroyed) body.destroy();
    }
    throw bucket.failure(doing, error);
  }
}

async function getStream(bucket: S3Bucket, objectKey: string, doing: string, range?: string): Promise<Readable> {
  const answer = await bucket.call(doing, () =>
    bucket.client.send(new GetObjectCommand({ Bucket: bucket.name, Key: objectKey, Range: range })),
  );
  return answer.Body as Readable;
}

async function* listObjects(
  bucket: S3Bucket,
  prefix: string,
  doing: string,
): AsyncIterable<{ objectKey: string; modifiedAt: Date }> {
  let token: string | undefined;
  do {
    const page = await bucket.call(doing, () =>
      bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix, ContinuationToken: token })),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key) yield { objectKey: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The key folders under `<prefix>`: committed documents and staged uploads. */
export const S3_FOLDERS = { documents: 'documents/', staging: 'staging/' } as const;

/** Committed documents as objects under `<prefix>documents/`. */
export class S3DocumentStorage implements DocumentStorage {
  private readonly root: string;

  constructor(private readonly bucket: S3Bucket) {
    this.root = bucket.objectKey(S3_FOLDERS.documents);
  }

  get description(): string {
    return this.bucket.description;
  }

  private objectKey(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`invalid storage key: ${key}`);
    return this.root + key;
  }

  /**
   * Copies the staged object to its key, then deletes the staged one. Runs
   * inside the upload's transaction: a crash after the copy and before the
   * commit leaves an object without a row, which the reconciler removes; a
   * crash before the delete leaves a staged object, removed after staging_ttl.
   */
  async putFromStaging(stagedKey: string, key: string): Promise<void> {
    const target = this.objectKey(key);
    await this.bucket.call(`storing object '${target}'`, () =>
      this.bucket.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket.name,
          Key: target,
          CopySource: encodeURI(`${this.bucket.name}/${stagedKey}`),
        }),
      ),
    );
    await this.bucket
      .call(`removing staged object '${stagedKey}'`, () =>
        this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: stagedKey })),
      )
      .catch(() => {});
  }

  async put(key: string, body: Buffer | Readable): Promise<void> {
    const target = this.objectKey(key);
    if (Buffer.isBuffer(body)) {
      await this.bucket.call(`writing object '${target}'`, () =>
        this.bucket.client.send(new PutObjectCommand({ Bucket: this.bucket.name, Key: target, Body: body })),
      );
    } else {
      await streamInto(this.bucket, target, body, `writing object '${target}'`);
    }
  }

  openRead(key: string): Promise<Readable> {
    const target = this.objectKey(key);
    return getStream(this.bucket, target, `reading object '${target}'`);
  }

  /** Downloads the object into a private temp folder, runs `use`, and removes the folder however `use` ends. */
  async withLocalFile<T>(key: string, use: (path: string) => Promise<T>): Promise<T> {
    const target = this.objectKey(key);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-read-'));
    try {
      const file = path.join(dir, `document${path.extname(key)}`);
      const body = await getStream(this.bucket, target, `reading object '${target}'`);
      try {
        await pipeline(body, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      } catch (error) {
        throw this.bucket.failure(`reading object '${target}'`, error);
      }
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async exists(key: string): Promise<boolean> {
    const target = this.objectKey(key);
    try {
      await this.bucket.call(`looking up object '${target}'`, () =>
        this.bucket.client.send(new HeadObjectCommand({ Bucket: this.bucket.name, Key: target })),
      );
      return true;
    } catch (error) {
      if (this.bucket.isMissingObject(error)) return false;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    const target = this.objectKey(key);
    await this.bucket.call(`removing object '${target}'`, () =>
      this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: target })),
    );
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: Date }> {
    for await (const object of listObjects(this.bucket, this.root, `listing '${this.root}'`)) {
      yield { key: object.objectKey.slice(this.root.length), modifiedAt: object.modifiedAt };
    }
  }
}

/** Staged uploads as objects under `<prefix>staging/`; a staged key is the full object key. */
export class S3StagingArea implements StagingArea {
  private readonly root: string;

  constructor(private readonly bucket: S3Bucket) {
    this.root = bucket.objectKey(S3_FOLDERS.staging);
  }

  /** Nothing to create: the bucket exists or every call says it does not. */
  async ensure(): Promise<void> {}

  newKey(): string {
    return `${this.root}${Date.now()}-${randomUUID()}.part`;
  }

  write(key: string, body: Readable): Promise<void> {
    return streamInto(this.bucket, key, body, `staging upload '${key}'`);
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const body = await getStream(
      this.bucket,
      key,
      `reading staged object '${key}'`,
      `bytes=${offset}-${offset + length - 1}`,
    );
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  async remove(key: string): Promise<void> {
    await this.bucket.call(`removing staged object '${key}'`, () =>
      this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: key })),
    );
  }

  async removeOlderThan(ttlMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for await (const object of listObjects(this.bucket, this.root, `listing '${this.root}'`)) {
      if (now - object.modifiedAt.getTime() > ttlMs) {
        await this.remove(object.objectKey);
        removed += 1;
      }
    }
    return removed;
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const _object of listObjects(this.bucket, this.root, `listing '${this.root}'`)) count += 1;
    return count;
  }
}
