import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { queryTarget } from '../../db/queries/passages.ts';
import type { Sql } from '../../db/pool.ts';
import type { PassageRef, RetrievalMode, RetrievedPassages } from '../../workflows/query-contract.ts';
import { searchChunks, SearchRefusal, type SearchAnswer, type SearchRequest } from '../search/search-chunks.ts';

export interface RetrieveInput {
  collectionId: string;
  documentId?: string;
  question: string;
  k: number;
  mode: RetrievalMode;
}

/** Characters of a passage's snippet carried through the workflow (the whole text stays in the database). */
const SNIPPET_CHARS = 300;
/** The chat call's own retries (activities/openai/http.ts) wait up to about this much between them. */
const CHAT_RETRY_WAITS_MS = 60_000;
const CHAT_CALL_ATTEMPTS = 5;

/**
 * The passages of the collection (or of one of its documents) that best match
 * the question, by the search of the collection's chunks. A collection or
 * document gone since the request was accepted fails for good.
 */
export async function retrievePassages(config: Config, sql: Sql, input: RetrieveInput): Promise<RetrievedPassages> {
  const target = await queryTarget(sql, input.collectionId, input.documentId);
  if (!target) {
    throw ApplicationFailure.nonRetryable(`collection ${input.collectionId} not found`, 'QueryTargetNotFound');
  }
  if (!target.documentFound) {
    throw ApplicationFailure.nonRetryable(
      `document ${input.documentId} not found in collection ${target.collectionName}`,
      'QueryTargetNotFound',
    );
  }
  const found = await search(config, sql, {
    collectionId: input.collectionId,
    query: input.question,
    k: input.k,
    mode: input.mode,
    ...(input.documentId ? { filters: { documentIds: [input.documentId] } } : {}),
  });
  const passages: PassageRef[] = found.hits.map((hit) => ({
    documentId: hit.documentId,
    documentName: hit.documentName,
    ordinal: hit.ordinal,
    pageStart: hit.pageStart,
    pageEnd: hit.pageEnd,
    headingPath: hit.headingPath ?? null,
    score: hit.scores.fused,
    scores: { text: hit.scores.text ?? null, vector: hit.scores.vector ?? null, fused: hit.scores.fused },
    snippet: (hit.snippet || hit.text).slice(0, SNIPPET_CHARS),
  }));
  return {
    mode: found.mode,
    vectorSearch: found.vectorSearch,
    ...(found.notice ? { notice: found.notice } : {}),
    passages,
    answerTimeoutMs:
      config.llm_base_url === ''
        ? 60_000
        : CHAT_CALL_ATTEMPTS * config.llm_timeout_seconds * 1000 + CHAT_RETRY_WAITS_MS,
  };
}

/**
 * The search, for a question: a vector-only request on a collection whose
 * vectors cannot answer it (none yet, another provider's, being re-embedded)
 * is answered hybrid instead, which falls back to full text; the search's
 * other refusals (a collection or document gone, a limit) fail for good.
 */
async function search(config: Config, sql: Sql, request: SearchRequest): Promise<SearchAnswer> {
  try {
    return await searchChunks(sql, config, request);
  } catch (error) {
    if (!(error instanceof SearchRefusal)) throw error;
    if (error.status === 422 && request.mode === 'vector') {
      const answer = await search(config, sql, { ...request, mode: 'hybrid' });
      return {
        ...answer,
        notice: `vector search refused (${error.message}); ${answer.notice ?? `answered ${answer.mode}`}`,
      };
    }
    throw ApplicationFailure.nonRetryable(error.message, error.status === 404 ? 'QueryTargetNotFound' : 'QueryRefused');
  }
}
