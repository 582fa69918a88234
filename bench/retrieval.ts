// Retrieval: how well and how fast search finds chunks.
//
// Quality, on a real corpus: the Python FAQ of Debian's python3-doc package
// (/usr/share/doc/python3/html/faq/*.html, read at run time, never committed).
// Every FAQ entry (a question with its answer) becomes a document of its own,
// cut by the pipeline's chunker, embedded by the configured hashing provider,
// its language detected as the metadata step does. Each question is asked as
// a query; the answer is its own entry. The question's heading is left out of
// the indexed text, so a query cannot simply find itself (the details also
// give the figures with it left in). recall@10 (the entry among the first 10
// hits) and MRR (1 / rank of its first hit, 0 past 10) for text, vector, hybrid.
//
// Latency, at size: a collection of 100,000 chunks (10,000 at quick size)
// generated in SQL (words drawn from the FAQ's vocabulary, skewed towards the
// frequent ones; random 384-dimension vectors), then every FAQ question
// searched in each mode (k = 10, snippets included; the modes take turns on each
// question, so each meets an equally warm cache), after a warm-up; p50 and
// p95 of searchChunks as a caller sees it. Both parts run on PGlite in memory
// and, when DATABASE_URL is set, on that PostgreSQL (pgvector when it has it,
// exact cosine otherwise: the figures name which).
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseHTML } from 'linkedom';
import { chunkSections } from '../activities/chunking/chunker.ts';
import { HashingEmbeddingProvider } from '../activities/embeddings/hashing.ts';
import { TextAnalyzer } from '../activities/metadata/text-analysis.ts';
import { searchChunks, type SearchMode } from '../activities/search/search-chunks.ts';
import { textSearchConfigFor } from '../activities/search/text-search-config.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, type Sql } from '../db/pool.ts';
import { recordEmbeddingProvider } from '../db/queries/analysis.ts';
import { storeEmbeddings } from '../db/queries/chunks.ts';
import { setDocumentTextSearchConfig, vectorStorage } from '../db/queries/search.ts';
import { createTestDatabase } from '../test/support/database.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round } from './support/stack.ts';

const FAQ_DIR = '/usr/share/doc/python3/html/faq';
const MODES: SearchMode[] = ['text', 'vector', 'hybrid'];
const K = 10;
const WARM_UP = 10;
const INSERT_BATCH = 5_000;
const CHUNKS_PER_DOCUMENT = 100;
const WORDS_PER_CHUNK = 80;

interface FaqEntry {
  page: string;
  question: string;
  answer: string;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  if (!existsSync(FAQ_DIR)) {
    return {
      figures: {},
      details: {},
      notes: [],
      skipped: `no ${FAQ_DIR}: install Debian's python3-doc (apt-get install python3-doc)`,
    };
  }
  const entries = await readFaq();
  const config = loadConfig({});
  const size = quick ? 10_000 : 100_000;
  log(`retrieval: ${entries.length} FAQ entries; latency at ${size.toLocaleString('en')} chunks`);
  const figures: BenchResult['figures'] = {};
  const details: Record<string, unknown> = { faq_entries: entries.length, latency_chunks: size };
  const notes: string[] = [];

  const targets: { name: string; open(): Promise<{ url: string; pglite: boolean; close(): Promise<void> }> }[] = [
    {
      name: 'pglite',
      open: async () => {
        const embedded = await startEmbeddedPostgres({});
        return { url: embedded.url, pglite: true, close: () => embedded.stop() };
      },
    },
  ];
  if (process.env.DATABASE_URL) {
    targets.push({
      name: 'postgresql',
      open: async () => {
        const database = await createTestDatabase();
        return { url: database.url, pglite: false, close: () => database.drop() };
      },
    });
  }

  // BENCH_RETRIEVAL_DATABASES=postgresql measures one of them only.
  const only = process.env.BENCH_RETRIEVAL_DATABASES?.split(',');
  for (const target of targets.filter((t) => !only || only.includes(t.name))) {
    const quality = await withDatabase(target, config, (sql) => retrievalQuality(sql, config, entries));
    details[`quality_${target.name}`] = quality;
    if (target.name === 'pglite' || !figures.retrieval_recall10_text) {
      for (const mode of MODES) {
        figures[`retrieval_recall10_${mode}`] = quality.answers_only[mode].recall_at_10;
        figures[`retrieval_mrr_${mode}`] = quality.answers_only[mode].mrr;
      }
    }
    const latency = await withDatabase(target, config, (sql) => searchLatency(sql, config, entries, size, target.name));
    details[`latency_${target.name}`] = latency;
    figures[`search_p50_ms_${target.name}`] = latency.modes.hybrid.p50_ms;
    figures[`search_p95_ms_${target.name}`] = latency.modes.hybrid.p95_ms;
    for (const mode of ['text', 'vector'] as const)
      figures[`search_${mode}_p95_ms_${target.name}`] = latency.modes[mode].p95_ms;
    notes.push(
      `${target.name}: vectors by ${latency.vector_search}; ${size.toLocaleString('en')} chunks generated in ${latency.generate_seconds} s, vector index in ${latency.index_seconds} s`,
    );
  }
  return { figures, details, notes };
}

async function withDatabase<T>(
  target: { open(): Promise<{ url: string; pglite: boolean; close(): Promise<void> }> },
  config: Config,
  work: (sql: Sql) => Promise<T>,
): Promise<T> {
  const database = await target.open();
  // One connection, so session settings (maintenance_work_mem) hold for every statement.
  const sql = createPool(database.url, { ...config, db_statement_timeout: 3_600_000 }, { singleConnection: true });
  try {
    await migrate(sql);
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
    await database.close();
  }
}

/** Every FAQ entry: a section with a question heading (h3), its answer the section's text without it. */
export async function readFaq(): Promise<FaqEntry[]> {
  const entries: FaqEntry[] = [];
  for (const file of (await readdir(FAQ_DIR))
    .filter((name) => name.endsWith('.html') && name !== 'index.html')
    .sort()) {
    const { document } = parseHTML(await readFile(path.join(FAQ_DIR, file), 'utf8'));
    for (const section of document.querySelectorAll('section')) {
      const heading = section.querySelector(':scope > h3');
      if (!heading) continue;
      const question = clean(heading.textContent ?? '');
      const clone = section.cloneNode(true) as typeof section;
      clone.querySelector(':scope > h3')?.remove();
      // Nested entries answer their own questions.
      for (const nested of clone.querySelectorAll('section')) nested.remove();
      const answer = clean(clone.textContent ?? '');
      if (question && answer.length > 40) entries.push({ page: file, question, answer });
    }
  }
  return entries;
}

function clean(text: string): string {
  return text.replace(/¶/g, '').replace(/\s+/g, ' ').trim();
}

interface ModeQuality {
  recall_at_10: number;
  mrr: number;
  /** The entry's page (not the entry) among the first 10. */
  page_recall_at_10: number;
}

export async function retrievalQuality(sql: Sql, config: Config, entries: FaqEntry[]) {
  const embedder = new HashingEmbeddingProvider(config.embedding_dimension, config.embedding_batch_size);
  const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };
  const collections: Record<string, { id: string; documents: string[] }> = {};
  for (const variant of ['answers_only', 'with_questions'] as const) {
    const [collection] = await sql`INSERT INTO collections (name) VALUES (${`faq-${variant}`}) RETURNING id`;
    const documents: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const text = variant === 'answers_only' ? entry.answer : `${entry.question}\n\n${entry.answer}`;
      const chunks = chunkSections([{ text, page: null }], limits);
      const [document] = await sql`
        INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, status)
        VALUES (${collection.id}, ${`${entry.page}#${index}`}, ${`${collection.id}/${index}`}, 'text/html',
          ${Buffer.byteLength(text)}, ${`${variant}-${index}`}, 'processed')
        RETURNING id`;
      documents.push(document.id);
      const vectors = await embedder.embed(chunks.map((chunk) => chunk.text));
      const analyzer = new TextAnalyzer();
      analyzer.add(text);
      await sql.begin(async (tx) => {
        await tx`INSERT INTO chunks ${tx(
          chunks.map((chunk) => ({
            document_id: document.id,
            ordinal: chunk.ordinal,
            text: chunk.text,
            token_count: chunk.tokenCount,
          })),
        )}`;
        await storeEmbeddings(
          tx,
          document.id,
          vectors.map((embedding, ordinal) => ({ ordinal, embedding })),
        );
        await tx`UPDATE documents SET metadata = ${tx.json({ analysis: analyzer.result() } as never)} WHERE id = ${document.id}`;
        await setDocumentTextSearchConfig(tx, document.id, textSearchConfigFor(analyzer.result().language));
      });
    }
    await recordEmbeddingProvider(sql, collection.id, embedder.name);
    collections[variant] = { id: collection.id, documents };
  }

  const result = {} as Record<'answers_only' | 'with_questions', Record<SearchMode, ModeQuality>>;
  for (const [variant, { id, documents }] of Object.entries(collections) as [
    keyof typeof result,
    (typeof collections)[string],
  ][]) {
    result[variant] = {} as Record<SearchMode, ModeQuality>;
    for (const mode of MODES) {
      let found = 0;
      let reciprocal = 0;
      let pageFound = 0;
      for (const [index, entry] of entries.entries()) {
        const answer = await searchChunks(sql, config, { collectionId: id, query: entry.question, k: K, mode });
        const rank = answer.hits.findIndex((hit) => hit.documentId === documents[index]);
        if (rank >= 0) {
          found++;
          reciprocal += 1 / (rank + 1);
        }
        if (answer.hits.some((hit) => hit.documentName.startsWith(`${entry.page}#`))) pageFound++;
      }
      result[variant][mode] = {
        recall_at_10: round(found / entries.length, 3),
        mrr: round(reciprocal / entries.length, 3),
        page_recall_at_10: round(pageFound / entries.length, 3),
      };
      log(`retrieval ${variant} ${mode}: ${JSON.stringify(result[variant][mode])}`);
    }
  }
  return result;
}

/** The latency collection: `size` chunks generated in SQL, the vector index built after the load, statistics fresh. */
export async function generateLatencyCollection(
  sql: Sql,
  config: Config,
  entries: FaqEntry[],
  size: number,
  target: string,
) {
  const dimension = config.embedding_dimension;
  const vocabulary = vocabularyOf(entries);
  const [collection] = await sql`INSERT INTO collections (name) VALUES ('latency') RETURNING id`;
  const documents = size / CHUNKS_PER_DOCUMENT;
  const started = performance.now();
  await sql`SELECT setseed(0.42)`;
  await sql`
    INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, status, text_search_config)
    SELECT ${collection.id}, 'generated-' || n || '.txt', ${collection.id} || '/' || n, 'text/plain', 1, 'generated-' || n, 'processed', 'english'
    FROM generate_series(1, ${documents}) AS n`;
  const documentIds = (
    await sql<
      { id: string }[]
    >`SELECT id FROM documents WHERE collection_id = ${collection.id} ORDER BY original_filename`
  ).map((row) => row.id);
  for (let first = 0; first < documents; first += INSERT_BATCH / CHUNKS_PER_DOCUMENT) {
    const batch = documentIds.slice(first, first + INSERT_BATCH / CHUNKS_PER_DOCUMENT);
    // Words skewed towards the frequent ones (random()^3), as text is; `0 * ordinal` makes each row draw its own.
    await sql`
      INSERT INTO chunks (document_id, ordinal, text, token_count, page_start, page_end, text_search_config, embedding)
      SELECT d, o, (
          SELECT string_agg((${vocabulary}::text[])[1 + floor(power(random(), 3) * ${vocabulary.length})::int], ' ')
          FROM generate_series(1, ${WORDS_PER_CHUNK} + 0 * o)
        ), ${WORDS_PER_CHUNK}, 1 + o / 10, 1 + o / 10, 'english',
        ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, ${dimension} + 0 * o))
      FROM unnest(${batch}::uuid[]) AS d, generate_series(0, ${CHUNKS_PER_DOCUMENT - 1}) AS o`;
    log(
      `latency ${target}: ${Math.min(size, (first + batch.length) * CHUNKS_PER_DOCUMENT).toLocaleString('en')} chunks`,
    );
  }
  const generateSeconds = round((performance.now() - started) / 1000, 1);
  await sql`SET maintenance_work_mem = '512MB'`;
  const indexStarted = performance.now();
  // The provider's own name, so the query side rebuilds the same provider (random vectors, but the right space).
  await recordEmbeddingProvider(
    sql,
    collection.id,
    new HashingEmbeddingProvider(dimension, config.embedding_batch_size).name,
  );
  const indexSeconds = round((performance.now() - indexStarted) / 1000, 1);
  await sql`ANALYZE chunks`;
  await sql`ANALYZE documents`;
  log(`latency ${target}: generated in ${generateSeconds} s, vector index in ${indexSeconds} s`);
  return { collectionId: collection.id as string, generateSeconds, indexSeconds };
}

async function searchLatency(sql: Sql, config: Config, entries: FaqEntry[], size: number, target: string) {
  const { collectionId, generateSeconds, indexSeconds } = await generateLatencyCollection(
    sql,
    config,
    entries,
    size,
    target,
  );
  const queries = entries.map((entry) => entry.question);
  const request = (query: string, mode: SearchMode) => searchChunks(sql, config, { collectionId, query, k: K, mode });
  for (const query of queries.slice(0, WARM_UP)) for (const mode of MODES) await request(query, mode);
  // The modes take turns on each question, in a rotating order: each meets the cache the others leave, so none
  // is measured on a colder or warmer one (run one after the other, the first paid for every cold page).
  const times = Object.fromEntries(MODES.map((mode) => [mode, [] as number[]])) as Record<SearchMode, number[]>;
  const hits = Object.fromEntries(MODES.map((mode) => [mode, 0])) as Record<SearchMode, number>;
  let vectorSearch = 'none';
  const loadBefore = os.loadavg()[0];
  for (const [index, query] of queries.entries()) {
    for (const turn of MODES.keys()) {
      const mode = MODES[(index + turn) % MODES.length];
      const t0 = performance.now();
      const answer = await request(query, mode);
      times[mode].push(performance.now() - t0);
      hits[mode] += answer.hits.length;
      if (answer.vectorSearch !== 'none') vectorSearch = answer.vectorSearch;
    }
  }
  const modes = {} as Record<SearchMode, { p50_ms: number; p95_ms: number; max_ms: number; mean_hits: number }>;
  for (const mode of MODES) {
    const sorted = times[mode].sort((a, b) => a - b);
    modes[mode] = {
      p50_ms: round(percentile(sorted, 0.5), 1),
      p95_ms: round(percentile(sorted, 0.95), 1),
      max_ms: round(sorted[sorted.length - 1], 1),
      mean_hits: round(hits[mode] / queries.length, 1),
    };
    log(`latency ${target} ${mode}: ${JSON.stringify(modes[mode])}`);
  }
  return {
    storage: await vectorStorage(sql),
    vector_search: vectorSearch,
    generate_seconds: generateSeconds,
    index_seconds: indexSeconds,
    queries: queries.length,
    load_average_1min: { before: round(loadBefore, 1), after: round(os.loadavg()[0], 1) },
    modes,
  };
}

/** The FAQ's words of three letters or more, the most frequent first. */
function vocabularyOf(entries: FaqEntry[]): string[] {
  const counts = new Map<string, number>();
  for (const entry of entries)
    for (const [word] of `${entry.question} ${entry.answer}`.toLowerCase().matchAll(/\p{L}{3,}/gu))
      counts.set(word, (counts.get(word) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([word]) => word);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
