import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'replay', 'histories');

/**
 * Writes a closed workflow's history to test/replay/histories/<name>.json,
 * when RECORD_HISTORIES=1. Tests that exercise a workflow call this so its
 * fixtures can be refreshed with `npm run test:record-histories`; the replay
 * test then replays every file there against the current workflow code.
 */
export async function recordHistoryIfAsked(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), historyToJSON(history) + '\n');
}
