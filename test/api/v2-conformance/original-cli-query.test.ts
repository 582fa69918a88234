// The original FileIntel CLI's `query collection` and `query document`
// against a real stack: the exact requests it sends (original-client.ts), a
// wait like its own, and the fields it prints from the task's result. Answers
// come extractive (no chat endpoint) or from a fake OpenAI-compatible chat
// endpoint on 127.0.0.1; a query waiting on the model is cancelled; refused
// requests start nothing. The v3 route is checked beside it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../activities/index.ts';
import { field, file, postMultipart } from '../../fixtures/multipart.ts';
import { makePdf, makeText } from '../../fixtures/upload-files.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeOpenAi } from '../../support/fake-openai.ts';
import { recordHistoryIfAsked } from '../../support/histories.ts';
import { request } from '../../support/http.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';
import { originalClient, waitLikeTheCli, type OriginalClient } from './original-client.ts';

describe('/api/v2 query: the original CLI asks, a query workflow answers (real stack)', () => {
  let fake: FakeOpenAi;
  let stack: TestStack;
  let cli: OriginalClient;
  let v3: string;
  let collectionId: string;
  let pdfId: string;
  let stopWorker: (() => Promise<void>) | undefined;
  const started: string[] = [];

  before(async () => {
    fake = await FakeOpenAi.start();
    // The API's config; the workers below get theirs (with or without the chat endpoint).
    stack = await startTestStack({ worker: false, config: { llm_base_url: fake.url, llm_model: 'fake-chat' } });
    v3 = stack.apiUrl;
    cli = originalClient(v3.replace(/\/api\/v3$/, '/api/v2'));
    stopWorker = await stack.startWorker(activitiesWith({ llm_base_url: '', llm_model: '' }));

    const created = await request('POST', `${v3}/collections`, { name: 'query-conformance' });
    collectionId = created.body.data.id;
    const uploaded = await postMultipart(`${v3}/collections/${collectionId}/upload-and-process`, [
      file('whales.txt', makeText('Blue whales feed on krill in the cold southern oceans every summer.')),
      file('foxes.txt', makeText('The red fox hunts voles under the snow of the winter meadow.')),
      file('lighthouse.pdf', await makePdf('The lighthouse keeper lit the lamp at dusk and watched the ships.')),
      field('process_immediately', 'true'),
    ]);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    await waitForTask(uploaded.body.data.task_id, 'COMPLETED');
    const collection = await request('GET', `${v3}/collections/${collectionId}`);
    pdfId = collection.body.data.documents.find(
      (d: { original_filename: string }) => d.original_filename === 'lighthouse.pdf',
    ).id;
  });
  after(async () => {
    await stopWorker?.();
    await stack?.teardown();
    await fake?.close();
  });

  /** The real activities on the stack's config with these keys changed (a worker configured otherwise). */
  function activitiesWith(overrides: Record<string, unknown>) {
    const { sql, storage, staging } = stack;
    return createActivities({ config: { ...stack.config, ...overrides }, sql, storage, staging });
  }

  async function waitForTask(taskId: string, status: string) {
    const task = await eventually(
      () => request('GET', `${v3}/tasks/${taskId}/status`),
      (res) => res.status === 200 && !['RUNNING', 'CANCELLING'].includes(res.body.data.status),
      `task ${taskId} closes`,
      { timeoutMs: 120_000 },
    );
    assert.equal(task.body.data.status, status, JSON.stringify(task.body.data));
    return task.body.data;
  }

  /** Submits like the CLI, checks the submission answer, waits like the CLI; the result it prints from. */
  async function askLikeTheCli(submit: Promise<{ status: number; body: any }>) {
    const submitted = await submit;
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const data = submitted.body.data;
    assert.match(data.task_id, /^query:[0-9a-f-]{36}$/);
    assert.equal(data.status, 'processing');
    assert.equal(data.status_endpoint, `/api/v2/tasks/${data.task_id}`);
    started.push(data.task_id);
    const final = await waitLikeTheCli(cli, data.task_id);
    assert.equal(final.body.data.status, 'SUCCESS', JSON.stringify(final.body.data));
    assert.equal(final.body.successful, true);
    return { taskId: data.task_id as string, submitted: data, result: final.body.data.result };
  }

  test('query collection without a chat endpoint: the answer is the top passages, labelled extractive, each source cited with its relevance', async () => {
    const { result, submitted } = await askLikeTheCli(
      cli.queryCollection('query-conformance', 'What do blue whales eat?'),
    );
    assert.equal(submitted.query_type, 'hybrid');
    assert.equal(result.answer_type, 'extractive');
    assert.equal(result.model, null);
    assert.match(result.answer, /^Extractive answer \(no language model is configured\)/);
    assert.match(result.answer, /\[1\] whales\.txt\n.*krill/);
    // What the CLI prints: rag/query type, answer, sources' in-text citation, citation, relevance (a number it formats).
    assert.equal(result.query_type, 'hybrid');
    assert.equal(result.search_type, 'adaptive');
    assert.equal(result.sources[0].filename, 'whales.txt');
    assert.equal(result.sources[0].in_text_citation, '[1] (whales.txt)');
    assert.equal(result.sources[0].citation, 'whales.txt');
    assert.equal(typeof result.sources[0].similarity_score, 'number');
    assert.equal(result.sources[0].chunk_id, `${result.sources[0].document_id}:0`);
    assert.equal(result.cited_chunks, undefined, 'only with --include-chunks');

    // GET /tasks/{id}/result answers the same result.
    const byResult = await cli.taskResult(started.at(-1)!);
    assert.equal(byResult.body.data.ready, true);
    assert.deepEqual(byResult.body.data.result, result);
  });

  test('query document (by id, and by file name) with a chat endpoint: the model answers from the document, its sources cited by page', async () => {
    await stopWorker?.();
    stopWorker = await stack.startWorker(activitiesWith({}));
    const before = fake.to('/chat/completions').length;
    const { result, taskId } = await askLikeTheCli(
      cli.queryDocument('query-conformance', pdfId, 'What did the lighthouse keeper do at dusk?', true),
    );
    assert.equal(result.answer_type, 'generated');
    assert.equal(result.model, 'fake-chat');
    assert.equal(result.answer, 'The passages say so [1]. (answered by fake-chat)');
    assert.equal(result.document_id, pdfId);
    assert.equal(result.query_type, 'vector_document');
    assert.ok(result.sources.length >= 1);
    for (const source of result.sources) assert.equal(source.document_id, pdfId, 'only the document asked about');
    assert.equal(result.sources[0].citation, 'lighthouse.pdf, p. 1');
    assert.equal(typeof result.sources[0].similarity_score, 'number');
    // --include-chunks: the CLI prints document_title, page and text.
    assert.equal(result.cited_chunks[0].document_title, 'lighthouse.pdf');
    assert.equal(result.cited_chunks[0].page, 1);
    assert.match(result.cited_chunks[0].text, /lighthouse keeper lit the lamp/);

    // The model was asked once, with the question and the numbered passages (document and page).
    const asked = fake.to('/chat/completions').slice(before);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].body.model, 'fake-chat');
    const [system, user] = asked[0].body.messages;
    assert.match(system.content, /Cite the passages/);
    assert.match(user.content, /^Question: What did the lighthouse keeper do at dusk\?/);
    assert.match(user.content, /\[1\] lighthouse\.pdf, p\. 1\nThe lighthouse keeper lit the lamp/);
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(taskId), 'query-generated-document');

    const byName = await askLikeTheCli(cli.queryDocument('query-conformance', 'lighthouse.pdf', 'Who lit the lamp?'));
    assert.equal(byName.result.document_id, pdfId);
  });

  test('a query waiting on the model is cancelled like any task: REVOKED, and the model call is abandoned', async () => {
    fake.hold = (r) => r.route === '/chat/completions' && JSON.stringify(r.body).includes('HOLD');
    try {
      const submitted = await cli.queryCollection('query-conformance', 'HOLD: what does the red fox hunt?');
      const taskId = submitted.body.data.task_id;
      started.push(taskId);
      await eventually(
        () => fake.waiting,
        (n) => n === 1,
        'the model has the question',
      );
      const running = await cli.taskStatus(taskId);
      assert.equal(running.body.data.status, 'PROGRESS', 'retrieved, answering');
      assert.equal(running.body.data.progress.phase, 'answering');
      const cancelled = await cli.cancelTask(taskId);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      const final = await waitLikeTheCli(cli, taskId);
      assert.equal(final.body.data.status, 'REVOKED');
      assert.equal(final.body.data.state, 'CANCELLED');
      await recordHistoryIfAsked(stack.temporal.workflow.getHandle(taskId), 'query-cancelled');
    } finally {
      fake.hold = () => false;
      fake.release();
    }
  });

  test('v3: POST /collections/{c}/query answers 202 with the task; its result is the answer', async () => {
    const res = await request('POST', `${v3}/collections/query-conformance/query`, {
      question: 'red fox voles',
      mode: 'text',
      k: 2,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(
      { ...res.body.data, task_id: undefined },
      { task_id: undefined, collection_id: collectionId, document_id: null, k: 2, mode: 'text' },
    );
    started.push(res.body.data.task_id);
    const task = await waitForTask(res.body.data.task_id, 'COMPLETED');
    assert.equal(task.kind, 'query');
    assert.equal(task.result.retrieval.mode, 'text');
    assert.equal(task.result.sources[0].filename, 'foxes.txt');
    assert.ok(task.result.sources.length <= 2);
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(res.body.data.task_id), 'query-text');
  });

  test('refused requests (unknown collection or document, empty or too long question, k or search_type out of range) answer 4xx and start nothing', async () => {
    const v2Refusals: [Promise<{ status: number; body: any }>, number, RegExp][] = [
      [cli.queryCollection('no-such-collection', 'anything?'), 404, /collection 'no-such-collection' not found/],
      [cli.queryCollection('query-conformance', '   '), 400, /question/],
      [cli.queryCollection('query-conformance', 'anything?', 'telepathy'), 400, /Unsupported search_type 'telepathy'/],
      [cli.queryDocument('query-conformance', 'missing.pdf', 'anything?'), 404, /missing\.pdf/],
      [cli.queryDocument('query-conformance', '00000000-0000-0000-0000-000000000000', 'x?'), 404, /not found/],
    ];
    for (const [answer, status, detail] of v2Refusals) {
      const res = await answer;
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.success, false);
      assert.match(res.body.detail, detail);
    }
    const tooLong = 'why '.repeat(stack.config.search_max_query_chars);
    const v3Refusals: [unknown, number, string][] = [
      [{ question: '' }, 400, 'validation_error'],
      [{ question: tooLong }, 400, 'limit_exceeded'],
      [{ question: 'x?', k: stack.config.search_max_k + 1 }, 400, 'limit_exceeded'],
      [{ question: 'x?', mode: 'graph' }, 400, 'validation_error'],
      [{ question: 'x?', surprise: true }, 400, 'validation_error'],
    ];
    for (const [body, status, code] of v3Refusals) {
      const res = await request('POST', `${v3}/collections/query-conformance/query`, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.success, false);
      assert.equal(res.body.error.code, code);
    }
    const limit = await request('POST', `${v3}/collections/query-conformance/query`, { question: tooLong });
    assert.equal(limit.body.error.details.limit, 'search_max_query_chars');
    assert.equal(limit.body.error.details.actual, tooLong.trim().length);

    // Only the queries the tests above started exist.
    await eventually(
      () => request('GET', `${v3}/tasks?kind=query&limit=100`),
      (res) => res.body.data.tasks.length === started.length,
      'the query tasks are listed',
    ).then((res) =>
      assert.deepEqual(res.body.data.tasks.map((t: { task_id: string }) => t.task_id).sort(), [...started].sort()),
    );
  });
});
