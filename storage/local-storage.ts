import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Committed document files, addressed by storage key (`<collection>/<document>.<ext>`).
 * The interface is small on purpose so an S3-compatible store can stand in.
 */
export interface DocumentStorage {
  /** Moves a staged file under `key`; the staged file is gone afterwards. */
  putFromStaging(stagedPath: string, key: string): Promise<void>;
  openRead(key: string): Readable;
  /** Local path of the file, for parsers that need one. */
  localPath(key: string): string;
  exists(key: string): Promise<boolean>;
  /** Removes the file; a missing file is not an error. */
  remove(key: string): Promise<void>;
  /** Every key with its modification time, in no particular order. */
  list(): AsyncIterable<{ key: string; modifiedAt: Date }>;
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export class LocalDirectoryStorage implements DocumentStorage {
  constructor(readonly root: string) {}

  localPath(key: string): string {
    // Keys are made by us, never from user input; refuse anything that could escape the root.
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`invalid storage key: ${key}`);
    return path.join(this.root, key);
  }

  async putFromStaging(stagedPath: string, key: string): Promise<void> {
    const target = this.localPath(key);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(stagedPath, target);
    } catch (error) {
      // Staging on another file system: copy, then drop the staged file.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(stagedPath, target);
      await rm(stagedPath, { force: true });
    }
  }

  openRead(key: string): Readable {
    return createReadStream(this.localPath(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.localPath(key))).isFile();
    } catch {
      return false;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: Date }> {
    await mkdir(this.root, { recursive: true });
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const key = path.relative(this.root, full).split(path.sep).join('/');
      const info = await stat(full).catch(() => undefined);
      if (info) yield { key, modifiedAt: info.mtime };
    }
  }
}
