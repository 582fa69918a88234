import type { Readable } from 'node:stream';

/**
 * Committed document files, addressed by storage key (`<collection>/<document>.<ext>`).
 * Local disk and an S3-compatible bucket both implement it; nothing outside
 * storage/ knows which one is in use.
 */
export interface DocumentStorage {
  /** Names the store in messages: "local directory …" or "S3 bucket '…' at …". */
  readonly description: string;
  /** Moves a staged upload under `key`; the staged copy is gone afterwards. */
  putFromStaging(stagedKey: string, key: string): Promise<void>;
  /** Writes `key` from bytes or a stream (seeding, tools); replaces what was there. */
  put(key: string, body: Buffer | Readable): Promise<void>;
  /**
   * The file as a stream; rejects when it cannot be opened. Read it to the end:
   * an S3 body dropped half-read kept its connection busy and stalled later
   * calls for seconds (seen with rclone), so partial reads use ranges instead.
   */
  openRead(key: string): Promise<Readable>;
  /**
   * Runs `use` with a local path holding the file, for parsers that need a
   * path or random access (PDF ranges). A copy made for it is removed when
   * `use` settles, whether it succeeded, failed or was cancelled.
   */
  withLocalFile<T>(key: string, use: (path: string) => Promise<T>): Promise<T>;
  exists(key: string): Promise<boolean>;
  /** Removes the file; a missing file is not an error. */
  remove(key: string): Promise<void>;
  /** Every key with its modification time, in no particular order. */
  list(): AsyncIterable<{ key: string; modifiedAt: Date }>;
}

/** Where uploads land while they stream in, before their batch commits. */
export interface StagingArea {
  ensure(): Promise<void>;
  /** A fresh staged name; it never comes from the user. */
  newKey(): string;
  /** Streams `body` into the staged object; on failure no complete object is left under `key`. */
  write(key: string, body: Readable): Promise<void>;
  /** Up to `length` bytes from `offset`. */
  readRange(key: string, offset: number, length: number): Promise<Buffer>;
  /** Removes a staged object; a missing one is not an error. */
  remove(key: string): Promise<void>;
  /** Removes staged objects last modified more than `ttlMs` ago; returns how many. */
  removeOlderThan(ttlMs: number, now?: number): Promise<number>;
  count(): Promise<number>;
}

/**
 * The store could not be used (unreachable, credentials refused, bucket
 * missing): the API answers 503, an activity fails retryably. The message
 * names the store and, where there is one, the object key.
 */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}
