import type postgres from 'postgres';
import type { Sql } from '../pool.ts';
import type { Transaction } from './document-runs.ts';

/** Narrows a search to some documents, a page range (chunks overlapping it) and document metadata fields. */
export interface SearchFilters {
  documentIds?: string[];
  pageFrom?: number;
  pageTo?: number;
  /** Fields of the document's metadata (title, language, doi, …) equal to these values. */
  metadata?: Record<string, string>;
}

export interface SearchScope {
  collectionId: string;
  filters?: SearchFilters;
}

/** One ranked candidate of one signal. */
export interface Candidate {
  document_id: string;
  ordinal: number;
  score: number;
}

export interface CollectionSearchInfo {
  id: string;
  name: string;
  embedding_provider: string | null;
  embedding_dimension: number | null;
  /** The text-search configurations the collection's documents (and so their chunks) use. */
  text_search_configs: string[];
}

export type VectorStorage = 'pgvector' | 'real_array';

/** What a collection's search needs to know; undefined when the collection is gone. */
export async function collectionSearchInfo(sql: Sql, collectionId: string): Promise<CollectionSearchInfo | undefined> {
  const [row] = await sql<CollectionSearchInfo[]>`
    SELECT id, name, embedding_provider, embedding_dimension,
      ARRAY(
        SELECT DISTINCT text_search_config::text FROM documents WHERE collection_id = ${collectionId}
      ) AS text_search_configs
    FROM collections WHERE id = ${collectionId}`;
  return row;
}

const storageBySql = new WeakMap<Sql, VectorStorage>();

/** Whether chunk vectors are pgvector `vector`s or `real[]` (migration 006 decided, once per database). */
export async function vectorStorage(sql: Sql): Promise<VectorStorage> {
  const known = storageBySql.get(sql);
  if (known) return known;
  const [row] = await sql<{ pgvector: boolean }[]>`SELECT chunk_vectors_use_pgvector() AS pgvector`;
  const storage: VectorStorage = row.pgvector ? 'pgvector' : 'real_array';
  storageBySql.set(sql, storage);
  return storage;
}

/**
 * Refreshes the planner's statistics of chunks, whose word frequencies
 * any-word queries read (textCandidates), where nothing else will: PGlite is
 * one session without background workers, so no autovacuum. On PostgreSQL
 * the autovacuum launcher analyzes a table once enough of it changed; an
 * ANALYZE of the whole table at the end of every collection's run would
 * repeat that work (a sample of every collection's chunks) for one
 * collection's change. True when it analyzed.
 */
export async function refreshSearchStatistics(sql: Sql): Promise<boolean> {
  if (await autovacuumRuns(sql)) return false;
  await sql`ANALYZE chunks`;
  return true;
}

/**
 * Merges the pending list of the chunks' full-text index into the index
 * (migration 009 bounds it; every search reads it whole), so the search after
 * a run reads none. On every database: autovacuum merges it only when the
 * table changed by a share of its size, which one collection's chunks of a
 * large table do not reach. Returns the pages merged.
 */
export async function mergeTextSearchPendingList(sql: Sql): Promise<number> {
  try {
    const [row] = await sql<{ pages: number }[]>`
      SELECT gin_clean_pending_list('chunks_text_search'::regclass)::int AS pages`;
    return row.pages;
  } catch (error) {
    // Only the index's owner may merge it (as with VACUUM). A service role that
    // does not own the schema leaves the list to autovacuum rather than fail the
    // end of every run.
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return 0;
    throw error;
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** Whether the database's autovacuum launcher is running (never on PGlite; off when autovacuum is disabled). */
export async function autovacuumRuns(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ running: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum launcher') AS running`;
  return row.running;
}

/** Whether the HNSW index of this dimension exists (see ensureChunkVectorIndex). */
export async function hasVectorIndex(sql: Sql, dimension: number): Promise<boolean> {
  const [row] = await sql<{ present: boolean }[]>`
    SELECT to_regclass(${vectorIndexName(dimension)}) IS NOT NULL AS present`;
  return row.present;
}

/**
 * Builds the HNSW index of one embedding dimension when pgvector is there and
 * it does not exist yet; false when search of that dimension stays exact.
 */
export async function ensureChunkVectorIndex(sql: Sql, dimension: number): Promise<boolean> {
  const [row] = await sql<{ indexed: boolean }[]>`SELECT ensure_chunk_vector_index(${dimension}) AS indexed`;
  return row.indexed;
}

function vectorIndexName(dimension: number): string {
  return `chunks_embedding_hnsw_${dimension}`;
}

/**
 * Sets the text-search configuration of a document and its chunks (their
 * tsvectors are regenerated), inside the caller's fenced transaction. A name
 * the database has no configuration for becomes `simple`. Returns the one set.
 */
export async function setDocumentTextSearchConfig(
  tx: Transaction,
  documentId: string,
  config: string,
): Promise<string> {
  const [row] = await tx<{ config: string }[]>`
    SELECT COALESCE(
      (SELECT cfgname::text FROM pg_ts_config
       WHERE cfgname = ${config} AND cfgnamespace = 'pg_catalog'::regnamespace),
      'simple') AS config`;
  await tx`UPDATE documents SET text_search_config = ${row.config}::regconfig WHERE id = ${documentId}`;
  await tx`
    UPDATE chunks SET text_search_config = ${row.config}::regconfig
    WHERE document_id = ${documentId} AND text_search_config <> ${row.config}::regconfig`;
  return row.config;
}

/** The conditions of a scope on `c` (chunks) and `d` (documents), joined with AND. */
function scopeConditions(sql: Sql, scope: SearchScope): postgres.PendingQuery<postgres.Row[]> {
  const { filters = {} } = scope;
  const parts = [sql`d.collection_id = ${scope.collectionId}`];
  if (filters.documentIds) parts.push(sql`c.document_id = ANY(${filters.documentIds}::uuid[])`);
  if (filters.pageFrom !== undefined) parts.push(sql`c.page_end >= ${filters.pageFrom}`);
  if (filters.pageTo !== undefined) parts.push(sql`c.page_start <= ${filters.pageTo}`);
  for (const [field, value] of Object.entries(filters.metadata ?? {}))
    parts.push(sql`d.metadata->'analysis'->>${field} = ${value}`);
  return parts.reduce((all, part) => sql`${all} AND ${part}`);
}

/**
 * Full-text candidates, best first. Each chunk is matched in its own
 * document's configuration (the query is parsed once per configuration in
 * use, so the GIN index serves every one). `all` matches every word of the
 * query (web-search syntax: "phrases", or, -not); otherwise any of its words.
 * The score is ts_rank, normalised by the chunk's length.
 */
export async function textCandidates(
  sql: Sql,
  scope: SearchScope,
  request: {
    query: string;
    configs: string[];
    all: boolean;
    limit: number;
    /** Any-word queries leave out words found in more chunks than this (by ANALYZE's statistics), as stop words. */
    maxWordChunks: number;
    /** Matches ranked at most: a query matching more ranks the first this many the index hands over. */
    rankLimit: number;
    exclude?: Candidate[];
  },
): Promise<Candidate[]> {
  // An any-word query of a question ("how do I …") would match, and rank, most of the table: its common
  // words are left out, so the index hands over only chunks sharing a telling word.
  const tsquery = request.all
    ? sql`websearch_to_tsquery(cfg, ${request.query})`
    : sql`(
        SELECT string_agg(quote_literal(t.lexeme), ' | ')::tsquery FROM unnest(to_tsvector(cfg, ${request.query})) AS t
        WHERE coalesce((SELECT max(f.chunks) FROM common f WHERE f.word = t.lexeme), 0) <= ${request.maxWordChunks})`;
  const exclude = request.exclude?.length
    ? sql`AND (c.document_id, c.ordinal) NOT IN (SELECT * FROM unnest(${request.exclude.map((c) => c.document_id)}::uuid[], ${request.exclude.map((c) => c.ordinal)}::int[]))`
    : sql``;
  return sql<Candidate[]>`
    WITH common AS MATERIALIZED (
      SELECT e.word, e.share * greatest(t.reltuples, 0) AS chunks
      FROM pg_stats s
      JOIN pg_class t ON t.oid = 'chunks'::regclass,
      unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(word, share)
      WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'text_search'
    ),
    q AS MATERIALIZED (
      SELECT cfg, ${tsquery} AS tsq FROM unnest(${request.configs}::text[]::regconfig[]) AS cfg
    ),
    matched AS (
      SELECT c.document_id, c.ordinal, c.text_search, q.tsq
      FROM q
      JOIN chunks c ON c.text_search_config = q.cfg AND c.text_search @@ q.tsq
      JOIN documents d ON d.id = c.document_id
      WHERE ${scopeConditions(sql, scope)} ${exclude}
      LIMIT ${request.rankLimit}
    )
    SELECT document_id, ordinal, ts_rank(text_search, tsq, 1) AS score
    FROM matched
    ORDER BY score DESC, document_id, ordinal
    LIMIT ${request.limit}`;
}

/**
 * Nearest chunks by cosine with pgvector: through the dimension's HNSW index
 * when it exists (an iterative scan, so filters still find `limit` rows), an
 * exact scan otherwise. The dimension is written into the statement: the
 * partial index is only chosen for a literal it can prove.
 */
export async function pgvectorCandidates(
  sql: Sql,
  scope: SearchScope,
  request: { vector: number[]; dimension: number; limit: number; efSearch: number },
): Promise<Candidate[]> {
  const dimension = Math.trunc(request.dimension);
  const type = sql.unsafe(`vector(${dimension})`);
  const literal = `[${request.vector.join(',')}]`;
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('hnsw.ef_search', ${String(request.efSearch)}, true),
      set_config('hnsw.iterative_scan', 'relaxed_order', true)`;
    const rows = await tx<Candidate[]>`
      SELECT c.document_id, c.ordinal, 1 - (c.embedding::${type} <=> ${literal}::${type}) AS score
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE vector_dims(c.embedding) = ${tx.unsafe(String(dimension))} AND ${scopeConditions(tx, scope)}
      ORDER BY c.embedding::${type} <=> ${literal}::${type}
      LIMIT ${request.limit}`;
    // A relaxed-order scan may hand back neighbours slightly out of order.
    return [...rows].sort((a, b) => b.score - a.score);
  }) as Promise<Candidate[]>;
}

/** Nearest chunks by exact cosine over `real[]` vectors (no pgvector): every vector of the scope is read. */
export async function exactCosineCandidates(
  sql: Sql,
  scope: SearchScope,
  request: { vector: number[]; dimension: number; limit: number },
): Promise<Candidate[]> {
  const norm = Math.sqrt(request.vector.reduce((sum, x) => sum + x * x, 0)) || 1;
  const literal = `{${request.vector.join(',')}}`;
  return sql<Candidate[]>`
    SELECT document_id, ordinal, score FROM (
      SELECT c.document_id, c.ordinal,
        (SELECT sum(a::float8 * b) / (NULLIF(sqrt(sum(a::float8 * a)), 0) * ${norm})
         FROM unnest(c.embedding, ${literal}::real[]) AS t(a, b)) AS score
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.embedding IS NOT NULL AND cardinality(c.embedding) = ${request.dimension}
        AND ${scopeConditions(sql, scope)}
    ) scored
    WHERE score IS NOT NULL
    ORDER BY score DESC, document_id, ordinal
    LIMIT ${request.limit}`;
}

export interface HitRow {
  document_id: string;
  document_name: string;
  ordinal: number;
  page_start: number | null;
  page_end: number | null;
  heading_path: unknown;
  text: string;
  snippet: string;
}

/** Highlight markers of snippets: plain characters, so no text needs escaping. */
export const SNIPPET_START = '«';
export const SNIPPET_STOP = '»';
const HEADLINE_OPTIONS = `StartSel=${SNIPPET_START}, StopSel=${SNIPPET_STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;

/** The chunks of the final hits with their document names and highlighted snippets (any word of the query, in the chunk's language). */
export async function hitRows(
  sql: Sql,
  keys: { document_id: string; ordinal: number }[],
  query: string,
): Promise<HitRow[]> {
  if (keys.length === 0) return [];
  return sql<HitRow[]>`
    SELECT c.document_id, d.original_filename AS document_name, c.ordinal, c.page_start, c.page_end,
      c.metadata->'heading_path' AS heading_path, c.text,
      ts_headline(c.text_search_config, c.text,
        replace(plainto_tsquery(c.text_search_config, ${query})::text, ' & ', ' | ')::tsquery,
        ${HEADLINE_OPTIONS}) AS snippet
    FROM unnest(${keys.map((k) => k.document_id)}::uuid[], ${keys.map((k) => k.ordinal)}::int[]) AS k(document_id, ordinal)
    JOIN chunks c ON c.document_id = k.document_id AND c.ordinal = k.ordinal
    JOIN documents d ON d.id = c.document_id`;
}
