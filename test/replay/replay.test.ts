import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadWorkflowBundle } from '../../worker/workflow-bundle.ts';
import { HISTORIES_DIR } from '../support/histories.ts';

// Every recorded history replays against the current workflow code: a change
// that would break a running workflow fails here (version it with patched()).
const files = (await readdir(HISTORIES_DIR)).filter((name) => name.endsWith('.json')).sort();

test('there are recorded histories to replay', () => {
  assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}`);
});

for (const file of files) {
  test(`replays ${file}`, async () => {
    const history = historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES_DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await loadWorkflowBundle() }, history, file.replace(/\.json$/, ''));
  });
}
