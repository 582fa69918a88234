import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';
import { searchChunks, SearchRefusal, type SearchRequest } from '../../activities/search/search-chunks.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { recordEmbeddingProvider } from '../../db/queries/analysis.ts';
import { storeEmbeddings } from '../../db/queries/chunks.ts';
import {
  autovacuumRuns,
  hasVectorIndex,
  mergeTextSearchPendingList,
  refreshSearchStatistics,
  setDocumentTextSearchConfig,
  vectorStorage,
} from '../../db/queries/search.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const DIMENSION = 64;
const embedder = new HashingEmbeddingProvider(DIMENSION, 25);

interface SeedChunk {
  text: string;
  page?: number;
  headingPath?: string[];
}

/** A document with chunks (and their hashing vectors unless `embed` is false), inserted directly. */
async function seedDocument(
  sql: Sql,
  collectionId: string,
  name: string,
  chunks: SeedChunk[],
  options: { language?: string; config?: string; embed?: boolean } = {},
): Promise<string> {
  const [document] = await sql`
    INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, status, metadata)
    VALUES (${collectionId}, ${name}, ${`${collectionId}/${name}`}, 'text/plain', 10, ${name}, 'processed',
      ${sql.json({ analysis: options.language ? { language: options.language } : {} })})
    RETURNING id`;
  const vectors = options.embed === false ? [] : await embedder.embed(chunks.map((chunk) => chunk.text));
  for (const [ordinal, chunk] of chunks.entries()) {
    const metadata = chunk.headingPath ? { heading_path: chunk.headingPath } : {};
    await sql`
      INSERT INTO chunks (document_id, ordinal, text, token_count, page_start, page_end, metadata)
      VALUES (${document.id}, ${ordinal}, ${chunk.text}, 10, ${chunk.page ?? null}, ${chunk.page ?? null}, ${sql.json(metadata)})`;
  }
  if (vectors.length > 0) {
    await sql.begin((tx) =>
      storeEmbeddings(
        tx,
        document.id,
        vectors.map((embedding, ordinal) => ({ ordinal, embedding })),
      ),
    );
  }
  if (options.config) await sql.begin((tx) => setDocumentTextSearchConfig(tx, document.id, options.config!));
  return document.id;
}

async function seedCollection(sql: Sql, name: string): Promise<string> {
  const [row] = await sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
  return row.id;
}

describe('searchChunks: text, vector and hybrid over chunks', () => {
  let database: TestDatabase;
  let sql: Sql;
  let config: Config;
  let collectionId: string;
  let plainCollectionId: string;
  const ids: Record<string, string> = {};

  before(async () => {
    database = await createTestDatabase();
    config = loadConfig({});
    sql = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });
    await migrate(sql);
    collectionId = await seedCollection(sql, 'search');
    plainCollectionId = await seedCollection(sql, 'no-vectors');
    ids.manual = await seedDocument(
      sql,
      collectionId,
      'manual.txt',
      [
        {
          text: 'Installing the package: run the installer and accept the licence.',
          page: 1,
          headingPath: ['Guide', 'Install'],
        },
        { text: 'Configuring the network interface with a static address and gateway.', page: 2 },
        { text: 'Troubleshooting: the daemon refuses to start when the port is taken.', page: 3 },
        { text: 'Backups are copied nightly to the remote archive server.', page: 4 },
      ],
      { language: 'eng', config: 'english' },
    );
    ids.french = await seedDocument(
      sql,
      collectionId,
      'chevaux.txt',
      [{ text: "Les chevaux mangent de l'avoine dans les prés pendant l'été.", page: 1 }],
      { language: 'fra', config: 'french' },
    );
    ids.russian = await seedDocument(
      sql,
      collectionId,
      'koshki.txt',
      [{ text: 'Кошки спят на тёплых подоконниках весь день.', page: 1 }],
      { language: 'rus', config: 'russian' },
    );
    ids.plain = await seedDocument(sql, plainCollectionId, 'plain.txt', [{ text: 'The daemon starts at boot.' }], {
      embed: false,
    });
    // What the end of an analysis run does: the provider and dimension recorded, the dimension's HNSW index built.
    await recordEmbeddingProvider(sql, collectionId, embedder.name);
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  const search = (request: Partial<SearchRequest>) =>
    searchChunks(sql, config, { collectionId, query: 'daemon', k: 10, mode: 'hybrid', ...request });

  test('pgvector where the database has it (PGlite ships it), real[] arrays otherwise', async () => {
    const storage = await vectorStorage(sql);
    if (database.kind === 'pglite') assert.equal(storage, 'pgvector');
    assert.equal(await hasVectorIndex(sql, DIMENSION), storage === 'pgvector');
    const answer = await search({ mode: 'vector' });
    assert.equal(answer.vectorSearch, storage === 'pgvector' ? 'pgvector_hnsw' : 'exact_cosine');
  });

  test('text mode: ranked chunks with document name, pages, heading path and a highlighted snippet', async () => {
    const answer = await search({ mode: 'text', query: 'daemon refuses' });
    assert.equal(answer.mode, 'text');
    assert.equal(answer.vectorSearch, 'none');
    assert.equal(answer.hits[0].documentId, ids.manual);
    assert.equal(answer.hits[0].documentName, 'manual.txt');
    assert.equal(answer.hits[0].ordinal, 2);
    assert.equal(answer.hits[0].pageStart, 3);
    assert.equal(answer.hits[0].headingPath, null);
    assert.match(answer.hits[0].snippet, /«daemon» «refuses»/);
    assert.ok(answer.hits[0].scores.text! > 0 && answer.hits[0].scores.vector === undefined);
    const install = await search({ mode: 'text', query: 'installer' });
    assert.deepEqual(install.hits[0].headingPath, ['Guide', 'Install']);
  });

  test('text mode: every word first, then any word; nothing when no word matches', async () => {
    const answer = await search({ mode: 'text', query: 'daemon backups' });
    assert.equal(answer.hits.length, 2);
    const none = await search({ mode: 'text', query: 'zeppelin' });
    assert.deepEqual(none.hits, []);
  });

  test('vector mode: the nearest chunk by cosine, with its similarity', async () => {
    const answer = await search({ mode: 'vector', query: 'static network address' });
    assert.equal(answer.mode, 'vector');
    assert.equal(answer.hits[0].ordinal, 1);
    assert.equal(answer.hits[0].documentId, ids.manual);
    assert.ok(answer.hits[0].scores.vector! > 0.3 && answer.hits[0].scores.vector! <= 1.0001);
    assert.equal(answer.hits.length, 6, 'every embedded chunk of the collection is a neighbour');
  });

  test('hybrid: reciprocal rank fusion of both lists, each hit with the scores it has', async () => {
    const answer = await search({ query: 'daemon port', k: 3 });
    assert.equal(answer.mode, 'hybrid');
    assert.equal(answer.hits.length, 3);
    const top = answer.hits[0];
    assert.equal(top.ordinal, 2);
    assert.ok(top.scores.text !== undefined && top.scores.vector !== undefined);
    const expected =
      config.search_text_weight / (config.search_rrf_k + 1) + config.search_vector_weight / (config.search_rrf_k + 1);
    assert.ok(Math.abs(top.scores.fused - expected) < 1e-9);
    for (let i = 1; i < answer.hits.length; i++)
      assert.ok(answer.hits[i - 1].scores.fused >= answer.hits[i].scores.fused);
  });

  test('a French and a Russian document are found by inflected words only their stemmers match', async () => {
    const french = await search({ mode: 'text', query: 'cheval' });
    assert.deepEqual(
      french.hits.map((hit) => hit.documentId),
      [ids.french],
    );
    assert.match(french.hits[0].snippet, /«chevaux»/);
    const russian = await search({ mode: 'text', query: 'кошка' });
    assert.deepEqual(
      russian.hits.map((hit) => hit.documentId),
      [ids.russian],
    );
    assert.match(russian.hits[0].snippet, /«Кошки»/);
  });

  test('filters: documents, page range, metadata fields', async () => {
    const byDocument = await search({ mode: 'vector', filters: { documentIds: [ids.french] } });
    assert.deepEqual([...new Set(byDocument.hits.map((hit) => hit.documentId))], [ids.french]);
    const byPages = await search({ mode: 'hybrid', query: 'the', filters: { pageFrom: 2, pageTo: 3 } });
    assert.ok(byPages.hits.length > 0);
    assert.ok(byPages.hits.every((hit) => hit.pageStart! >= 2 && hit.pageStart! <= 3));
    const byLanguage = await search({ mode: 'vector', filters: { metadata: { language: 'rus' } } });
    assert.deepEqual([...new Set(byLanguage.hits.map((hit) => hit.documentId))], [ids.russian]);
    const nothing = await search({ mode: 'hybrid', filters: { metadata: { language: 'deu' } } });
    assert.deepEqual(nothing.hits, []);
  });

  test('a collection without embeddings: vector mode refused (422), hybrid answered by text and says so', async () => {
    const request = { collectionId: plainCollectionId, query: 'daemon', k: 5 };
    await assert.rejects(
      searchChunks(sql, config, { ...request, mode: 'vector' }),
      (error: SearchRefusal) => error.status === 422 && error.code === 'no_embeddings',
    );
    const hybrid = await searchChunks(sql, config, { ...request, mode: 'hybrid' });
    assert.equal(hybrid.mode, 'text');
    assert.equal(hybrid.vectorSearch, 'none');
    assert.match(hybrid.notice!, /no embeddings/);
    assert.equal(hybrid.hits[0].documentId, ids.plain);
  });

  test('word statistics are refreshed where no autovacuum will (PGlite), left to autovacuum on PostgreSQL', async () => {
    const running = await autovacuumRuns(sql);
    if (database.kind === 'pglite') assert.equal(running, false);
    const analyzed = await refreshSearchStatistics(sql);
    assert.equal(analyzed, !running);
    if (analyzed) {
      // What any-word queries read: the chunks' word frequencies.
      const [row] = await sql`
        SELECT count(*)::int AS stats FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'chunks' AND attname = 'text_search'`;
      assert.equal(row.stats, 1);
    }
  });

  test("new chunks wait in the full-text index's bounded pending list, are found there, and are merged after a run", async () => {
    const [index] = await sql`SELECT reloptions FROM pg_class WHERE oid = 'chunks_text_search'::regclass`;
    assert.ok(index.reloptions.includes('gin_pending_list_limit=256'), String(index.reloptions));
    await mergeTextSearchPendingList(sql);
    const pendingCollection = await seedCollection(sql, 'pending');
    const documentId = await seedDocument(sql, pendingCollection, 'late.txt', [{ text: 'A quokka crossed late.' }], {
      embed: false,
    });
    const find = () =>
      searchChunks(sql, config, { collectionId: pendingCollection, query: 'quokka', k: 5, mode: 'text' });
    assert.deepEqual(
      (await find()).hits.map((hit) => hit.documentId),
      [documentId],
    );
    // A role that does not own the index may not merge it: the end of a run goes on, leaving it to autovacuum.
    const role = `fileintel_not_owner_${process.pid}`;
    await sql.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await sql.unsafe(`CREATE ROLE ${role}`);
    await sql.unsafe(`GRANT USAGE ON SCHEMA ${(await sql`SELECT current_schema() AS s`)[0].s} TO ${role}`);
    const asRole = await sql.reserve();
    try {
      await asRole.unsafe(`SET ROLE ${role}`);
      assert.equal(await mergeTextSearchPendingList(asRole as unknown as Sql), 0);
      await asRole.unsafe('RESET ROLE');
    } finally {
      asRole.release();
      await sql.unsafe(`DROP OWNED BY ${role}`);
      await sql.unsafe(`DROP ROLE ${role}`);
    }
    assert.ok((await mergeTextSearchPendingList(sql)) >= 1, 'still pending after the refused merge');
    assert.equal(await mergeTextSearchPendingList(sql), 0);
    assert.deepEqual(
      (await find()).hits.map((hit) => hit.documentId),
      [documentId],
    );
  });

  test('bad inputs are refused with their reason', async () => {
    const refused = async (request: Partial<SearchRequest>, status: number, code: string) =>
      assert.rejects(search(request), (error: SearchRefusal) => {
        assert.equal(error.status, status, error.message);
        assert.equal(error.code, code);
        return true;
      });
    await refused({ query: '   ' }, 400, 'empty_query');
    await refused({ k: 0 }, 400, 'limit_exceeded');
    await refused({ k: config.search_max_k + 1 }, 400, 'limit_exceeded');
    await refused({ filters: { pageFrom: 5, pageTo: 2 } }, 400, 'bad_page_range');
    await refused({ filters: { documentIds: ['nope'] } }, 400, 'validation_error');
    await refused({ filters: { documentIds: [ids.plain] } }, 404, 'not_found');
    await refused({ collectionId: '00000000-0000-0000-0000-000000000000' }, 404, 'not_found');
  });
});
