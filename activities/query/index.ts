import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import { answerQuestion, type AnswerInput } from './answer.ts';
import { retrievePassages, type RetrieveInput } from './retrieve.ts';

export interface QueryDeps {
  config: Config;
  sql: Sql;
}

/** The activities of the query workflow (workflows/query.ts): retrieve, then answer. */
export function createQueryActivities(deps: QueryDeps) {
  const { config, sql } = deps;
  return {
    retrievePassages: (input: RetrieveInput) => retrievePassages(config, sql, input),
    answerQuestion: (input: AnswerInput) => answerQuestion(config, sql, input),
  };
}

export type QueryActivities = ReturnType<typeof createQueryActivities>;
