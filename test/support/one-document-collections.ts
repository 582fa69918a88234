// Collections of one document on a test stack, analysed and awaited: the
// shape of the kill tests, which compare a disturbed run with an undisturbed
// one of the same file.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import type { TestStack } from './stack.ts';

const ALL_STEPS = { build_graph: true, extract_metadata: true, generate_embeddings: true };

/** A collection named `name` holding `file` as its one uploaded document (stored on the stack's local storage). */
export async function collectionWith(
  stack: TestStack,
  name: string,
  file: FixtureFile,
): Promise<{ collectionId: string; documentId: string }> {
  const [{ id: collectionId }] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
  const key = `${collectionId}/${file.filename}`;
  await mkdir(path.dirname(stack.storage.localPath(key)), { recursive: true });
  await writeFile(stack.storage.localPath(key), file.bytes);
  const [{ id: documentId }] = await stack.sql`
    INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
    VALUES (${collectionId}, ${file.filename}, ${key}, ${file.mimeType}, ${file.bytes.length}, ${name}) RETURNING id`;
  return { collectionId, documentId };
}

/** Starts the analysis of the collection's pending documents with every step; its task id. */
export async function analyseAll(stack: TestStack, collectionId: string): Promise<string> {
  const deps = { temporal: stack.temporal, config: stack.config, sql: stack.sql };
  return (await startCollectionAnalysis(deps, { collectionId, selection: 'pending', options: ALL_STEPS })).task_id;
}

/** The analysis's end: its status and counts. */
export async function analysisOutcome(stack: TestStack, taskId: string) {
  const result = (await stack.temporal.workflow.getHandle(taskId).result()) as CollectionAnalysisResult;
  return { status: result.status, processed: result.processed, failed: result.failed };
}
