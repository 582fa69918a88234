import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { executionStatusFromRaw, VISIBILITY_STATUS, type ExecutionStatus } from './execution-status.ts';

export interface TaskFilters {
  collectionId?: string;
  batchId?: string;
  /** One status, or any of several. */
  status?: Exclude<ExecutionStatus, 'UNKNOWN'> | Exclude<ExecutionStatus, 'UNKNOWN'>[];
  kind?: string;
  /** Only tasks that closed after this instant. */
  closedAfter?: Date;
  /** Only tasks whose Outcome search attribute is this (analyses and batches set it as they end). */
  outcome?: string;
}

export interface TaskSummary {
  task_id: string;
  kind: string | null;
  status: ExecutionStatus;
  collection_id: string | null;
  batch_id: string | null;
  started_at: string | null;
  closed_at: string | null;
  /** How an analysis or batch ended (its Outcome search attribute); null for other tasks, running ones and runs closed before it existed. */
  outcome: string | null;
}

/** Values that go into a visibility query: the route validates them to this shape first. */
export const QUERY_VALUE = /^[A-Za-z0-9_.:-]{1,200}$/;

/** A visibility query over our search attributes; values are checked, then quoted. */
function buildTaskQuery(filters: TaskFilters): string {
  const clauses: string[] = [];
  const add = (attribute: string, value: string | undefined) => {
    if (value === undefined) return;
    if (!QUERY_VALUE.test(value)) throw new Error(`invalid ${attribute} filter value`);
    clauses.push(`${attribute} = '${value}'`);
  };
  add('CollectionId', filters.collectionId);
  add('BatchId', filters.batchId);
  add('Kind', filters.kind);
  add('Outcome', filters.outcome);
  if (filters.status !== undefined) {
    const statuses = Array.isArray(filters.status) ? filters.status : [filters.status];
    clauses.push(`(${statuses.map((status) => `ExecutionStatus = '${VISIBILITY_STATUS[status]}'`).join(' OR ')})`);
  }
  if (filters.closedAfter) clauses.push(`CloseTime > '${filters.closedAfter.toISOString()}'`);
  // Only FileIntel's own workflows carry Kind.
  if (!filters.kind) clauses.push('Kind IS NOT NULL');
  // No ORDER BY: SQL visibility (dev server, PostgreSQL-backed clusters) refuses it.
  // Its own order is running tasks first, then by close time, newest first.
  return clauses.join(' AND ');
}

/** One page of tasks, newest first (running first), with the token of the next page. */
export async function listTasks(
  client: Client,
  namespace: string,
  filters: TaskFilters,
  page: { pageSize: number; pageToken?: string },
): Promise<{ tasks: TaskSummary[]; next_page_token: string | null }> {
  const nextPageToken = page.pageToken ? decodePageToken(page.pageToken) : undefined;
  const response = await client.connection
    .withDeadline(Date.now() + LIST_DEADLINE_MS, () =>
      client.workflowService.listWorkflowExecutions({
        namespace,
        query: buildTaskQuery(filters),
        pageSize: page.pageSize,
        nextPageToken,
      }),
    )
    .catch((error) => {
      // A well-formed token Temporal still cannot use: the caller's mistake, not ours.
      if (nextPageToken) throw new InvalidPageTokenError(`page_token not accepted: ${(error as Error).message}`);
      throw error;
    });
  const tasks = (response.executions ?? []).map(taskFromRaw);
  const token =
    response.nextPageToken && response.nextPageToken.length > 0
      ? Buffer.from(response.nextPageToken).toString('base64url')
      : null;
  return { tasks, next_page_token: token };
}

const LIST_DEADLINE_MS = 10_000;

export class InvalidPageTokenError extends Error {
  override name = 'InvalidPageTokenError';
}

/**
 * Page tokens are Temporal's, passed through base64url. Temporal's visibility
 * tokens are JSON; anything else would only make the server fail (and the
 * client retry), so it is refused here.
 */
function decodePageToken(token: string): Uint8Array {
  const bytes = Buffer.from(token, 'base64url');
  try {
    const parsed = JSON.parse(bytes.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return bytes;
  } catch {
    // fall through
  }
  throw new InvalidPageTokenError('page_token is not one this API handed out');
}

/** How many tasks match the filters (Temporal counts them; nothing is listed). */
export async function countTasks(client: Client, namespace: string, filters: TaskFilters): Promise<number> {
  const response = await client.connection.withDeadline(Date.now() + LIST_DEADLINE_MS, () =>
    client.workflowService.countWorkflowExecutions({ namespace, query: buildTaskQuery(filters) }),
  );
  return Number(response.count ?? 0);
}

/**
 * The tasks from `offset` on, at most `limit` (for callers that page by
 * offset): Temporal pages by token, so the pages before the offset are read
 * and dropped.
 */
export async function listTasksAt(
  client: Client,
  namespace: string,
  filters: TaskFilters,
  offset: number,
  limit: number,
): Promise<TaskSummary[]> {
  const wanted = offset + limit;
  const tasks: TaskSummary[] = [];
  let pageToken: string | undefined;
  do {
    const page = await listTasks(client, namespace, filters, {
      pageSize: Math.min(1_000, wanted - tasks.length),
      pageToken,
    });
    tasks.push(...page.tasks);
    pageToken = page.next_page_token ?? undefined;
  } while (pageToken && tasks.length < wanted);
  return tasks.slice(offset, wanted);
}

/** Every task id matching the filters (for cancel by selection), up to `max`. */
export async function listTaskIds(
  client: Client,
  namespace: string,
  filters: TaskFilters,
  max: number,
): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await listTasks(client, namespace, filters, { pageSize: Math.min(1_000, max), pageToken });
    ids.push(...page.tasks.map((task) => task.task_id));
    pageToken = page.next_page_token ?? undefined;
  } while (pageToken && ids.length < max);
  return ids.slice(0, max);
}

function taskFromRaw(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): TaskSummary {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  return {
    task_id: raw.execution?.workflowId ?? '',
    kind: keyword(fields.Kind),
    status: executionStatusFromRaw(raw.status),
    collection_id: keyword(fields.CollectionId),
    batch_id: keyword(fields.BatchId),
    started_at: timestamp(raw.startTime),
    closed_at: timestamp(raw.closeTime),
    outcome: keyword(fields.Outcome),
  };
}

/** Keyword search attributes arrive as JSON payloads. */
function keyword(payload: temporal.api.common.v1.IPayload | undefined): string | null {
  if (!payload?.data) return null;
  const value = JSON.parse(Buffer.from(payload.data).toString('utf8'));
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function timestamp(value: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!value) return null;
  const seconds = Number(value.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((value.nanos ?? 0) / 1e6)).toISOString();
}
