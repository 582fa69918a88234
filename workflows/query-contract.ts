// The contract of the query workflow (FileIntel's question over a collection), shared by the API and the activities.

import type { ChunkLocation } from './search-contract.ts';

/** How passages are found: both signals fused (default), full text only, or vectors only. */
export type RetrievalMode = 'hybrid' | 'text' | 'vector';

/** The original's answer formats: each is an instruction to the chat model (an extractive answer ignores it). */
export const ANSWER_FORMATS = ['default', 'single_paragraph', 'table', 'list', 'json', 'essay', 'markdown'] as const;
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

export interface QueryInput {
  collectionId: string;
  /** The question over one document only (the original's document query). */
  documentId?: string;
  question: string;
  /** Passages to retrieve (the original's max_results). */
  k: number;
  mode: RetrievalMode;
  answerFormat: AnswerFormat;
  /** Put each cited passage's whole text in the result (the original's include_cited_chunks). */
  includeCitedChunks: boolean;
  /** The original's search_type, echoed in the result. */
  searchType?: string;
}

/**
 * A retrieved passage as the workflow carries it: where it is and how well it
 * matched, with a short snippet, never the chunk's whole text (the answer
 * activity reads that from the database).
 */
export interface PassageRef extends ChunkLocation {
  /** The score it was ranked by (fused for hybrid). */
  score: number;
  /** Each signal's score, as the search gave them. */
  scores: Record<string, number | null>;
  snippet: string;
}

export interface RetrievedPassages {
  /** The mode the search ran in, and whether vectors took part (a collection being re-embedded is searched by text). */
  mode: string;
  vectorSearch: string | null;
  /** Why the search answered in another mode than asked. */
  notice?: string;
  passages: PassageRef[];
  /** The worker's bound on the answer activity (its chat timeout and retries), in ms: config stays out of workflow code. */
  answerTimeoutMs: number;
}

export interface QueryAnswer {
  answer: string;
  /** generated: written by the chat model from the passages; extractive: the passages themselves. */
  answerType: 'generated' | 'extractive';
  model: string | null;
  /** The passages' whole text, when asked (includeCitedChunks). */
  citedChunks?: CitedChunk[];
}

export interface CitedChunk {
  chunk_id: string;
  document_id: string;
  document_title: string;
  page: number | null;
  text: string;
}

/** One source of an answer, in the original's shape (the fields its CLI prints) plus pages and scores. */
export interface QuerySource {
  /** [n] in the answer. */
  number: number;
  document_id: string;
  chunk_id: string;
  filename: string;
  original_filename: string;
  citation: string;
  in_text_citation: string;
  text: string;
  page_start: number | null;
  page_end: number | null;
  heading_path: string[] | null;
  similarity_score: number;
  relevance_score: number;
  position: number;
  scores: Record<string, number | null>;
}

/** The task's result: the original's query result (answer, sources, query_type…) plus how it was made. */
export interface QueryResult {
  status: 'completed';
  query: string;
  question: string;
  collection_id: string;
  document_id: string | null;
  answer: string;
  answer_type: 'generated' | 'extractive';
  model: string | null;
  answer_format: AnswerFormat;
  sources: QuerySource[];
  chunks_retrieved: number;
  search_type: string;
  query_type: string;
  retrieval: { mode: string; vector_search: string | null; notice?: string };
  cited_chunks?: CitedChunk[];
}

/** "p. 3" or "pp. 3–4"; empty for formats without pages. */
export function pagesOf(passage: Pick<PassageRef, 'pageStart' | 'pageEnd'>): string {
  if (passage.pageStart === null) return '';
  if (passage.pageEnd === null || passage.pageEnd === passage.pageStart) return `p. ${passage.pageStart}`;
  return `pp. ${passage.pageStart}–${passage.pageEnd}`;
}
