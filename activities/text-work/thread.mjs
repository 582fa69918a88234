// The entry of the text worker threads (see pool.ts). Built (dist/), the
// compiled tasks sit beside this file. From sources, Node 20 does not carry
// the main thread's TypeScript loader (tsx, from --import) into worker
// threads, so the tasks are loaded through tsx's own API here.
import { existsSync } from 'node:fs';

const compiled = new URL('./tasks.js', import.meta.url);
const tasks = existsSync(compiled)
  ? await import(compiled.href)
  : await (await import('tsx/esm/api')).tsImport('./tasks.ts', import.meta.url);

export const { extractRange, embedTexts, tagEntities } = tasks;
