import { randomUUID } from 'node:crypto';
import type { SearchAttributePair } from '@temporalio/common';
import { findDocumentsByReference } from '../../db/queries/document-lookup.ts';
import { workflowIds } from '../../workflows/ids.ts';
import type { queryCollection } from '../../workflows/query.ts';
import type { AnswerFormat, QueryInput, RetrievalMode } from '../../workflows/query-contract.ts';
import {
  CollectionIdKey,
  CollectionNameKey,
  DocumentNameKey,
  KindKey,
  WorkflowKind,
} from '../../workflows/search-attributes.ts';
import { loadCollection } from '../collections/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { limitExceeded, notFound } from '../errors.ts';

export interface QueryRequest {
  collection: string;
  /** A document of the collection, by id or file name. */
  document?: string;
  question: string;
  k?: number | null;
  mode: RetrievalMode;
  answerFormat: AnswerFormat;
  includeCitedChunks: boolean;
  /** The original's search_type, echoed in the result. */
  searchType?: string;
}

export interface StartedQuery {
  task_id: string;
  collection_id: string;
  collection_name: string;
  document_id: string | null;
  k: number;
}

/** The question as the summary shows it: one line, at most this long. */
const SUMMARY_QUESTION_CHARS = 80;

/**
 * Starts a query workflow (`query:<uuid>`) after checking what the request
 * names: the collection (404), the document in it (404), the question's
 * length and k against their limits (400, naming the limit). Nothing is
 * started when a check fails.
 */
export async function startQuery(
  deps: Pick<ApiDeps, 'sql' | 'temporal' | 'config'>,
  request: QueryRequest,
): Promise<StartedQuery> {
  const { sql, temporal, config } = deps;
  const question = request.question.trim();
  // The search's limits: the question is its query, k its k.
  if (question.length > config.search_max_query_chars) {
    throw limitExceeded(
      400,
      'search_max_query_chars',
      config.search_max_query_chars,
      question.length,
      `the question may have at most ${config.search_max_query_chars} characters (search_max_query_chars); got ${question.length}`,
    );
  }
  const k = request.k ?? config.query_default_k;
  if (k > config.search_max_k) {
    throw limitExceeded(
      400,
      'search_max_k',
      config.search_max_k,
      k,
      `at most ${config.search_max_k} passages per query (search_max_k); got ${k}`,
    );
  }
  const collection = await loadCollection(sql, request.collection);
  let document: { id: string; original_filename: string } | undefined;
  if (request.document !== undefined) {
    const matches = await findDocumentsByReference(sql, collection.id, [request.document]);
    document = matches.find((m) => m.id === request.document) ?? matches[0];
    if (!document) throw notFound(`document in collection '${collection.name}'`, request.document);
  }

  const input: QueryInput = {
    collectionId: collection.id,
    ...(document ? { documentId: document.id } : {}),
    question,
    k,
    mode: request.mode,
    answerFormat: request.answerFormat,
    includeCitedChunks: request.includeCitedChunks,
    ...(request.searchType ? { searchType: request.searchType } : {}),
  };
  const searchAttributes: SearchAttributePair[] = [
    { key: KindKey, value: WorkflowKind.query },
    { key: CollectionIdKey, value: collection.id },
    { key: CollectionNameKey, value: collection.name },
  ];
  if (document) searchAttributes.push({ key: DocumentNameKey, value: document.original_filename });
  const shown = question.replace(/\s+/g, ' ');
  const quoted = shown.length > SUMMARY_QUESTION_CHARS ? `${shown.slice(0, SUMMARY_QUESTION_CHARS)}…` : shown;
  const taskId = workflowIds.query(randomUUID());
  await temporal.workflow.start<typeof queryCollection>('queryCollection', {
    workflowId: taskId,
    taskQueue: config.task_queue,
    args: [input],
    priority: { priorityKey: config.interactive_priority },
    typedSearchAttributes: searchAttributes,
    staticSummary: `${collection.name}: query "${quoted}" (${request.mode}, k ${k}${document ? `, document ${document.original_filename}` : ''}; collection ${collection.id})`,
  });
  return {
    task_id: taskId,
    collection_id: collection.id,
    collection_name: collection.name,
    document_id: document?.id ?? null,
    k,
  };
}
