import type { z } from 'zod';
import type { ProcessAnswer, ProcessBody, ProcessingStatus } from '../schemas/analysis.ts';
import type { ApiHttp } from './http.ts';

export type ProcessOptions = z.input<typeof ProcessBody>;
export type ProcessAnswerJson = z.infer<typeof ProcessAnswer>;
export type ProcessingStatusJson = z.infer<typeof ProcessingStatus>;

/** Collection analysis: start it and read where the collection stands (follow the task through `tasks`). */
export function analysisApi(http: ApiHttp) {
  const collection = (ref: string) => `/collections/${encodeURIComponent(ref)}`;
  return {
    process: (ref: string, options: ProcessOptions = {}) =>
      http.request<ProcessAnswerJson>('POST', `${collection(ref)}/process`, { json: options }),
    processingStatus: (ref: string) =>
      http.request<ProcessingStatusJson>('GET', `${collection(ref)}/processing-status`),
  };
}
