import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { workUnitsOf } from '../../activities/collection-analysis.ts';
import {
  createDocumentProcessingActivities,
  type GroupHeartbeat,
  type GroupResult,
} from '../../activities/document-processing/index.ts';
import type { TextWork } from '../../activities/text-work/pool.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import { claimDocument } from '../../db/queries/document-runs.ts';
import { LocalDirectoryStorage } from '../../storage/local-storage.ts';
import type { UnitDocument } from '../../workflows/collection-analysis-contract.ts';
import { prose } from '../fixtures/documents.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const ALL_STEPS = { extract_metadata: true, generate_embeddings: true, build_graph: true };

/**
 * processDocumentGroup on a real database and real files: each document
 * claimed, processed and marked on its own; a failing one fails alone; a
 * retry skips what the heartbeat says is finished; a cancel leaves the
 * unfinished ones `cancelled`.
 */
describe('small documents in groups (processDocumentGroup)', () => {
  let harness: DocumentActivitiesHarness;
  let sql: Sql;
  let dir: string;
  let config: Config;
  let textWork: TextWork;
  let activities: DocumentActivitiesHarness['activities'];

  before(async () => {
    harness = await startDocumentActivities('groups');
    ({ sql, dir, config, textWork, activities } = harness);
  });
  after(() => harness?.teardown());

  /** A stored text document; `stored: false` leaves its file out (a missing file fails its document). */
  async function textDocument(
    filename: string,
    options: { stored?: boolean; mimeType?: string } = {},
  ): Promise<UnitDocument> {
    const bytes = new TextEncoder().encode(prose(filename, 20));
    const id = await harness.storeDocument(
      { filename, mimeType: options.mimeType ?? 'text/plain', bytes },
      { stored: options.stored },
    );
    return { id, filename };
  }

  const rows = async (documents: UnitDocument[]) =>
    new Map(
      (
        await sql<{ id: string; status: string; error: string | null; chunks: number }[]>`
        SELECT d.id, d.status, d.error, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks
        FROM documents d WHERE d.id = ANY(${documents.map((document) => document.id)})`
      ).map((row) => [row.id, row]),
    );

  test('every document processed and marked by the group; one failing fails only itself, with its reason', async () => {
    const documents = [
      await textDocument('a.txt'),
      await textDocument('missing.txt', { stored: false }),
      await textDocument('b.md', { mimeType: 'text/markdown' }),
      await textDocument('data.bin', { mimeType: 'application/octet-stream' }),
      await textDocument('c.txt'),
    ];
    const heartbeats: GroupHeartbeat[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (details: GroupHeartbeat) => heartbeats.push(details));
    const result = (await env.run(activities.processDocumentGroup, { documents, options: ALL_STEPS })) as GroupResult;

    assert.deepEqual(
      result.outcomes.map((outcome) => [outcome.filename, outcome.status]),
      [
        ['a.txt', 'processed'],
        ['missing.txt', 'failed'],
        ['b.md', 'processed'],
        ['data.bin', 'failed'],
        ['c.txt', 'processed'],
      ],
    );
    assert.match(result.outcomes[1].error!, /^extract: missing_file: the stored file .* of missing\.txt is missing$/);
    assert.match(result.outcomes[3].error!, /^extract: unsupported_type: /);
    const after = await rows(documents);
    for (const outcome of result.outcomes) {
      const row = after.get(outcome.document_id)!;
      assert.equal(row.status, outcome.status, outcome.filename);
      assert.equal(row.error, outcome.error ?? null, outcome.filename);
      assert.equal(
        row.chunks > 0,
        outcome.status === 'processed',
        `${outcome.filename}: chunks only for a processed document`,
      );
    }
    // The last heartbeat lists every document the group finished (what a retry would skip).
    assert.deepEqual(
      heartbeats.at(-1)?.finished.map((outcome) => outcome.document_id),
      documents.map((document) => document.id),
    );
  });

  test('a retry skips the documents its heartbeat says are finished', async () => {
    const documents = [
      await textDocument('done-before.txt'),
      await textDocument('next-1.txt'),
      await textDocument('next-2.txt'),
    ];
    const earlier = { document_id: documents[0].id, filename: documents[0].filename, status: 'processed' as const };
    const env = new MockActivityEnvironment({
      attempt: 2,
      heartbeatDetails: { step: 'extract', finished: [earlier] } satisfies GroupHeartbeat,
    });
    const result = (await env.run(activities.processDocumentGroup, { documents, options: ALL_STEPS })) as GroupResult;
    assert.deepEqual(
      result.outcomes.map((outcome) => [outcome.filename, outcome.status]),
      [
        ['done-before.txt', 'processed'],
        ['next-1.txt', 'processed'],
        ['next-2.txt', 'processed'],
      ],
    );
    const after = await rows(documents);
    assert.equal(
      after.get(documents[0].id)!.status,
      'uploaded',
      'not touched again: the earlier attempt had finished it',
    );
    assert.equal(after.get(documents[1].id)!.status, 'processed');
  });

  test('an attempt superseded by a newer one on a document stops without marking it: the newer attempt owns its row', async () => {
    const documents = [await textDocument('owned-elsewhere.txt')];
    const env = new MockActivityEnvironment({ attempt: 1 });
    const { workflowId, runId } = env.context.info.workflowExecution!;
    // A newer attempt of the same group activity already claimed the document.
    await claimDocument(
      sql,
      {
        documentId: documents[0].id,
        run: `${workflowId}/${runId}/${env.context.info.activityId}/${documents[0].id}`,
        attempt: 2,
      },
      'extract',
      { fresh: true },
    );
    await assert.rejects(
      env.run(activities.processDocumentGroup, { documents, options: ALL_STEPS }),
      (error: ApplicationFailure) => {
        assert.match(error.message, /owned-elsewhere\.txt/);
        return true;
      },
    );
    const states = await rows(documents);
    assert.equal(states.get(documents[0].id)!.status, 'processing', 'not marked failed by the stale attempt');
  });

  test('a cancel mid-group: finished documents stay processed, every other one ends cancelled with nothing kept', async () => {
    const documents = await Promise.all(Array.from({ length: 6 }, (_, i) => textDocument(`cancel-${i}.txt`)));
    // As the analysis's start leaves them: queued.
    await sql`UPDATE documents SET status = 'queued' WHERE id = ANY(${documents.map((document) => document.id)})`;
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (details: GroupHeartbeat) => {
      if (details.finished.length >= 2) env.cancel();
    });
    await assert.rejects(
      env.run(activities.processDocumentGroup, { documents, options: ALL_STEPS }),
      (error: unknown) => error instanceof CancelledFailure,
    );
    const after = await rows(documents);
    const statuses = documents.map((document) => after.get(document.id)!.status);
    assert.deepEqual(statuses.slice(0, 2), ['processed', 'processed']);
    for (const document of documents.slice(2)) {
      const row = after.get(document.id)!;
      assert.deepEqual(
        { status: row.status, chunks: row.chunks },
        { status: 'cancelled', chunks: 0 },
        document.filename,
      );
    }
  });

  test('a cancelled group leaves alone the documents another run took over (a reset analysis started them again)', async () => {
    const documents = await Promise.all(Array.from({ length: 3 }, (_, i) => textDocument(`taken-${i}.txt`)));
    await sql`UPDATE documents SET status = 'queued' WHERE id = ANY(${documents.map((document) => document.id)})`;
    // The run that took over has claimed the last document already.
    const takenOver = documents[2];
    await sql`UPDATE documents SET status = 'processing', processing_run = 'reset-run/1/1/x', processing_attempt = 1
              WHERE id = ${takenOver.id}`;
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (details: GroupHeartbeat) => {
      if (details.finished.length >= 1) env.cancel();
    });
    await assert.rejects(
      env.run(activities.processDocumentGroup, { documents, options: ALL_STEPS }),
      (error: unknown) => error instanceof CancelledFailure,
    );
    const after = await rows(documents);
    assert.equal(after.get(documents[0].id)!.status, 'processed');
    assert.equal(after.get(documents[1].id)!.status, 'cancelled', 'still queued for this group: cancelled');
    assert.equal(after.get(takenOver.id)!.status, 'processing', 'held by the run that took over: untouched');
  });

  test('an error a retry may fix fails the attempt, naming the document it happened on and listing the group', async () => {
    const documents = [await textDocument('first.txt'), await textDocument('second.txt')];
    const broken = createDocumentProcessingActivities({
      config,
      sql,
      textWork,
      storage: {
        ...new LocalDirectoryStorage(dir),
        localPath: (key: string) => new LocalDirectoryStorage(dir).localPath(key),
        exists: async () => {
          throw new Error('storage volume unavailable');
        },
      } as unknown as LocalDirectoryStorage,
    });
    const env = new MockActivityEnvironment();
    await assert.rejects(env.run(broken.processDocumentGroup, { documents, options: ALL_STEPS }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.nonRetryable, false);
      assert.match(
        error.message,
        new RegExp(
          `^group of 2 document\\(s\\), at document ${documents[0].id} \\(first\\.txt\\): extract: storage volume unavailable$`,
        ),
      );
      assert.deepEqual((error.details?.[0] as { documents: UnitDocument[] }).documents, documents);
      return true;
    });
  });

  test('units: big documents and PDFs get their own workflow, first; small ones in groups capped by count and bytes', () => {
    const MB = 1024 * 1024;
    const doc = (id: string, size: number, mime = 'text/plain', filename = `${id}.txt`) => ({
      id,
      filename,
      mime_type: mime,
      size_bytes: size,
    });
    const units = workUnitsOf(
      [
        doc('a', 1_000),
        doc('b', 2 * MB),
        doc('c', 1_000),
        doc('d', 500, 'application/pdf', 'd.pdf'),
        doc('e', 0.9 * MB),
        doc('f', 0.9 * MB),
        doc('g', 10),
      ],
      { small_document_mb: 1, group_max_documents: 3, group_max_mb: 2 },
    );
    assert.deepEqual(
      units.map((unit) =>
        unit.kind === 'workflow' ? unit.document.id : unit.documents.map((document) => document.id).join(''),
      ),
      ['b', 'd', 'ace', 'fg'],
    );
    const none = workUnitsOf([doc('a', 10), doc('b', 10)], {
      small_document_mb: 0,
      group_max_documents: 10,
      group_max_mb: 4,
    });
    assert.deepEqual(
      units.length > 0 && none.map((unit) => unit.kind),
      ['workflow', 'workflow'],
      'small_document_mb 0: no groups',
    );
  });
});
