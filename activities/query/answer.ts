import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { chunkKey, chunkTexts } from '../../db/queries/passages.ts';
import type { Sql } from '../../db/pool.ts';
import type { AnswerFormat, CitedChunk, PassageRef, QueryAnswer } from '../../workflows/query-contract.ts';
import { postOpenAi } from '../openai/http.ts';
import { chatMessages, extractiveAnswer, fitToBudget, type Passage } from './prompt.ts';

export interface AnswerInput {
  question: string;
  passages: PassageRef[];
  answerFormat: AnswerFormat;
  includeCitedChunks: boolean;
}

interface ChatAnswer {
  model?: string;
  choices?: { message?: { content?: string | null } }[];
}

/** A chat endpoint is configured: answers are written by its model. */
export const llmConfigured = (config: Config) => config.llm_base_url !== '';

/**
 * Answers the question from the passages: the chat endpoint (llm_base_url)
 * writes it, citing passages by number; without one, the passages themselves
 * are the answer, labelled extractive. Passage text is read here, from the
 * database, so it never crosses the workflow's history.
 */
export async function answerQuestion(config: Config, sql: Sql, input: AnswerInput): Promise<QueryAnswer> {
  const texts = await chunkTexts(sql, input.passages);
  // A chunk replaced since retrieval (its document processed again) keeps its snippet.
  const passages: Passage[] = input.passages.map((p) => ({
    ...p,
    text: texts.get(chunkKey(p.documentId, p.ordinal)) ?? p.snippet,
  }));
  const citedChunks = input.includeCitedChunks ? passages.map(citedChunkOf) : undefined;
  const withCited = (answer: QueryAnswer): QueryAnswer => (citedChunks ? { ...answer, citedChunks } : answer);

  if (passages.length === 0) {
    return withCited({ answer: 'No passage matches the question.', answerType: 'extractive', model: null });
  }
  const fitted = fitToBudget(passages, config.query_context_chars);
  if (!llmConfigured(config)) {
    return withCited({ answer: extractiveAnswer(fitted), answerType: 'extractive', model: null });
  }
  // A cancelled query stops waiting for the model at once.
  const reply = await Promise.race([
    postOpenAi<ChatAnswer>(
      { openai_base_url: config.llm_base_url, openai_timeout_seconds: config.llm_timeout_seconds },
      '/chat/completions',
      { model: config.llm_model, temperature: 0, messages: chatMessages(input.question, fitted, input.answerFormat) },
    ),
    Context.current().cancelled,
  ]);
  const content = reply.choices?.[0]?.message?.content?.trim();
  if (!content) {
    throw ApplicationFailure.retryable('the chat endpoint answered without content', 'OpenAiBadAnswer');
  }
  return withCited({ answer: content, answerType: 'generated', model: reply.model ?? config.llm_model });
}

function citedChunkOf(passage: Passage): CitedChunk {
  return {
    chunk_id: chunkKey(passage.documentId, passage.ordinal),
    document_id: passage.documentId,
    document_title: passage.documentName,
    page: passage.pageStart,
    text: passage.text,
  };
}
