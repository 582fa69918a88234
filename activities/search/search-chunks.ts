import { StatusError } from '../../common/status-error.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import {
  collectionSearchInfo,
  exactCosineCandidates,
  hasVectorIndex,
  hitRows,
  pgvectorCandidates,
  textCandidates,
  vectorStorage,
  type Candidate,
  type CollectionSearchInfo,
  type SearchFilters,
  type SearchScope,
} from '../../db/queries/search.ts';
import { reciprocalRankFusion, type FusedCandidate } from './fusion.ts';
import { queryEmbedderFor } from './query-embedder.ts';
import { REEMBEDDING_LABEL_PREFIX } from '../../workflows/reembedding-contract.ts';
import type { ChunkLocation } from '../../workflows/search-contract.ts';

export type SearchMode = 'hybrid' | 'text' | 'vector';
/** How the vector list was found: pgvector's HNSW index, exact cosine (no index or no pgvector), or not at all. */
export type VectorSearchKind = 'pgvector_hnsw' | 'exact_cosine' | 'none';

/** The service's config: the search_* keys, and the embedding settings that embed the query. */
export type SearchSettings = Config;

export interface SearchRequest {
  collectionId: string;
  query: string;
  k: number;
  mode: SearchMode;
  filters?: SearchFilters;
}

export interface SearchHit extends ChunkLocation {
  text: string;
  /** The best passages of the chunk, query words between « and ». */
  snippet: string;
  scores: { text?: number; vector?: number; fused: number };
}

export interface SearchAnswer {
  /** The mode that answered: a hybrid request on a collection without usable vectors is answered by text alone. */
  mode: SearchMode;
  vectorSearch: VectorSearchKind;
  hits: SearchHit[];
  /** Why the answer's mode differs from the request's. */
  notice?: string;
}

/** A request the search refuses: 400 (bad input), 404 (no such collection or document), 422 (no usable vectors). */
export class SearchRefusal extends StatusError {
  override name = 'SearchRefusal';
}

/**
 * Ranked chunks of a collection for a query: full text in each document's
 * language, nearest vectors by the provider that embedded the collection,
 * or both fused by reciprocal rank (search_rrf_k, search_*_weight).
 */
export async function searchChunks(sql: Sql, settings: SearchSettings, request: SearchRequest): Promise<SearchAnswer> {
  const query = request.query.trim();
  validate(settings, request, query);
  const collection = await collectionSearchInfo(sql, request.collectionId);
  if (!collection)
    throw new SearchRefusal(404, 'not_found', `collection '${request.collectionId}' not found`, {
      id: request.collectionId,
    });
  const scope: SearchScope = { collectionId: collection.id, filters: request.filters };
  await checkDocumentsBelong(sql, collection, request.filters?.documentIds);

  const context: SearchContext = {
    sql,
    settings,
    collection,
    scope,
    query,
    limit: Math.max(request.k, settings.search_candidates),
  };
  let mode = request.mode;
  let notice: string | undefined;
  let vector: { list: Candidate[]; kind: VectorSearchKind } = { list: [], kind: 'none' };
  if (mode !== 'text') {
    const unusable = vectorsUnusable(settings, collection);
    if (unusable && mode === 'vector') throw new SearchRefusal(422, unusable.code, unusable.message, unusable.details);
    if (unusable) {
      mode = 'text';
      notice = `answered by full text alone: ${unusable.message}`;
    } else {
      vector = await vectorList(context);
    }
  }
  const text = mode === 'vector' ? [] : await textList(context);

  const fused = reciprocalRankFusion(
    { text: mode === 'vector' ? undefined : text, vector: mode === 'text' ? undefined : vector.list },
    { k: settings.search_rrf_k, textWeight: settings.search_text_weight, vectorWeight: settings.search_vector_weight },
  ).slice(0, request.k);
  return { mode, vectorSearch: vector.kind, hits: await hits(sql, fused, query), ...(notice ? { notice } : {}) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validate(settings: SearchSettings, request: SearchRequest, query: string): void {
  if (query === '') throw new SearchRefusal(400, 'empty_query', 'the query is empty');
  if (query.length > settings.search_max_query_chars) {
    throw new SearchRefusal(
      400,
      'limit_exceeded',
      `the query may have at most ${settings.search_max_query_chars} characters (search_max_query_chars); got ${query.length}`,
      { limit: 'search_max_query_chars', allowed: settings.search_max_query_chars, actual: query.length },
    );
  }
  if (!Number.isInteger(request.k) || request.k < 1 || request.k > settings.search_max_k) {
    throw new SearchRefusal(
      400,
      'limit_exceeded',
      `k must be a whole number from 1 to ${settings.search_max_k} (search_max_k); got ${request.k}`,
      { limit: 'search_max_k', allowed: settings.search_max_k, actual: request.k },
    );
  }
  const badIds = (request.filters?.documentIds ?? []).filter((id) => !UUID.test(id));
  if (badIds.length > 0) {
    throw new SearchRefusal(400, 'validation_error', `document ids must be UUIDs; got ${badIds.join(', ')}`, {
      document_ids: badIds,
    });
  }
  const { pageFrom, pageTo } = request.filters ?? {};
  if (pageFrom !== undefined && pageTo !== undefined && pageFrom > pageTo) {
    throw new SearchRefusal(400, 'bad_page_range', `page_from (${pageFrom}) is after page_to (${pageTo})`, {
      page_from: pageFrom,
      page_to: pageTo,
    });
  }
}

/** Documents a filter names must be the collection's: a wrong id is a 404, not an empty answer. */
async function checkDocumentsBelong(sql: Sql, collection: CollectionSearchInfo, documentIds?: string[]): Promise<void> {
  if (!documentIds || documentIds.length === 0) return;
  const found = await sql<{ id: string }[]>`
    SELECT id FROM documents WHERE collection_id = ${collection.id} AND id = ANY(${documentIds}::uuid[])`;
  const known = new Set(found.map((row) => row.id));
  const missing = documentIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new SearchRefusal(
      404,
      'not_found',
      `document ${missing.join(', ')} not found in collection '${collection.name}'`,
      { collection: collection.id, document_ids: missing },
    );
  }
}

/** Why the collection's vectors cannot answer this query, or undefined when they can. */
function vectorsUnusable(
  settings: SearchSettings,
  collection: CollectionSearchInfo,
): { code: string; message: string; details: Record<string, unknown> } | undefined {
  if (collection.embedding_provider?.startsWith(REEMBEDDING_LABEL_PREFIX)) {
    return {
      code: 'reembedding_in_progress',
      message: `collection '${collection.name}' is being re-embedded (to ${collection.embedding_provider.slice(REEMBEDDING_LABEL_PREFIX.length)}): search with mode "text" until it ends`,
      details: { collection: collection.id, embedding_provider: collection.embedding_provider },
    };
  }
  if (!collection.embedding_provider || !collection.embedding_dimension) {
    return {
      code: 'no_embeddings',
      message: `collection '${collection.name}' has no embeddings yet: process it (embeddings on) or search with mode "text"`,
      details: { collection: collection.id },
    };
  }
  if (!queryEmbedderFor(settings, collection.embedding_provider)) {
    return {
      code: 'embedding_provider_unavailable',
      message: `collection '${collection.name}' was embedded by ${collection.embedding_provider}, which is not the configured provider: re-embed it, or search with mode "text"`,
      details: { collection: collection.id, embedding_provider: collection.embedding_provider },
    };
  }
  return undefined;
}

/** What each signal's list is searched with: one request's collection, scope, query and candidate count. */
interface SearchContext {
  sql: Sql;
  settings: SearchSettings;
  collection: CollectionSearchInfo;
  scope: SearchScope;
  query: string;
  /** Candidates each list hands to fusion (at least k). */
  limit: number;
}

async function vectorList({
  sql,
  settings,
  collection,
  scope,
  query,
  limit,
}: SearchContext): Promise<{ list: Candidate[]; kind: VectorSearchKind }> {
  const embedder = queryEmbedderFor(settings, collection.embedding_provider!)!;
  const [queryVector] = await embedder.embed([query]);
  const dimension = collection.embedding_dimension!;
  if (queryVector.length !== dimension) {
    throw new SearchRefusal(
      422,
      'embedding_dimension_mismatch',
      `the query's vector has ${queryVector.length} dimensions, the collection's ${dimension}: re-embed the collection`,
      { collection: collection.id, query_dimension: queryVector.length, collection_dimension: dimension },
    );
  }
  if ((await vectorStorage(sql)) === 'real_array') {
    return {
      list: await exactCosineCandidates(sql, scope, { vector: queryVector, dimension, limit }),
      kind: 'exact_cosine',
    };
  }
  const indexed = await hasVectorIndex(sql, dimension);
  const list = await pgvectorCandidates(sql, scope, {
    vector: queryVector,
    dimension,
    limit,
    efSearch: Math.max(settings.search_hnsw_ef_search, limit),
  });
  return { list, kind: indexed ? 'pgvector_hnsw' : 'exact_cosine' };
}

/** Chunks with every word of the query first; when they are too few, chunks with any of its words after them. */
async function textList({ sql, settings, collection, scope, query, limit }: SearchContext): Promise<Candidate[]> {
  const configs = collection.text_search_configs;
  const bounds = { maxWordChunks: settings.search_common_word_chunks, rankLimit: settings.search_text_rank_limit };
  const all = await textCandidates(sql, scope, { query, configs, all: true, limit, ...bounds });
  if (all.length >= limit) return all;
  const any = await textCandidates(sql, scope, {
    query,
    configs,
    all: false,
    limit: limit - all.length,
    ...bounds,
    exclude: all,
  });
  return [...all, ...any];
}

async function hits(sql: Sql, fused: FusedCandidate[], query: string): Promise<SearchHit[]> {
  const rows = await hitRows(sql, fused, query);
  const byKey = new Map(rows.map((row) => [`${row.document_id}/${row.ordinal}`, row]));
  return fused.flatMap((candidate) => {
    const row = byKey.get(`${candidate.document_id}/${candidate.ordinal}`);
    // A chunk deleted between ranking and reading is left out.
    if (!row) return [];
    const scores: SearchHit['scores'] = { fused: candidate.fused };
    if (candidate.text !== undefined) scores.text = candidate.text;
    if (candidate.vector !== undefined) scores.vector = candidate.vector;
    return [
      {
        documentId: row.document_id,
        documentName: row.document_name,
        ordinal: row.ordinal,
        pageStart: row.page_start,
        pageEnd: row.page_end,
        headingPath: headingPath(row.heading_path),
        text: row.text,
        snippet: row.snippet,
        scores,
      },
    ];
  });
}

function headingPath(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}
