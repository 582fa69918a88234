import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DocumentStorage } from './document-storage.ts';

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Committed files in a directory on this host (the embedded default). */
export class LocalDirectoryStorage implements DocumentStorage {
  constructor(readonly root: string) {}

  get description(): string {
    return `local directory ${this.root}`;
  }

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

  async put(key: string, body: Buffer | Readable): Promise<void> {
    const target = this.localPath(key);
    await mkdir(path.dirname(target), { recursive: true });
    if (Buffer.isBuffer(body)) await writeFile(target, body);
    else await pipeline(body, createWriteStream(target));
  }

  async openRead(key: string): Promise<Readable> {
    const stream = createReadStream(this.localPath(key));
    // Open errors (a missing file) reject here instead of surfacing on the first read.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }

  /** The file is already local: `use` gets its path, nothing is copied. */
  withLocalFile<T>(key: string, use: (path: string) => Promise<T>): Promise<T> {
    return use(this.localPath(key));
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
