import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StagingArea } from './document-storage.ts';

/** Staged uploads as files in a local folder; a staged key is the file's path. */
export class LocalStagingArea implements StagingArea {
  constructor(readonly dir: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** A fresh path inside the staging folder; the name never comes from the user. */
  newKey(): string {
    return path.join(this.dir, `${Date.now()}-${randomUUID()}.part`);
  }

  async write(key: string, body: Readable): Promise<void> {
    await pipeline(body, createWriteStream(key, { flags: 'wx' }));
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await open(key, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async remove(key: string): Promise<void> {
    await rm(key, { force: true });
  }

  async removeOlderThan(ttlMs: number, now = Date.now()): Promise<number> {
    await this.ensure();
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      const full = path.join(this.dir, name);
      const info = await stat(full).catch(() => undefined);
      if (info?.isFile() && now - info.mtimeMs > ttlMs) {
        await rm(full, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async count(): Promise<number> {
    await this.ensure();
    return (await readdir(this.dir)).length;
  }
}
