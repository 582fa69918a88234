// Putting documents into a collection without the upload path (for the
// benchmarks that measure processing, not uploading), and reading histories.
import { mapWithConcurrency } from '../../common/concurrency.ts';
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/pool.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import { allowedTypeFor } from '../../api/uploads/allowed-types.ts';

export async function createCollection(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
  return row.id;
}

/**
 * Stores each file under the collection the way a committed upload leaves it:
 * hashed, copied into storage, one row each (inserted 500 at a time).
 */
export async function storeDocuments(
  sql: Sql,
  storage: DocumentStorage,
  collectionId: string,
  files: { path: string; size: number }[],
  concurrency = 8,
): Promise<string[]> {
  const rows = await mapWithConcurrency(files, concurrency, async (file) => {
    const bytes = await readFile(file.path);
    const name = path.basename(file.path);
    const type = allowedTypeFor(name);
    if (!type) throw new Error(`not an accepted type: ${name}`);
    const id = randomUUID();
    const key = `${collectionId}/${id}.${type.extension}`;
    await storage.put(key, bytes);
    return {
      id,
      collection_id: collectionId,
      original_filename: name,
      storage_key: key,
      mime_type: type.mime,
      size_bytes: bytes.length,
      content_hash: createHash('sha256').update(bytes).digest('hex'),
    };
  });
  for (let i = 0; i < rows.length; i += 500) {
    await sql`INSERT INTO documents ${sql(rows.slice(i, i + 500), 'id', 'collection_id', 'original_filename', 'storage_key', 'mime_type', 'size_bytes', 'content_hash')}`;
  }
  return rows.map((row) => row.id);
}

const ms = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : NaN;

export interface RunRef {
  workflowId: string;
  runId: string;
  type: string;
  historyLength: number;
}

/** Every run (continued-as-new runs each count) matching a visibility query. */
export async function listRuns(client: Client, query: string): Promise<RunRef[]> {
  const runs: RunRef[] = [];
  for await (const execution of client.workflow.list({ query })) {
    runs.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      historyLength: execution.historyLength,
    });
  }
  return runs;
}

/** Event count of each run, from fetchHistory; the largest first. */
export async function historySizes(
  client: Client,
  runs: RunRef[],
  concurrency = 8,
): Promise<(RunRef & { events: number })[]> {
  const sized = await mapWithConcurrency(runs, concurrency, async (run) => {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    return { ...run, events: history.events?.length ?? 0 };
  });
  return sized.sort((a, b) => b.events - a.events);
}

export interface ChildTiming {
  totalMs: number;
  /** Activity task scheduled → started, summed: waiting for a slot/poll. */
  queueMs: number;
  /** Activity task started → completed, summed: the work itself. */
  runMs: number;
  /** Everything else: workflow tasks, local activities, round trips between steps. */
  otherMs: number;
  activities: number;
}

/** Where one workflow run's time went, from its history's event times. */
export async function timingOf(client: Client, workflowId: string, runId?: string): Promise<ChildTiming> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<number, number>();
  const started = new Map<number, number>();
  let queueMs = 0;
  let runMs = 0;
  let activities = 0;
  for (const event of events) {
    const at = ms(event.eventTime);
    const id = Number(event.eventId);
    if (event.activityTaskScheduledEventAttributes) scheduled.set(id, at);
    const start = event.activityTaskStartedEventAttributes;
    if (start) {
      started.set(Number(start.scheduledEventId), at);
      queueMs += at - (scheduled.get(Number(start.scheduledEventId)) ?? at);
    }
    const done = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
    if (done) {
      runMs += at - (started.get(Number(done.scheduledEventId)) ?? at);
      activities++;
    }
  }
  const totalMs = ms(events[events.length - 1]?.eventTime) - ms(events[0]?.eventTime);
  return { totalMs, queueMs, runMs, otherMs: totalMs - queueMs - runMs, activities };
}

/** Polls until the workflow (following continue-as-new) has closed; returns its result. */
export async function resultOf<T>(client: Client, workflowId: string): Promise<T> {
  return client.workflow.getHandle(workflowId).result() as Promise<T>;
}
