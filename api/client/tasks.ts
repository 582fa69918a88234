import type { z } from 'zod';
import type {
  BatchCancelAnswer,
  BatchCancelBody,
  CancelResult,
  ListTasksQuery,
  TaskList,
  TaskStatus,
} from '../schemas/tasks.ts';
import type { ApiHttp } from './http.ts';

export type BatchCancelJson = z.infer<typeof BatchCancelAnswer>;
export type TaskStatusJson = z.infer<typeof TaskStatus>;

export function tasksApi(http: ApiHttp) {
  const ref = (id: string) => `/tasks/${encodeURIComponent(id)}`;
  return {
    list: (filters: Partial<Omit<z.input<typeof ListTasksQuery>, 'limit'>> & { limit?: number } = {}) =>
      http.request<z.infer<typeof TaskList>>('GET', '/tasks', { query: filters }),
    /** GET /tasks/{id}/status: Temporal status, progress, result and error of one task. */
    status: (id: string) => http.request<TaskStatusJson>('GET', `${ref(id)}/status`),
    /** A cancel's `status` says CANCELLED once the task closed within wait_seconds, CANCELLING while its cleanup still runs. */
    cancel: (id: string, options: { terminate?: boolean; reason?: string; wait_seconds?: number } = {}) =>
      http.request<z.infer<typeof CancelResult>>('POST', `${ref(id)}/cancel`, { json: options }),
    batchCancel: (body: z.input<typeof BatchCancelBody>) =>
      http.request<BatchCancelJson>('POST', '/tasks/batch/cancel', { json: body }),
  };
}
