import type { z } from 'zod';
import type { BatchCancelled, BatchProcessBody, BatchStatus, BatchSubmitted } from '../schemas/batches.ts';
import type { ApiHttp } from './http.ts';

export type BatchSubmittedJson = z.infer<typeof BatchSubmitted>;
export type BatchStatusJson = z.infer<typeof BatchStatus>;

export function batchesApi(http: ApiHttp) {
  return {
    submit: (body: z.input<typeof BatchProcessBody>) =>
      http.request<BatchSubmittedJson>('POST', '/collections/batch-process', { json: body }),
    get: (batchId: string) => http.request<BatchStatusJson>('GET', `/batches/${encodeURIComponent(batchId)}`),
    cancel: (batchId: string) =>
      http.request<z.infer<typeof BatchCancelled>>('POST', `/batches/${encodeURIComponent(batchId)}/cancel`, {
        json: {},
      }),
  };
}
