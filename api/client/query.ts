import type { z } from 'zod';
import type { QueryBody, QueryStarted, ReembedBody, ReembeddingStarted } from '../schemas/query.ts';
import type { ApiHttp } from './http.ts';

export type QueryOptions = Omit<z.input<typeof QueryBody>, 'question'>;
export type QueryStartedJson = z.infer<typeof QueryStarted>;
export type ReembeddingStartedJson = z.infer<typeof ReembeddingStarted>;

/** Questions over a collection and re-embedding it: each starts a task (follow it through `tasks`). */
export function queryApi(http: ApiHttp) {
  const collection = (ref: string) => `/collections/${encodeURIComponent(ref)}`;
  return {
    ask: (ref: string, question: string, options: QueryOptions = {}) =>
      http.request<QueryStartedJson>('POST', `${collection(ref)}/query`, { json: { question, ...options } }),
    reembed: (ref: string, options: z.input<typeof ReembedBody> = {}) =>
      http.request<ReembeddingStartedJson>('POST', `${collection(ref)}/reembed`, { json: options }),
  };
}
