import type { z } from 'zod';
import type { Collection, CollectionWithDocuments } from '../schemas/collections.ts';
import type { ApiHttp } from './http.ts';

export type CollectionJson = z.infer<typeof Collection>;
export type CollectionDetailJson = z.infer<typeof CollectionWithDocuments>;

export function collectionsApi(http: ApiHttp) {
  const ref = (collection: string) => `/collections/${encodeURIComponent(collection)}`;
  return {
    create: (name: string, description?: string) =>
      http.request<CollectionJson>('POST', '/collections', { json: { name, description } }),
    list: (page: { limit?: number; offset?: number } = {}) =>
      http.request<{ collections: CollectionJson[]; total: number; limit: number; offset: number }>(
        'GET',
        '/collections',
        { query: page },
      ),
    get: (collection: string, page: { limit?: number; offset?: number } = {}) =>
      http.request<CollectionDetailJson>('GET', ref(collection), { query: page }),
    delete: (collection: string) =>
      http.request<{ id: string; name: string; deleted_documents: number }>('DELETE', ref(collection)),
  };
}
