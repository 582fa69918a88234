import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TypedSearchAttributes } from '@temporalio/common';
import { ensureReconcileSchedule } from '../../worker/schedules.ts';
import { reconcileStorage } from '../../workflows/reconcile-storage.ts';
import { KindKey } from '../../workflows/search-attributes.ts';
import { eventually } from '../support/eventually.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { startTestStack, STORAGE_BACKENDS, type TestStack } from '../support/stack.ts';

const HOUR = 3_600_000;

for (const backend of STORAGE_BACKENDS) {
  describe(`storage reconciliation workflow (real activities, real database, ${backend} storage)`, () => {
    let stack: TestStack;
    let collectionId: string;
    before(async () => {
      stack = await startTestStack({ storage: backend, api: false });
      [{ id: collectionId }] = await stack.sql`INSERT INTO collections (name) VALUES ('reconcile') RETURNING id`;
    });
    after(() => stack?.teardown());

    /** Writes a file (or object) and ages it, so the grace periods do not hide it. */
    async function oldFile(file: string, ageMs: number) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'bytes');
      const when = new Date(Date.now() - ageMs);
      await utimes(file, when, when);
    }
    const oldStaged = (name: string, ageMs: number) =>
      stack.s3
        ? stack.s3.writeAgedObject(`fileintel/staging/${name}`, 'bytes', ageMs)
        : oldFile(path.join(stack.config.staging_dir, name), ageMs);
    const oldStored = (key: string, ageMs: number) =>
      stack.s3
        ? stack.s3.writeAgedObject(`fileintel/documents/${key}`, 'bytes', ageMs)
        : oldFile(stack.storage.localPath(key), ageMs);

    test('removes expired staged files, finds orphans both ways, and repairs on request', async () => {
      await oldStaged('expired.part', 2 * HOUR);
      await oldStaged('fresh.part', 0);
      const orphanKey = `${collectionId}/orphan.txt`;
      await oldStored(orphanKey, HOUR);
      const keptKey = `${collectionId}/kept.txt`;
      await oldStored(keptKey, HOUR);
      const [kept] =
        await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${collectionId}, 'kept.txt', ${keptKey}, 'text/plain', 5, 'h1') RETURNING id`;
      const [missing] =
        await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${collectionId}, 'gone.txt', ${`${collectionId}/gone.txt`}, 'text/plain', 5, 'h2') RETURNING id`;

      const reportOnly = await stack.temporal.workflow.execute(reconcileStorage, {
        workflowId: `reconcile-report-${backend}`,
        taskQueue: stack.config.task_queue,
        args: [{ repair: false }],
      });
      assert.equal(reportOnly.expired_staged_files_removed, 1);
      assert.equal(reportOnly.files_without_rows, 1);
      assert.equal(reportOnly.rows_without_files, 1);
      assert.deepEqual(reportOnly.examples.files_without_rows, [orphanKey]);
      assert.deepEqual(reportOnly.examples.rows_without_files, [
        { document_id: missing.id, storage_key: `${collectionId}/gone.txt` },
      ]);
      assert.equal(await stack.staging.count(), 1, 'the fresh staged file stays');
      assert.ok(await stack.storage.exists(orphanKey), 'a report does not remove anything');

      const handle = await stack.temporal.workflow.start(reconcileStorage, {
        workflowId: `reconcile-repair-${backend}`,
        taskQueue: stack.config.task_queue,
        args: [{ repair: true }],
      });
      const repaired = await handle.result();
      assert.equal(repaired.repaired, true);
      assert.equal(await stack.storage.exists(orphanKey), false);
      assert.ok(await stack.storage.exists(keptKey));
      const [row] = await stack.sql`SELECT status, error FROM documents WHERE id = ${missing.id}`;
      assert.deepEqual({ ...row }, { status: 'failed', error: 'file missing from storage' });
      const [keptRow] = await stack.sql`SELECT status FROM documents WHERE id = ${kept.id}`;
      assert.equal(keptRow.status, 'uploaded');
      if (backend === 'local') await recordHistoryIfAsked(handle, 'reconcile-storage-repair');
    });

    test('the schedule exists once, with the Kind search attribute and a summary, and its runs complete', async () => {
      await ensureReconcileSchedule(stack.temporal, stack.config);
      await ensureReconcileSchedule(stack.temporal, stack.config); // idempotent
      const schedule = stack.temporal.schedule.getHandle('reconcile-storage');
      await schedule.trigger();
      const description = await schedule.describe();
      assert.equal(description.action.type, 'startWorkflow');
      const attributes = description.action.typedSearchAttributes as TypedSearchAttributes;
      assert.equal(attributes.get(KindKey), 'reconcile_storage');
      assert.match((await description.action.staticSummary) ?? '', /Storage reconciliation/);
      const recent = await eventually(
        async () => (await schedule.describe()).info.recentActions,
        (actions) => actions.length > 0,
        'the triggered schedule runs',
      );
      const { workflowId, firstExecutionRunId } = recent[0].action.workflow;
      const run = stack.temporal.workflow.getHandle(workflowId, firstExecutionRunId);
      const result = await run.result();
      assert.equal(typeof result.files_without_rows, 'number');
    });
  });
}
