import { z } from 'zod';

/**
 * A task id is a workflow id we made: letters, digits and `:._-` only. Anything
 * else cannot name one of our tasks, so it is "not found" without asking Temporal.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,299}$/;

export const TaskIdParam = z.object({ id: z.string().min(1).max(1_000).openapi({ description: 'Task id (= workflow id)', example: 'batch-process:4f0c…' }) });

export function isWellFormedTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}
