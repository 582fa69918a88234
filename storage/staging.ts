import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where uploads land while they stream in, before their batch commits. */
export class StagingArea {
  constructor(readonly dir: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** A fresh path inside the staging folder; the name never comes from the user. */
  newPath(): string {
    return path.join(this.dir, `${Date.now()}-${randomUUID()}.part`);
  }

  async remove(stagedPath: string): Promise<void> {
    await rm(stagedPath, { force: true });
  }

  /** Removes staged files last modified more than `ttlMs` ago; returns how many. */
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
