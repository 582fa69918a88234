import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadWorkflowBundle, WORKFLOW_SINKS_WITHOUT_TRACING } from '../../worker/workflow-bundle.ts';
import { HISTORIES_DIR } from '../support/histories.ts';

// Every recorded history replays against the current workflow code: a change
// that would break them fails here. Such a change ships as a new build (Worker
// Versioning pins every run to the build that started it: worker/versioning.ts),
// and these histories are re-recorded from it (`npm run test:record-histories`).
const files = (await readdir(HISTORIES_DIR)).filter((name) => name.endsWith('.json')).sort();

test('there are recorded histories to replay', () => {
  assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}`);
});

const historyOf = async (file: string) =>
  historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES_DIR, file), 'utf8')));

for (const file of files) {
  test(`replays ${file}`, async () => {
    await Worker.runReplayHistory(
      { workflowBundle: await loadWorkflowBundle(), sinks: WORKFLOW_SINKS_WITHOUT_TRACING },
      await historyOf(file),
      file.replace(/\.json$/, ''),
    );
  });
}

// The negative control: the test above would pass for any code if replay never failed. A copy of
// reconcileStorage with one activity call removed must be refused by the history the real one recorded.
test('a workflow changed incompatibly fails replay of its recorded history with a determinism error (the negative control)', async () => {
  const file = 'reconcile-storage-repair.json';
  assert.ok(files.includes(file), `${file} is recorded`);
  const workflowsPath = path.join(import.meta.dirname, 'changed-workflows', 'reconcile-storage-without-cleanup.ts');
  await assert.rejects(
    Worker.runReplayHistory({ workflowsPath }, await historyOf(file), 'reconcile-storage-repair'),
    (error: unknown) => error instanceof DeterminismViolationError,
  );
});
