import { proxyActivities, setHandler, setWorkflowOptions } from '@temporalio/workflow';
import type { QueryActivities } from '../activities/query/index.ts';
import { progressQuery, type CollectionAnalysisProgress } from './collection-analysis-contract.ts';
import {
  pagesOf,
  type PassageRef,
  type QueryAnswer,
  type QueryInput,
  type QueryResult,
  type QuerySource,
  type RetrievedPassages,
} from './query-contract.ts';

/** Errors no retry can fix: the collection or document is gone, the search or the chat endpoint refused the request. */
export const QUERY_NON_RETRYABLE = ['QueryTargetNotFound', 'QueryRefused', 'OpenAiRequestRejected'];

const { retrievePassages } = proxyActivities<QueryActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: QUERY_NON_RETRYABLE,
  },
});

/** Used when a retrieval result carries no bound (it always does from this build on). */
const DEFAULT_ANSWER_TIMEOUT_MS = 10 * 60_000;

/**
 * FileIntel's query: retrieve the passages that best match the question
 * (hybrid search over the collection's chunks, or one document's), then
 * answer from them, through the chat endpoint when one is configured (sources
 * cited by number, document and page) or with the passages themselves,
 * labelled extractive. The chunks' text stays in the database: the history
 * holds the passages' ids, scores and snippets, and the answer.
 */
export async function queryCollection(input: QueryInput): Promise<QueryResult> {
  let phase: 'retrieving' | 'answering' | 'done' = 'retrieving';
  let stepsDone = 0;
  setHandler(progressQuery, (): CollectionAnalysisProgress => ({
    phase,
    total: 2,
    processed: stepsDone,
    failed: 0,
    in_flight: phase === 'done' ? 0 : 1,
    percentage: stepsDone * 50,
    recent_failures: [],
  }));

  const retrieved = await retrievePassages({
    collectionId: input.collectionId,
    documentId: input.documentId,
    question: input.question,
    k: input.k,
    mode: input.mode,
  });
  stepsDone = 1;
  phase = 'answering';

  // The chat call heartbeats while it waits: a cancel reaches it, a dead worker is noticed.
  const { answerQuestion } = proxyActivities<QueryActivities>({
    startToCloseTimeout: retrieved.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS,
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumAttempts: 3,
      nonRetryableErrorTypes: QUERY_NON_RETRYABLE,
    },
  });
  const answer = await answerQuestion({
    question: input.question,
    passages: retrieved.passages,
    answerFormat: input.answerFormat,
    includeCitedChunks: input.includeCitedChunks,
  });
  stepsDone = 2;
  phase = 'done';
  return resultOf(input, retrieved, answer);
}

function resultOf(input: QueryInput, retrieved: RetrievedPassages, answer: QueryAnswer): QueryResult {
  const { mode, passages } = retrieved;
  return {
    status: 'completed',
    query: input.question,
    question: input.question,
    collection_id: input.collectionId,
    document_id: input.documentId ?? null,
    answer: answer.answer,
    answer_type: answer.answerType,
    model: answer.model,
    answer_format: input.answerFormat,
    sources: passages.map(sourceOf),
    chunks_retrieved: passages.length,
    search_type: input.searchType ?? input.mode,
    query_type: input.documentId ? `${mode}_document` : mode,
    retrieval: {
      mode,
      vector_search: retrieved.vectorSearch,
      ...(retrieved.notice ? { notice: retrieved.notice } : {}),
    },
    ...(answer.citedChunks ? { cited_chunks: answer.citedChunks } : {}),
  };
}

function sourceOf(passage: PassageRef, index: number): QuerySource {
  const pages = pagesOf(passage);
  const where = pages ? `${passage.documentName}, ${pages}` : passage.documentName;
  return {
    number: index + 1,
    document_id: passage.documentId,
    chunk_id: `${passage.documentId}:${passage.ordinal}`,
    filename: passage.documentName,
    original_filename: passage.documentName,
    citation: where,
    in_text_citation: `[${index + 1}] (${where})`,
    text: passage.snippet,
    page_start: passage.pageStart,
    page_end: passage.pageEnd,
    heading_path: passage.headingPath,
    similarity_score: passage.score,
    relevance_score: passage.score,
    position: passage.ordinal,
    scores: passage.scores,
  };
}

// Short: it finishes on the build that started it (Worker Versioning).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, queryCollection);
