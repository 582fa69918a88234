import type { z } from 'zod';
import type { SearchAnswer, SearchBody } from '../schemas/search.ts';
import type { ApiHttp } from './http.ts';

export type SearchOptions = Omit<z.input<typeof SearchBody>, 'query'>;
export type SearchAnswerJson = z.infer<typeof SearchAnswer>;

/** Search: ranked chunks of a collection for a query. */
export function searchApi(http: ApiHttp) {
  return {
    search: (collection: string, query: string, options: SearchOptions = {}) =>
      http.request<SearchAnswerJson>('POST', `/collections/${encodeURIComponent(collection)}/search`, {
        json: { query, ...options },
      }),
  };
}
