import { z } from 'zod';
// Extends zod with .openapi() before the schemas below use it.
import '../openapi/registry.ts';

/**
 * A task id is a workflow id we made (`collection-analysis:<uuid>:<n>`,
 * `batch-process:<uuid>`, `document:<uuid>:<n>`): letters, digits and `:._-`,
 * at most 300 characters. Text of another shape cannot name one of our tasks,
 * so it is "not found" without asking Temporal; longer text is refused (400).
 */
const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,299}$/;

export function isWellFormedTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}

export const TaskId = z
  .string()
  .min(1)
  .max(300)
  .openapi({ description: 'Task id (= workflow id)', example: 'batch-process:4f0c…' });

/** The `{id}` of /tasks/{id}/… routes. */
export const TaskPath = z.object({ id: TaskId });

/**
 * A document id is a UUID (36 characters); GET and DELETE also take a unique
 * start of one. Both verbs answer alike: text longer than a UUID is refused
 * (400), any other text that names no document, UUID-shaped or not, is 404,
 * and a start shared by several documents is 409.
 */
export const DocumentId = z.string().min(1).max(36).openapi({ description: 'Document id, or a unique start of it' });

/** The `{document}` of /documents/{document}/… routes. */
export const DocumentPath = z.object({ document: DocumentId });
