import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { queryTarget } from '../../db/queries/passages.ts';
import type { Sql } from '../../db/pool.ts';
import type { PassageRef, RetrievalMode, RetrievedPassages } from '../../workflows/query-contract.ts';
import { searchChunks } from './chunk-search.ts';

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
  const found = await searchChunks(sql, config, {
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
    score: rankingScore(hit.scores),
    scores: hit.scores,
    snippet: (hit.snippet || hit.text).slice(0, SNIPPET_CHARS),
  }));
  return {
    mode: found.mode,
    vectorSearch: found.vectorSearch === null || found.vectorSearch === undefined ? null : String(found.vectorSearch),
    passages,
    answerTimeoutMs:
      config.llm_base_url === '' ? 60_000 : CHAT_CALL_ATTEMPTS * config.llm_timeout_seconds * 1000 + CHAT_RETRY_WAITS_MS,
  };
}

/** The score a hit was ranked by: the fused one when there is one, else the best of its signals. */
function rankingScore(scores: Record<string, number | null>): number {
  for (const key of ['hybrid', 'fused', 'rrf']) {
    const value = scores[key];
    if (typeof value === 'number') return value;
  }
  const values = Object.values(scores).filter((value): value is number => typeof value === 'number');
  return values.length > 0 ? Math.max(...values) : 0;
}
