// The entry of the text worker threads (see pool.ts). Node 20 does not carry
// the main thread's TypeScript loader (tsx, from --import) into worker
// threads, so the tasks are loaded through tsx's own API here.
import { tsImport } from 'tsx/esm/api';

const tasks = await tsImport('./tasks.ts', import.meta.url);

export const { extractRange, embedTexts, tagEntities } = tasks;
