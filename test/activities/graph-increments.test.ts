import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCollectionAnalysisActivities } from '../../activities/collection-analysis.ts';
import type { Sql } from '../../db/pool.ts';
import { deleteDocumentRow } from '../../db/queries/documents.ts';
import { replacePageMentions, withdrawDocuments, type MentionInsert } from '../../db/queries/graph.ts';
import { rng } from '../../bench/corpus.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const GRAPH_ONLY = { extract_metadata: false, generate_embeddings: false, build_graph: true };

/** The collection's graph as stored. */
async function storedGraph(sql: Sql, collectionId: string) {
  const entities = await sql`
    SELECT kind, name, mentions, documents FROM graph_entities WHERE collection_id = ${collectionId} ORDER BY kind, name`;
  const edges = await sql`
    SELECT source_kind, source_name, target_kind, target_name, weight FROM graph_edges
    WHERE collection_id = ${collectionId} ORDER BY 1, 2, 3, 4`;
  return JSON.parse(JSON.stringify({ entities, edges }));
}

/** The graph a rebuild from the collection's mentions makes (the semantics of db/queries/graph.ts), computed here in SQL. */
async function graphFromMentions(sql: Sql, collectionId: string) {
  const entities = await sql`
    SELECT kind, name, count(*)::int AS mentions, count(DISTINCT document_id)::int AS documents
    FROM entity_mentions WHERE collection_id = ${collectionId} GROUP BY kind, name ORDER BY kind, name`;
  const edges = await sql`
    SELECT a.kind AS source_kind, a.name AS source_name, b.kind AS target_kind, b.name AS target_name, count(*)::int AS weight
    FROM entity_mentions a
    JOIN entity_mentions b
      ON b.document_id = a.document_id AND b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)
    WHERE a.collection_id = ${collectionId}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
  return JSON.parse(JSON.stringify({ entities, edges }));
}

async function assertGraphExact(sql: Sql, collectionId: string, when: string) {
  const expected = await graphFromMentions(sql, collectionId);
  assert.ok(expected.entities.length > 0 || when.includes('empty'), `${when}: something to compare`);
  assert.deepEqual(
    await storedGraph(sql, collectionId),
    expected,
    `${when}: the graph equals a rebuild from the mentions`,
  );
}

const PEOPLE = ['Marie Curie', 'Albert Einstein', 'Ada Lovelace', 'Alan Turing', 'Lise Meitner', 'Niels Bohr'];
const PLACES = ['Paris', 'Berlin', 'London', 'Vienna', 'Copenhagen'];

/** English prose naming people and places from `seed`, about `chars` characters. */
function namedProse(seed: number, chars: number): string {
  const r = rng(seed);
  const sentences: string[] = [];
  for (let size = 0; size < chars;) {
    const sentence =
      r.next() < 0.6
        ? `${r.pick(PEOPLE)} measured the decay of radium in ${r.pick(PLACES)} with ${r.pick(PEOPLE)}.`
        : `The spectrum of the sample was recorded at the laboratory near ${r.pick(PLACES)}.`;
    sentences.push(sentence);
    size += sentence.length + 1;
  }
  return sentences.join(' ');
}

const textFile = (filename: string, text: string): FixtureFile => ({
  filename,
  mimeType: 'text/plain',
  bytes: new TextEncoder().encode(text),
});

describe('the graph grows as documents finish and stays exact', () => {
  let harness: DocumentActivitiesHarness;
  let sql: Sql;
  let collectionId: string;
  const collectionSteps = () => createCollectionAnalysisActivities({ config: harness.config, sql });

  before(async () => {
    harness = await startDocumentActivities('graph-increments');
    ({ sql, collectionId } = harness);
  });
  after(async () => harness?.teardown());

  /** processDocument as a workflow run `run` would call it, then the workflow's mark. */
  async function process(documentId: string, run: string) {
    const env = new MockActivityEnvironment({
      workflowExecution: { workflowId: `document:${documentId}`, runId: run },
    });
    await env.run(harness.activities.processDocument, { documentId, options: GRAPH_ONLY });
    await env.run(harness.activities.markDocumentProcessed, { documentId });
  }

  test('processed, re-processed, failed, deleted: after each, the graph equals a rebuild from the mentions', async () => {
    // One document long enough for several pages of chunks (an entity on two pages counts the document once).
    const big = await harness.storeDocument(textFile('big.txt', namedProse(1, 175_000)));
    const small = [];
    for (let i = 0; i < 3; i++)
      small.push(await harness.storeDocument(textFile(`small-${i}.txt`, namedProse(10 + i, 3_000))));
    for (const documentId of [big, ...small]) await process(documentId, 'first');
    const [{ chunks }] = await sql`SELECT count(*)::int AS chunks FROM chunks WHERE document_id = ${big}`;
    assert.ok(chunks > 200, `the big document spans more than one page of chunks (${chunks})`);
    await assertGraphExact(sql, collectionId, 'all processed');
    const [curie] = await sql`
      SELECT documents FROM graph_entities WHERE collection_id = ${collectionId} AND kind = 'person' AND name = 'marie curie'`;
    assert.equal(curie.documents, 4, 'each document counted once for Marie Curie');

    // Re-processed by another run, with other text: its old contribution goes, the new one comes.
    const [reprocessed] = await sql`SELECT storage_key FROM documents WHERE id = ${small[0]}`;
    await writeFile(
      path.join(harness.dir, reprocessed.storage_key),
      'Grace Hopper visited Rome and Zurich. Grace Hopper wrote to Enrico Fermi in Rome.',
    );
    await process(small[0], 'second');
    await assertGraphExact(sql, collectionId, 're-processed');
    const names = (await storedGraph(sql, collectionId)).entities.map((e: { name: string }) => e.name);
    assert.ok(names.includes('grace hopper'), 'the new text is in');

    // A document that fails after its graph step (its chunks removed by the mark) takes its share with it.
    const env = new MockActivityEnvironment();
    await env.run(harness.activities.markDocumentFailed, { documentId: small[1], error: 'graph: test' });
    await assertGraphExact(sql, collectionId, 'one failed');

    // Deleted.
    await deleteDocumentRow(sql, small[2]);
    await assertGraphExact(sql, collectionId, 'one deleted');

    // The end-of-run step finds nothing to do; the same mentions re-merged (a retry) move nothing.
    const before = await storedGraph(sql, collectionId);
    assert.deepEqual(await env.run(collectionSteps().rebuildCollectionGraph, { collectionId }), {
      entities: before.entities.length,
      edges: before.edges.length,
    });
    await process(big, 'first');
    assert.deepEqual(await storedGraph(sql, collectionId), before, 'a retried graph step leaves the graph as it was');
  });

  test('mentions changed behind the increments: the end-of-run step notices and rebuilds', async () => {
    await sql`DELETE FROM entity_mentions WHERE collection_id = ${collectionId} AND chunk_ordinal % 3 = 0`;
    assert.notDeepEqual(await storedGraph(sql, collectionId), await graphFromMentions(sql, collectionId));
    await new MockActivityEnvironment().run(collectionSteps().rebuildCollectionGraph, { collectionId });
    await assertGraphExact(sql, collectionId, 'after the reconcile');
  });

  test('documents of one collection merging and withdrawing at once: no count lost, no deadlock', async () => {
    const [{ id: shared }] = await sql`INSERT INTO collections (name) VALUES ('graph-concurrent') RETURNING id`;
    const vocabulary = Array.from({ length: 40 }, (_, i) => `entity ${i}`);
    const DOCUMENTS = 8;
    const PAGES = 3;
    const CHUNKS_PER_PAGE = 20;
    const documents: string[] = [];
    for (let d = 0; d < DOCUMENTS; d++) {
      const [{ id }] = await sql`
        INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${shared}, ${`d${d}.txt`}, ${`k${d}`}, 'text/plain', 1, ${`h${d}`}) RETURNING id`;
      const ordinals = Array.from({ length: PAGES * CHUNKS_PER_PAGE }, (_, i) => i);
      await sql`
        INSERT INTO chunks (document_id, ordinal, text, token_count, metadata)
        SELECT ${id}, o, 'x', 1, '{}'::jsonb FROM unnest(${ordinals}::int[]) AS o`;
      documents.push(id);
    }
    /** A page of mentions drawn from the shared vocabulary, in a shuffled order. */
    const pageOf = (seed: number, page: number): MentionInsert[] => {
      const r = rng(seed);
      const mentions: MentionInsert[] = [];
      for (let c = page * CHUNKS_PER_PAGE; c < (page + 1) * CHUNKS_PER_PAGE; c++)
        for (let k = 0; k < 6; k++)
          mentions.push({ chunk_ordinal: c, kind: r.next() < 0.5 ? 'person' : 'place', name: r.pick(vocabulary) });
      return mentions;
    };
    const merge = (documentId: string, seed: number) =>
      Promise.resolve().then(async () => {
        for (let page = 0; page < PAGES; page++)
          await sql.begin((tx) =>
            replacePageMentions(tx, {
              collectionId: shared,
              documentId,
              afterOrdinal: page * CHUNKS_PER_PAGE - 1,
              lastOrdinal: (page + 1) * CHUNKS_PER_PAGE - 1,
              mentions: pageOf(seed, page),
            }),
          );
      });
    await Promise.all(documents.map((documentId, d) => merge(documentId, d + 1)));
    await assertGraphExact(sql, shared, 'merged at once');

    // Half the documents re-merged with other mentions while the other half is withdrawn and deleted.
    await Promise.all(
      documents.map((documentId, d) =>
        d % 2 === 0
          ? merge(documentId, 100 + d)
          : sql.begin(async (tx) => {
              await withdrawDocuments(tx, [documentId]);
              await tx`DELETE FROM chunks WHERE document_id = ${documentId}`;
            }),
      ),
    );
    await assertGraphExact(sql, shared, 're-merged and withdrawn at once');
    const [{ documents: counted }] = await sql`
      SELECT max(documents)::int AS documents FROM graph_entities WHERE collection_id = ${shared}`;
    assert.equal(counted, DOCUMENTS / 2, 'an entity every remaining document mentions counts each once');
  });
});
