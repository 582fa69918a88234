import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCollectionAnalysisActivities } from '../../activities/collection-analysis.ts';
import {
  createDocumentProcessingActivities,
  failureAtStep,
  type StepHeartbeat,
} from '../../activities/document-processing/index.ts';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';
import { OpenAiEmbeddingProvider } from '../../activities/embeddings/openai.ts';
import { askLlmForMetadata } from '../../activities/metadata/llm.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { LocalDirectoryStorage } from '../../storage/local-storage.ts';
import { brokenFixtures, docxFixture, pdfFixture } from '../fixtures/documents.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storeDocumentIn } from '../support/document-activities.ts';

describe('analysis activities are idempotent: run twice, same rows', () => {
  let database: TestDatabase;
  let sql: Sql;
  let dir: string;
  let config: Config;
  let steps: ReturnType<typeof createDocumentProcessingActivities>;
  let collectionSteps: ReturnType<typeof createCollectionAnalysisActivities>;
  const env = new MockActivityEnvironment();

  before(async () => {
    database = await createTestDatabase();
    config = loadConfig({});
    sql = createPool(database.url, config);
    await migrate(sql);
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-idem-'));
    const storage = new LocalDirectoryStorage(dir);
    steps = createDocumentProcessingActivities({ config, sql, storage });
    collectionSteps = createCollectionAnalysisActivities({ config, sql });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function documentRows(documentId: string) {
    const [doc] = await sql`SELECT status, page_count, metadata FROM documents WHERE id = ${documentId}`;
    const chunks =
      await sql`SELECT ordinal, text, token_count, page_start, page_end, metadata, embedding FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    const mentions =
      await sql`SELECT chunk_ordinal, kind, name FROM entity_mentions WHERE document_id = ${documentId} ORDER BY 1, 2, 3`;
    return JSON.parse(JSON.stringify({ doc, chunks, mentions }));
  }

  test('extract, metadata, embeddings, entities, the graph and the finish: a second run changes nothing', async () => {
    const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES ('idem') RETURNING id`;
    const ids: string[] = [];
    for (const fixture of [await pdfFixture(), await docxFixture()]) {
      ids.push(await storeDocumentIn({ sql, dir }, collectionId, fixture));
    }
    const runAll = async () => {
      for (const documentId of ids) {
        await env.run(steps.extractAndChunkDocument, { documentId });
        await env.run(steps.extractDocumentMetadata, { documentId });
        await env.run(steps.embedDocumentChunks, { documentId });
        await env.run(steps.extractDocumentEntities, { documentId });
        await env.run(steps.markDocumentProcessed, { documentId });
      }
      await env.run(collectionSteps.rebuildCollectionGraph, { collectionId });
      await env.run(collectionSteps.finishCollectionRun, {
        collectionId,
        runKey: 1,
        status: 'completed' as const,
        lastError: null,
        recordEmbeddings: true,
      });
      const graph =
        await sql`SELECT kind, name, mentions, documents FROM graph_entities WHERE collection_id = ${collectionId} ORDER BY 1, 2`;
      const edges =
        await sql`SELECT source_kind, source_name, target_kind, target_name, weight FROM graph_edges WHERE collection_id = ${collectionId} ORDER BY 1, 2, 3, 4`;
      const [collection] =
        await sql`SELECT status, analysis_run, embedding_provider, embedding_dimension FROM collections WHERE id = ${collectionId}`;
      return JSON.parse(JSON.stringify({ docs: await Promise.all(ids.map(documentRows)), graph, edges, collection }));
    };
    const first = await runAll();
    assert.ok(first.docs[0].chunks.length > 0 && first.docs[0].mentions.length > 0 && first.edges.length > 0);
    assert.equal(first.collection.analysis_run, 2);
    const second = await runAll();
    assert.deepEqual(second, first);
    assert.equal(second.collection.analysis_run, 2, 'a retried finish does not skip a run key');
  });

  /** Runs processDocument (then the workflow's finish) and returns the steps it heartbeated from, in order. */
  async function processDocument(
    documentId: string,
    options: { extract_metadata: boolean; generate_embeddings: boolean; build_graph: boolean },
  ) {
    const heartbeats = new MockActivityEnvironment();
    const seen: string[] = [];
    heartbeats.on('heartbeat', (detail: StepHeartbeat) => {
      if (seen.at(-1) !== detail.step) seen.push(detail.step);
    });
    const result = await heartbeats.run(steps.processDocument, { documentId, options });
    const [{ processing_step }] = await sql`SELECT processing_step FROM documents WHERE id = ${documentId}`;
    await env.run(steps.markDocumentProcessed, { documentId });
    return { result, seen, lastStep: processing_step as string };
  }

  test('processDocument: every step in one activity, in order; twice, the same rows as the four step activities', async () => {
    const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES ('idem-single') RETURNING id`;
    const all = { extract_metadata: true, generate_embeddings: true, build_graph: true };
    for (const fixture of [await pdfFixture(), await docxFixture()]) {
      const documentId = await storeDocumentIn({ sql, dir }, collectionId, fixture);
      // The reference: the four activities one after the other, as histories from before processDocument ran them.
      const separate = await env.run(steps.extractAndChunkDocument, { documentId });
      await env.run(steps.extractDocumentMetadata, { documentId });
      await env.run(steps.embedDocumentChunks, { documentId });
      await env.run(steps.extractDocumentEntities, { documentId });
      await env.run(steps.markDocumentProcessed, { documentId });
      const reference = await documentRows(documentId);
      assert.ok(
        reference.chunks.length > 0 &&
          reference.mentions.length > 0 &&
          reference.chunks.every((c: { embedding: unknown }) => c.embedding),
      );

      for (let run = 1; run <= 2; run++) {
        const { result, seen, lastStep } = await processDocument(documentId, all);
        assert.deepEqual(result, separate, `${fixture.filename} run ${run}`);
        assert.deepEqual(seen, ['extract', 'metadata', 'embeddings', 'graph'], 'heartbeats from every step, in order');
        assert.equal(lastStep, 'graph', 'the row names the step it reached');
        assert.deepEqual(
          await documentRows(documentId),
          reference,
          `${fixture.filename} run ${run}: the same rows, none duplicated`,
        );
      }
    }
  });

  test('processDocument runs only the steps the options ask for', async () => {
    const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES ('idem-options') RETURNING id`;
    const documentId = await storeDocumentIn({ sql, dir }, collectionId, await docxFixture());
    const { seen, lastStep } = await processDocument(documentId, {
      extract_metadata: false,
      generate_embeddings: true,
      build_graph: false,
    });
    assert.deepEqual(seen, ['extract', 'embeddings']);
    assert.equal(lastStep, 'embeddings');
    const rows = await documentRows(documentId);
    assert.equal(rows.doc.metadata.analysis, undefined, 'no metadata step');
    assert.equal(rows.mentions.length, 0, 'no graph step');
    assert.ok(rows.chunks.length > 0 && rows.chunks.every((c: { embedding: unknown }) => c.embedding));
  });

  test('processDocument: a corrupt file fails at once, non-retryable, naming the step and the reason as the workflow did', async () => {
    const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES ('idem-corrupt') RETURNING id`;
    const corrupt = (await brokenFixtures()).find((fixture) => fixture.filename === 'garbage.pdf')!;
    const documentId = await storeDocumentIn({ sql, dir }, collectionId, corrupt);
    // What the workflow used to build from the extract activity's failure: "extract: <its message>".
    const separate = await env.run(steps.extractAndChunkDocument, { documentId }).then(
      () => assert.fail('the corrupt file was extracted'),
      (error: Error) => error,
    );
    await assert.rejects(
      env.run(steps.processDocument, {
        documentId,
        options: { extract_metadata: true, generate_embeddings: true, build_graph: true },
      }),
      (error: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(error.type, 'UnreadableDocument');
        assert.equal(error.nonRetryable, true);
        assert.match(error.message, /^extract: corrupt_file: the PDF cannot be parsed/);
        assert.equal(error.message, `extract: ${separate.message}`);
        return true;
      },
    );
    const [row] = await sql`SELECT status, processing_step FROM documents WHERE id = ${documentId}`;
    assert.deepEqual(
      { ...row },
      { status: 'processing', processing_step: 'extract' },
      'the workflow then marks it failed, keeping the step',
    );
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM chunks WHERE document_id = ${documentId}`;
    assert.equal(n, 0);
  });

  test('a step error keeps its type and retryability, with the innermost reason after the step name; a cancel passes through', async () => {
    const wrapped: unknown = await env.run(async () =>
      failureAtStep('embeddings', new TypeError('fetch failed', { cause: new Error('socket hang up') })),
    );
    const transient = wrapped as Error & { type?: string; nonRetryable?: boolean };
    assert.deepEqual(
      [transient.message, transient.type, transient.nonRetryable],
      ['embeddings: socket hang up', 'TypeError', false],
    );
    const cancelled = new CancelledFailure('cancelled');
    assert.equal(await env.run(async () => failureAtStep('graph', cancelled)), cancelled);
  });

  test('a document deleted mid-way fails its step non-retryably', async () => {
    await assert.rejects(
      env.run(steps.extractAndChunkDocument, { documentId: '00000000-0000-0000-0000-000000000001' }),
      (error: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(error.type, 'DocumentNotFound');
        assert.equal(error.nonRetryable, true);
        return true;
      },
    );
    const options = { extract_metadata: true, generate_embeddings: true, build_graph: true };
    await assert.rejects(
      env.run(steps.processDocument, { documentId: '00000000-0000-0000-0000-000000000001', options }),
      (error: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(error.type, 'DocumentNotFound');
        assert.equal(error.nonRetryable, true);
        assert.match(error.message, /^extract: document 0{8}-0{4}-0{4}-0{4}-0{11}1 does not exist/);
        return true;
      },
    );
  });
});

describe('embedding providers and the chat model', () => {
  test('hashing vectors are L2-normalised, deterministic, and closer for texts sharing words', async () => {
    const provider = new HashingEmbeddingProvider(256, 25);
    const [a, b, c, again] = await provider.embed([
      'radioactive decay of radium',
      'the decay of radium salts',
      'quarterly sales figures',
      'radioactive decay of radium',
    ]);
    const dot = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i], 0);
    assert.equal(a.length, 256);
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-9);
    assert.deepEqual(a, again);
    assert.ok(dot(a, b) > dot(a, c) + 0.2, `${dot(a, b)} vs ${dot(a, c)}`);
  });

  /** A fake OpenAI-compatible server: the first call is rate limited, then it answers. */
  async function fakeOpenAi(answer: (body: { input?: string[]; model: string }) => unknown) {
    const calls: unknown[] = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        calls.push(JSON.parse(text));
        if (calls.length === 1) {
          res.writeHead(429, { 'retry-after': '0' }).end('slow down');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(JSON.parse(text))));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    return {
      calls,
      config: loadConfig({
        FILEINTEL_OPENAI_BASE_URL: base,
        FILEINTEL_EMBEDDING_PROVIDER: 'openai',
        FILEINTEL_OPENAI_CHAT_MODEL: 'tiny',
      }),
      close: () => server.close(),
    };
  }

  test('the OpenAI-compatible provider retries a 429 and orders vectors by index', async () => {
    const fake = await fakeOpenAi((body) => ({
      data: body
        .input!.map((_, i) => ({ index: body.input!.length - 1 - i, embedding: [body.input!.length - 1 - i, 1, 0] }))
        .reverse(),
    }));
    try {
      const provider = new OpenAiEmbeddingProvider(fake.config);
      const vectors = await provider.embed(['a', 'b', 'c']);
      assert.deepEqual(
        vectors.map((v) => v[0]),
        [0, 1, 2],
      );
      assert.equal(provider.dimension, 3);
      assert.equal(fake.calls.length, 2, 'one rate-limited call, one answered');
    } finally {
      fake.close();
    }
  });

  test('chat metadata is validated with zod: good JSON is used, anything else is an error recorded', async () => {
    const good = await fakeOpenAi(() => ({
      choices: [{ message: { content: JSON.stringify({ title: 'Radium', authors: ['M. Curie'], extra: 1 }) } }],
    }));
    try {
      assert.deepEqual(await askLlmForMetadata(good.config, 'text', 'f.txt'), {
        fields: { title: 'Radium', authors: ['M. Curie'] },
      });
    } finally {
      good.close();
    }
    const bad = await fakeOpenAi(() => ({
      choices: [{ message: { content: JSON.stringify({ authors: 'not a list' }) } }],
    }));
    try {
      const answer = await askLlmForMetadata(bad.config, 'text', 'f.txt');
      assert.ok('error' in answer && /authors/.test(answer.error));
    } finally {
      bad.close();
    }
  });
});
