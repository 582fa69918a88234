// The query and re-embedding workflows. Their logic with stand-in activities
// (what the query passes between its steps, the re-embedding's cursor across
// continue-as-new), then re-embedding with the real activities after the
// embedding provider changed: vector search stays off while it runs, a worker
// killed mid-document resumes after the documents done, a cancel leaves the
// vectors marked unusable, an analysis that meets old vectors starts it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { createActivities } from '../../activities/index.ts';
import { innermostMessage } from '../../common/errors.ts';
import { progressQuery } from '../../workflows/collection-analysis-contract.ts';
import type { PassageRef, QueryInput } from '../../workflows/query-contract.ts';
import type { ReembeddingInput } from '../../workflows/reembedding-contract.ts';
import { file, postMultipart } from '../fixtures/multipart.ts';
import { makeText } from '../fixtures/upload-files.ts';
import { eventually } from '../support/eventually.ts';
import { FakeOpenAi } from '../support/fake-openai.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('query and re-embedding workflows', () => {
  let fake: FakeOpenAi;
  let stack: TestStack;
  let v3: string;
  let stopWorker: (() => Promise<void>) | undefined;

  before(async () => {
    fake = await FakeOpenAi.start();
    // The configured provider is the fake's; collections are first embedded by a hashing worker (the provider before).
    stack = await startTestStack({
      worker: false,
      config: {
        embedding_provider: 'openai',
        openai_base_url: fake.url,
        openai_embedding_model: 'fake-embed',
        reembedding_documents_per_activity: 2,
        small_document_mb: 0,
      },
    });
    v3 = stack.apiUrl;
  });
  after(async () => {
    await stopWorker?.();
    await stack?.teardown();
    await fake?.close();
  });

  const hashingActivities = () =>
    createActivities({ ...stack, config: { ...stack.config, embedding_provider: 'hashing', openai_base_url: '' } });
  async function useWorker(activities: object) {
    await stopWorker?.();
    stopWorker = await stack.startWorker(activities);
  }

  describe('logic, with stand-in activities', () => {
    const passage = (documentId: string, ordinal: number, pages: [number, number] | null): PassageRef => ({
      documentId,
      documentName: 'report.pdf',
      ordinal,
      pageStart: pages?.[0] ?? null,
      pageEnd: pages?.[1] ?? null,
      headingPath: null,
      score: 0.5 / (ordinal + 1),
      scores: { fused: 0.5 / (ordinal + 1) },
      snippet: `snippet ${ordinal}`,
    });
    const answerInputs: unknown[] = [];
    const pagesAsked: (string | null)[] = [];
    const docs = Array.from({ length: 7 }, (_, i) => `00000000-0000-0000-0000-00000000000${i}`);

    before(async () => {
      await useWorker({
        ...stack.realActivities(),
        async retrievePassages(input: { question: string; documentId?: string }) {
          if (input.question === 'gone?')
            throw ApplicationFailure.nonRetryable('collection x not found', 'QueryTargetNotFound');
          return {
            mode: 'hybrid',
            vectorSearch: 'exact_cosine',
            passages: [passage(input.documentId ?? 'doc-a', 0, [3, 4]), passage('doc-b', 5, null)],
            answerTimeoutMs: 30_000,
          };
        },
        async answerQuestion(input: unknown) {
          answerInputs.push(input);
          return { answer: 'It does [1].', answerType: 'generated', model: 'm' };
        },
        async beginReembedding() {
          return {
            target: 'openai:new',
            previous: 'hashing-v1-384',
            total: docs.length,
            taskQueue: stack.config.task_queue,
          };
        },
        async reembedDocuments(input: { afterId: string | null }) {
          pagesAsked.push(input.afterId);
          const start = input.afterId === null ? 0 : docs.indexOf(input.afterId) + 1;
          const page = docs.slice(start, start + 2);
          return {
            lastId: page.at(-1) ?? input.afterId,
            documents: page.length,
            chunks: page.length * 3,
            more: start + 2 < docs.length,
          };
        },
        async finishReembedding() {
          return { dimension: 64 };
        },
      });
    });

    const queryInput = (question: string, documentId?: string): QueryInput => ({
      collectionId: 'c',
      ...(documentId ? { documentId } : {}),
      question,
      k: 5,
      mode: 'hybrid',
      answerFormat: 'default',
      includeCitedChunks: false,
      searchType: 'adaptive',
    });

    test('query: passages go to the answer as ids, pages and snippets (no chunk text); the result cites them by number, document and page', async () => {
      const handle = await stack.temporal.workflow.start('queryCollection', {
        workflowId: `query:${randomUUID()}`,
        taskQueue: stack.config.task_queue,
        args: [queryInput('What does it do?', 'doc-a')],
      });
      const result = await handle.result();
      assert.equal(result.answer, 'It does [1].');
      assert.equal(result.query_type, 'hybrid_document');
      assert.equal(result.search_type, 'adaptive');
      assert.deepEqual(
        result.sources.map((s: { in_text_citation: string; chunk_id: string }) => [s.in_text_citation, s.chunk_id]),
        [
          ['[1] (report.pdf, pp. 3–4)', 'doc-a:0'],
          ['[2] (report.pdf)', 'doc-b:5'],
        ],
      );
      const [asked] = answerInputs as { passages: Record<string, unknown>[] }[];
      assert.equal(asked.passages.length, 2);
      for (const p of asked.passages) assert.equal('text' in p, false, 'no chunk text in history');
      const progress = await handle.query(progressQuery);
      assert.deepEqual([progress.phase, progress.processed, progress.total, progress.percentage], ['done', 2, 2, 100]);
      await recordHistoryIfAsked(handle, 'query-stand-in');
    });

    test('query: a collection gone fails the task with the reason, without asking for an answer', async () => {
      const before = answerInputs.length;
      const handle = await stack.temporal.workflow.start('queryCollection', {
        workflowId: `query:${randomUUID()}`,
        taskQueue: stack.config.task_queue,
        args: [queryInput('gone?')],
      });
      await assert.rejects(handle.result(), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.match(innermostMessage(error), /collection x not found/);
        return true;
      });
      assert.equal(answerInputs.length, before);
    });

    test('re-embedding: pages follow one cursor across continue-as-new, each document once; the result counts them', async () => {
      const collectionId = randomUUID();
      const input: ReembeddingInput = { collectionId, historyEventsPerRun: 15 };
      const handle = await stack.temporal.workflow.start('reembedCollection', {
        workflowId: `reembedding:${collectionId}`,
        taskQueue: stack.config.task_queue,
        args: [input],
      });
      const result = await handle.result();
      assert.deepEqual(pagesAsked, [null, docs[1], docs[3], docs[5]]);
      assert.deepEqual(
        [result.processed, result.total, result.chunks, result.provider, result.previous_provider, result.dimension],
        [7, 7, 21, 'openai:new', 'hashing-v1-384', 64],
      );
      const described = await handle.describe();
      assert.notEqual(described.runId, described.raw.workflowExecutionInfo?.firstRunId, 'it continued as new');
      await recordHistoryIfAsked(handle, 'reembedding-continued');
    });
  });

  describe('re-embedding with the real activities, after the provider changed', () => {
    let collectionId: string;
    const status = async (id: string) => (await request('GET', `${v3}/collections/${id}/processing-status`)).body.data;

    async function collectionOf(name: string, texts: string[]) {
      const created = await request('POST', `${v3}/collections`, { name });
      const uploaded = await postMultipart(
        `${v3}/collections/${created.body.data.id}/upload-and-process`,
        texts.map((text, i) => file(`${name}-${i}.txt`, makeText(text))),
      );
      assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
      await closed(uploaded.body.data.task_id);
      return created.body.data.id as string;
    }

    async function closed(taskId: string) {
      return eventually(
        () => request('GET', `${v3}/tasks/${taskId}/status`),
        (res) => res.status === 200 && !['RUNNING', 'CANCELLING'].includes(res.body.data.status),
        `task ${taskId} closes`,
        { timeoutMs: 120_000 },
      ).then((res) => res.body.data);
    }

    /** Embedding requests for these texts since `from`. */
    const embedded = (from: number, text: string) =>
      fake
        .to('/embeddings')
        .slice(from)
        .filter((r) => r.body.input.some((input: string) => input.includes(text))).length;

    const texts = ['alpha whales eat krill', 'bravo foxes hunt voles', 'charlie keepers light lamps'];

    before(async () => {
      await useWorker(hashingActivities());
      collectionId = await collectionOf('reembed-me', texts);
      assert.equal((await status(collectionId)).embedding_provider, 'hashing-v2-384');
    });

    test('refusals: unknown collection 404; vectors already current 409; a second start while one runs 409 naming it', async () => {
      const unknown = await request('POST', `${v3}/collections/nope/reembed`, {});
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      // Under the hashing config (the API's is openai, so here through a collection labelled with the configured provider).
      const current = await collectionOf('already-current', ['delta']);
      await stack.sql`UPDATE collections SET embedding_provider = 'openai:fake-embed' WHERE id = ${current}`;
      const refused = await request('POST', `${v3}/collections/${current}/reembed`, {});
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'embeddings_current');
      const empty = await request('POST', `${v3}/collections`, { name: 'empty-reembed' });
      const nothing = await request('POST', `${v3}/collections/${empty.body.data.id}/reembed`, {});
      assert.equal(nothing.body.error.code, 'nothing_to_reembed');
    });

    test("while it runs vector search is off; a worker killed mid-document resumes after the documents done; then vectors are the new provider's", async () => {
      const from = fake.to('/embeddings').length;
      // Hold the second document's embedding call: the first is done and heartbeated by then.
      fake.hold = (r) => r.route === '/embeddings' && fake.to('/embeddings').length === from + 2;
      await useWorker(stack.realActivities());
      const started = await request('POST', `${v3}/collections/${collectionId}/reembed`, {});
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.deepEqual(
        { ...started.body.data, task_id: undefined },
        {
          task_id: undefined,
          collection_id: collectionId,
          from: 'hashing-v2-384',
          to: 'openai:fake-embed',
          documents: 3,
        },
      );
      const taskId = started.body.data.task_id;
      assert.equal(taskId, `reembedding:${collectionId}`);
      await eventually(
        () => fake.waiting,
        (n) => n === 1,
        'the second document is being embedded',
      );

      assert.equal((await status(collectionId)).embedding_provider, 'reembedding:openai:fake-embed');
      const search = await request('POST', `${v3}/collections/${collectionId}/search`, { query: 'whales krill' });
      assert.equal(search.status, 200, JSON.stringify(search.body));
      assert.equal(search.body.data.mode, 'text', 'no vector search while vectors are mixed');
      const again = await request('POST', `${v3}/collections/${collectionId}/reembed`, { force: true });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'reembedding_running');
      assert.equal(again.body.error.details.task_id, taskId);
      const running = await request('GET', `${v3}/tasks/${taskId}/status`);
      assert.equal(running.body.data.kind, 'reembedding');
      assert.equal(running.body.data.progress.phase, 'reembedding');

      // The worker dies (its activity is cancelled by the shutdown); a new one takes over.
      fake.hold = () => false;
      await stopWorker!();
      stopWorker = undefined;
      fake.release();
      await useWorker(stack.realActivities());
      const task = await closed(taskId);
      assert.equal(task.status, 'COMPLETED', JSON.stringify(task));
      assert.deepEqual([task.result.processed, task.result.total, task.result.provider], [3, 3, 'openai:fake-embed']);

      const counts = texts.map((text) => embedded(from, text));
      assert.equal(counts.filter((n) => n === 1).length, 2, `documents done stay done: ${counts}`);
      assert.equal(counts.filter((n) => n === 2).length, 1, `the interrupted one is embedded again: ${counts}`);
      const after = await status(collectionId);
      assert.deepEqual([after.embedding_provider, after.embedding_dimension], ['openai:fake-embed', fake.dimension]);
      const vector = await request('POST', `${v3}/collections/${collectionId}/search`, {
        query: 'whales krill',
        mode: 'vector',
      });
      assert.equal(vector.status, 200, JSON.stringify(vector.body));
      assert.equal(vector.body.data.mode, 'vector');
      await recordHistoryIfAsked(stack.temporal.workflow.getHandle(taskId), 'reembedding-resumed');
    });

    test('a cancel stops it: the vectors stay marked unusable until a new re-embedding ends', async () => {
      const from = fake.to('/embeddings').length;
      fake.hold = (r) => r.route === '/embeddings' && fake.to('/embeddings').length === from + 1;
      try {
        const started = await request('POST', `${v3}/collections/${collectionId}/reembed`, { force: true });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        await eventually(
          () => fake.waiting,
          (n) => n === 1,
          'the first document is being embedded',
        );
        const cancelled = await request('POST', `${v3}/tasks/${started.body.data.task_id}/cancel`, {
          wait_seconds: 30,
        });
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
        assert.equal((await closed(started.body.data.task_id)).status, 'CANCELLED');
      } finally {
        fake.hold = () => false;
        fake.release();
      }
      assert.equal((await status(collectionId)).embedding_provider, 'reembedding:openai:fake-embed');
      const restarted = await request('POST', `${v3}/collections/${collectionId}/reembed`, {});
      assert.equal(restarted.status, 202, JSON.stringify(restarted.body));
      assert.equal((await closed(restarted.body.data.task_id)).status, 'COMPLETED');
      assert.equal((await status(collectionId)).embedding_provider, 'openai:fake-embed');
    });

    test('an analysis meeting vectors of another provider starts the re-embedding instead of mixing them', async () => {
      // Vectors of the provider before (as the hashing worker left them above), then a document added under the new one.
      const auto = await collectionOf('auto-reembed', ['echo one', 'foxtrot two']);
      await stack.sql`UPDATE collections SET embedding_provider = 'hashing-v1-384' WHERE id = ${auto}`;
      const uploaded = await postMultipart(`${v3}/collections/${auto}/upload-and-process`, [
        file('golf.txt', makeText('golf three')),
      ]);
      assert.equal((await closed(uploaded.body.data.task_id)).status, 'COMPLETED');
      const task = await eventually(
        () => request('GET', `${v3}/tasks/reembedding:${auto}/status`),
        (res) => res.status === 200 && res.body.data.status === 'COMPLETED',
        'the re-embedding the analysis started completes',
        { timeoutMs: 120_000 },
      );
      assert.equal(task.body.data.result.previous_provider, 'hashing-v1-384');
      assert.equal(task.body.data.result.processed, 3);
      assert.equal((await status(auto)).embedding_provider, 'openai:fake-embed');
    });
  });
});
