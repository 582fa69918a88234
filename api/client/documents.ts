import type { z } from 'zod';
import type { ChunkPage, DocumentDetail } from '../schemas/analysis.ts';
import type { DeletedDocument } from '../schemas/uploads.ts';
import type { ApiHttp } from './http.ts';

export type DocumentDetailJson = z.infer<typeof DocumentDetail>;
export type ChunkPageJson = z.infer<typeof ChunkPage>;

/** One document (whole id, or a unique start of it): read it, page through its chunks, delete it. */
export function documentsApi(http: ApiHttp) {
  const ref = (id: string) => `/documents/${encodeURIComponent(id)}`;
  return {
    get: (id: string) => http.request<DocumentDetailJson>('GET', ref(id)),
    /** One page of chunks: by cursor (`after`, the previous page's next_after) or by offset. */
    chunks: (id: string, page: { limit?: number; after?: number; offset?: number } = {}) =>
      http.request<ChunkPageJson>('GET', `${ref(id)}/chunks`, { query: page }),
    delete: (id: string) => http.request<z.infer<typeof DeletedDocument>>('DELETE', ref(id)),
  };
}
