import type { z } from 'zod';
import type { ChunkPage, DocumentDetail, ProcessAnswer, ProcessBody, ProcessingStatus, TaskStatus } from '../schemas/analysis.ts';
import type { ApiHttp } from './http.ts';

export type ProcessOptions = z.input<typeof ProcessBody>;
export type ProcessAnswerJson = z.infer<typeof ProcessAnswer>;
export type TaskStatusJson = z.infer<typeof TaskStatus>;
export type ProcessingStatusJson = z.infer<typeof ProcessingStatus>;
export type DocumentDetailJson = z.infer<typeof DocumentDetail>;
export type ChunkPageJson = z.infer<typeof ChunkPage>;

/** Collection analysis: start it, follow it, read what it produced. */
export function analysisApi(http: ApiHttp) {
  const collection = (ref: string) => `/collections/${encodeURIComponent(ref)}`;
  const document = (id: string) => `/documents/${encodeURIComponent(id)}`;
  return {
    process: (ref: string, options: ProcessOptions = {}) => http.request<ProcessAnswerJson>('POST', `${collection(ref)}/process`, { json: options }),
    processingStatus: (ref: string) => http.request<ProcessingStatusJson>('GET', `${collection(ref)}/processing-status`),
    taskStatus: (taskId: string) => http.request<TaskStatusJson>('GET', `/tasks/${encodeURIComponent(taskId)}/status`),
    document: (id: string) => http.request<DocumentDetailJson>('GET', document(id)),
    /** One page of chunks: by cursor (`after`, the previous page's next_after) or by offset. */
    chunks: (id: string, page: { limit?: number; after?: number; offset?: number } = {}) => http.request<ChunkPageJson>('GET', `${document(id)}/chunks`, { query: page }),
  };
}
