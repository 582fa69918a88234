import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { documentProcessing } from '../../workflows/document-processing.ts';
import { CollectionIdKey, KindKey } from '../../workflows/search-attributes.ts';
import { brokenFixtures, goodFixtures, type FixtureFile } from '../fixtures/documents.ts';
import { runCli } from '../support/cli.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { startTestStack, STORAGE_BACKENDS, type TestStack } from '../support/stack.ts';

/**
 * The whole pipeline with the real activities: generated files of every
 * supported type and broken ones, processed through the API, read back
 * through the API.
 */
for (const backend of STORAGE_BACKENDS) {
  describe(`collection analysis end to end (real activities, real files, HTTP, ${backend} storage)`, () => {
    let stack: TestStack;
    let url: string;
    before(async () => {
      stack = await startTestStack({ storage: backend, config: { page_size: 5, max_concurrent_documents: 3 } });
      url = stack.apiUrl;
    });
    after(() => stack?.teardown());

    async function addDocument(collectionId: string, fixture: FixtureFile): Promise<string> {
      const [row] = await stack.sql`
        INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${collectionId}, ${fixture.filename}, ${`${collectionId}/${fixture.filename.replace(/[^A-Za-z0-9.-]/g, '_')}`}, ${fixture.mimeType},
                ${fixture.bytes.length}, ${`${collectionId}:${fixture.filename}`})
        RETURNING id, storage_key`;
      await stack.storage.put(row.storage_key, Buffer.from(fixture.bytes));
      return row.id;
    }

    async function waitForTask(taskId: string) {
      const ended = await eventually(
        () => request('GET', `${url}/tasks/${taskId}/status`),
        (res) => res.status !== 200 || res.body.data.status !== 'RUNNING',
        `task ${taskId} ends`,
        { timeoutMs: 2 * 60_000 },
      );
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      return ended.body.data;
    }

    test('every supported type is processed; broken files fail naming the reason; the collection says completed_with_errors', async () => {
      const created = await request('POST', `${url}/collections`, { name: 'library' });
      const collectionId = created.body.data.id;
      const ids = new Map<string, string>();
      for (const fixture of await goodFixtures()) ids.set(fixture.filename, await addDocument(collectionId, fixture));
      const broken = await brokenFixtures();
      for (const fixture of broken) ids.set(fixture.filename, await addDocument(collectionId, fixture));

      const started = await request('POST', `${url}/collections/library/process`, { build_graph: true });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.equal(started.body.data.documents, ids.size);
      const taskId = started.body.data.task_id;
      assert.equal(taskId, `collection-analysis:${collectionId}:1`);

      const again = await request('POST', `${url}/collections/library/process`, {});
      assert.equal(again.status, 409);
      assert.equal(again.body.error.details.task_id, taskId);

      const status = await waitForTask(taskId);
      assert.equal(status.status, 'COMPLETED_WITH_ERRORS');
      assert.equal(status.kind, 'collection_analysis');
      assert.equal(status.result.processed, 8);
      assert.equal(status.result.failed, broken.length);
      assert.equal(status.progress.percentage, 100);
      assert.ok(status.closed_at);

      for (const fixture of broken) {
        const doc = (await request('GET', `${url}/documents/${ids.get(fixture.filename)}`)).body.data;
        assert.equal(doc.status, 'failed', fixture.filename);
        assert.match(doc.error, fixture.reason, fixture.filename);
      }

      const pdf = (await request('GET', `${url}/documents/${ids.get('radioactivity.pdf')}`)).body.data;
      assert.equal(pdf.status, 'processed');
      assert.equal(pdf.page_count, 2);
      assert.ok(pdf.chunk_count > 0);
      assert.equal(pdf.embedded_chunks, pdf.chunk_count);
      assert.equal(pdf.metadata.analysis.title, 'Studies in Radioactivity');
      assert.equal(pdf.metadata.analysis.field_sources.title, 'file_properties');
      assert.deepEqual(pdf.metadata.analysis.authors, ['Marie Curie']);
      assert.equal(pdf.metadata.analysis.language, 'eng');
      assert.ok(pdf.metadata.analysis.keywords.includes('radioactivity'));
      const docx = (await request('GET', `${url}/documents/${ids.get('polonium.docx')}`)).body.data;
      assert.equal(docx.metadata.analysis.doi, '10.1000/xyz123');
      const latin1 = (await request('GET', `${url}/documents/${ids.get('latin1.txt')}`)).body.data;
      assert.equal(latin1.metadata.analysis.language, 'fra');

      // Chunks by cursor: pages follow each other without gaps, with page ranges.
      const seen: number[] = [];
      let after: number | null = -1;
      while (after !== null) {
        const page: {
          status: number;
          body: {
            data: {
              chunks: {
                ordinal: number;
                page_start: number;
                page_end: number;
                token_count: number;
                has_embedding: boolean;
              }[];
              next_after: number | null;
              total: number;
            };
          };
        } = await request('GET', `${url}/documents/${pdf.id}/chunks?limit=2&after=${after}`);
        assert.equal(page.status, 200);
        for (const chunk of page.body.data.chunks) {
          seen.push(chunk.ordinal);
          assert.ok(chunk.page_start >= 1 && chunk.page_end <= 2 && chunk.page_start <= chunk.page_end);
          assert.ok(chunk.token_count > 0 && chunk.token_count <= stack.config.chunk_max_tokens);
          assert.equal(chunk.has_embedding, true);
        }
        after = page.body.data.next_after;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: pdf.chunk_count }, (_, i) => i),
      );
      const byOffset = await request('GET', `${url}/documents/${pdf.id}/chunks?limit=1&offset=1`);
      assert.deepEqual(
        byOffset.body.data.chunks.map((c: { ordinal: number }) => c.ordinal),
        [1],
      );
      assert.equal((await request('GET', `${url}/documents/${pdf.id}/chunks?limit=100000`)).status, 400);

      const processing = (await request('GET', `${url}/collections/library/processing-status`)).body.data;
      assert.equal(processing.status, 'completed_with_errors');
      assert.deepEqual(processing.documents.by_status, {
        uploaded: 0,
        queued: 0,
        processing: 0,
        processed: 8,
        failed: broken.length,
        cancelled: 0,
      });
      assert.equal(processing.embedding_coverage, 1);
      assert.equal(processing.embedding_provider, `hashing-v2-${stack.config.embedding_dimension}`);
      assert.equal(processing.embedding_dimension, stack.config.embedding_dimension);
      assert.ok(processing.graph.entities > 0 && processing.graph.edges > 0);
      assert.equal(processing.running_task_id, null);

      // The graph holds processed documents only.
      const [person] =
        await stack.sql`SELECT documents FROM graph_entities WHERE collection_id = ${collectionId} AND kind = 'person' AND name = 'marie curie'`;
      assert.ok(person.documents >= 3);
      const [fromFailed] = await stack.sql`
        SELECT count(*)::int AS n FROM entity_mentions m JOIN documents d ON d.id = m.document_id WHERE d.collection_id = ${collectionId} AND d.status <> 'processed'`;
      assert.equal(fromFailed.n, 0);

      // Nothing left to do without force; with only_failed, just the broken ones run (and fail again).
      const nothing = await request('POST', `${url}/collections/library/process`, { only_failed: false });
      assert.equal(nothing.status, 202, 'the failed ones are still pending');
      const retried = await waitForTask(nothing.body.data.task_id);
      assert.equal(retried.status, 'FAILED');
      assert.equal(retried.result.total, broken.length);
    });

    test('process: 404 unknown collection, 400 empty collection, 400 only_failed with force, 400 nothing to do', async () => {
      assert.equal((await request('POST', `${url}/collections/nope/process`, {})).status, 404);
      await request('POST', `${url}/collections`, { name: 'empty' });
      const empty = await request('POST', `${url}/collections/empty/process`, {});
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error.code, 'no_documents');
      assert.match(empty.body.error.message, /has no documents/);
      const both = await request('POST', `${url}/collections/empty/process`, { only_failed: true, force: true });
      assert.equal(both.status, 400);
      assert.equal(both.body.error.code, 'validation_error');

      const created = await request('POST', `${url}/collections`, { name: 'small' });
      await addDocument(created.body.data.id, (await goodFixtures())[4]);
      const first = await request('POST', `${url}/collections/small/process`, {
        generate_embeddings: false,
        extract_metadata: false,
      });
      assert.equal((await waitForTask(first.body.data.task_id)).status, 'COMPLETED');
      const none = await request('POST', `${url}/collections/small/process`, {});
      assert.equal(none.status, 400);
      assert.equal(none.body.error.code, 'nothing_selected');
      assert.equal((await request('POST', `${url}/collections/small/process`, { only_failed: true })).status, 400);
      const forced = await request('POST', `${url}/collections/small/process`, { force: true });
      assert.equal(forced.status, 202);
      assert.equal(forced.body.data.task_id, `collection-analysis:${created.body.data.id}:2`);
      assert.equal((await waitForTask(forced.body.data.task_id)).status, 'COMPLETED');
      const processing = (await request('GET', `${url}/collections/small/processing-status`)).body.data;
      assert.equal(processing.embedding_coverage, 1, 'the forced run generated embeddings');
    });

    test('tasks status: 404 unknown; documents: 404 unknown or malformed ids', async () => {
      const unknown = await request('GET', `${url}/tasks/collection-analysis:nothing:1/status`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
        assert.equal((await request('GET', `${url}/documents/${id}`)).status, 404);
        assert.equal((await request('GET', `${url}/documents/${id}/chunks`)).status, 404);
      }
    });

    test('documentProcessing on its own: a processed pdf and a corrupt one (histories of the single-activity path recorded)', async () => {
      const created = await request('POST', `${url}/collections`, { name: 'single' });
      const collectionId = created.body.data.id;
      const good = await addDocument(collectionId, (await goodFixtures())[0]);
      const bad = await addDocument(collectionId, (await brokenFixtures())[0]);
      const options = { build_graph: true, extract_metadata: true, generate_embeddings: true };
      const start = (documentId: string) =>
        stack.temporal.workflow.start(documentProcessing, {
          workflowId: `document:${documentId}:manual`,
          taskQueue: stack.config.task_queue,
          args: [{ documentId, collectionId, options }],
          typedSearchAttributes: [
            { key: CollectionIdKey, value: collectionId },
            { key: KindKey, value: 'document_processing' },
          ],
        });
      const goodHandle = await start(good);
      assert.equal((await goodHandle.result()).document_id, good);
      if (backend === 'local') await recordHistoryIfAsked(goodHandle, 'document-processing-single-activity-pdf');
      const badHandle = await start(bad);
      await assert.rejects(
        badHandle.result(),
        (error: unknown) =>
          error instanceof WorkflowFailedError && /extract: corrupt_file/.test(error.cause?.message ?? ''),
      );
      if (backend === 'local') await recordHistoryIfAsked(badHandle, 'document-processing-single-activity-corrupt');
      const status = (await request('GET', `${url}/tasks/${badHandle.workflowId}/status`)).body.data;
      assert.equal(status.status, 'FAILED');
      assert.match(status.error, /^extract: corrupt_file: the PDF cannot be parsed/);
      assert.equal(status.kind, 'document_processing');
    });

    test('CLI: collections process --wait, collections status, documents get and chunks', async () => {
      const created = await request('POST', `${url}/collections`, { name: 'cli-analysis' });
      const collectionId = created.body.data.id;
      const good = await addDocument(collectionId, (await goodFixtures())[4]);
      await addDocument(collectionId, (await brokenFixtures())[5]);

      const processed = await runCli(url, ['collections', 'process', 'cli-analysis', '--wait', '--graph']);
      assert.equal(processed.code, 1, 'completed with errors is not a clean exit');
      assert.match(processed.stdout, /status\s+COMPLETED_WITH_ERRORS/);
      assert.match(processed.stdout, /binary\.txt.*corrupt_file/);
      assert.match(processed.stderr, /done, 1 failed/);

      const status = await runCli(url, ['collections', 'status', 'cli-analysis', '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout).documents.by_status, {
        uploaded: 0,
        queued: 0,
        processing: 0,
        processed: 1,
        failed: 1,
        cancelled: 0,
      });

      const doc = await runCli(url, ['documents', 'get', good]);
      assert.equal(doc.code, 0, doc.stderr);
      assert.match(doc.stdout, /status\s+processed/);
      assert.match(doc.stdout, /title\s+Lab Notes/);

      const chunks = await runCli(url, ['documents', 'chunks', good, '--limit', '1']);
      assert.equal(chunks.code, 0, chunks.stderr);
      assert.match(chunks.stdout, /1 of \d+ chunk\(s\); next page: --after 0/);

      const missing = await runCli(url, ['collections', 'process', 'no-such-collection']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /not found \(not_found, HTTP 404\)/);
    });
  });
}
