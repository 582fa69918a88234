import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ensureApplicationFailure } from '@temporalio/common';
import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import { eachChunk, replaceChunks, replaceMentions, storeEmbeddings, type MentionInsert } from '../db/queries/chunks.ts';
import type { DocumentStorage } from '../storage/local-storage.ts';
import type { ProcessingOptions } from '../workflows/collection-analysis-contract.ts';
import { chunkSections } from './chunking/chunker.ts';
import { createEmbeddingProvider } from './embeddings/provider.ts';
import { extractDocument, UnreadableDocumentError, type FileProperties } from './extraction/index.ts';
import { entitiesOf } from './graph/entities.ts';
import { buildMetadata } from './metadata/build.ts';
import { countWords } from './metadata/text-analysis.ts';

export interface DocumentProcessingDeps {
  config: Config;
  sql: Sql;
  storage: DocumentStorage;
}

export interface DocumentRef {
  documentId: string;
}

/** The steps of one document, in order; a failure is reported as "<step>: <reason>". */
export type DocumentStep = 'extract' | 'metadata' | 'embeddings' | 'graph';

/** What each heartbeat carries: the step it came from, so a timed-out attempt still says where it was. */
export interface StepHeartbeat {
  step: DocumentStep;
  progress?: unknown;
}

/** Heartbeats with the step's progress, and stops the step when the workflow asked for cancellation. */
type Checkpoint = (progress?: unknown) => void;

/** What the extraction step leaves in documents.metadata.extraction, for the steps after it. */
export interface ExtractionRecord {
  format: string;
  encoding?: string;
  page_unit: 'page' | 'chapter' | null;
  file_properties: FileProperties;
  word_count: number;
  char_count: number;
  chunk_count: number;
}

interface StepRow {
  id: string;
  collection_id: string;
  original_filename: string;
  storage_key: string;
  mime_type: string;
  page_count: number | null;
  metadata: { extraction?: ExtractionRecord } & Record<string, unknown>;
}

/**
 * The per-document steps. Each is idempotent: it replaces what an earlier run
 * of the same step wrote (chunks, vectors, mentions, metadata keys), so a
 * retry or a re-run leaves the same rows. Each marks the step it is at, so the
 * document's row says where processing stands.
 */
export function createDocumentProcessingActivities(deps: DocumentProcessingDeps) {
  const { config, sql, storage } = deps;

  /** Marks the document `processing` at `step` and loads it, in one round trip. */
  async function beginStep(documentId: string, step: string): Promise<StepRow> {
    const [row] = await sql<StepRow[]>`
      UPDATE documents SET status = 'processing', processing_step = ${step}, error = NULL, updated_at = now()
      WHERE id = ${documentId}
      RETURNING id, collection_id, original_filename, storage_key, mime_type, page_count, metadata`;
    if (!row) throw ApplicationFailure.nonRetryable(`document ${documentId} does not exist (deleted while processing?)`, 'DocumentNotFound');
    return row;
  }

  function checkpointAt(step: DocumentStep): Checkpoint {
    return (progress) => {
      const context = Context.current();
      context.heartbeat({ step, progress } satisfies StepHeartbeat);
      if (context.cancellationSignal.aborted) throw new CancelledFailure('document processing cancelled');
    };
  }

  const requireExtraction = (row: StepRow): ExtractionRecord => {
    const extraction = row.metadata.extraction;
    if (!extraction) throw ApplicationFailure.nonRetryable(`document ${row.id} has not been extracted yet`, 'DocumentNotFound');
    return extraction;
  };

  /** Reads the stored file, extracts its text, and replaces its chunks (one transaction). */
  async function extract(documentId: string, checkpoint: Checkpoint): Promise<{ chunks: number; pages: number | null }> {
    const row = await beginStep(documentId, 'extract');
    if (!(await storage.exists(row.storage_key))) {
      throw ApplicationFailure.nonRetryable(`missing_file: the stored file ${row.storage_key} of ${row.original_filename} is missing`, 'UnreadableDocument');
    }
    let extracted;
    try {
      extracted = await extractDocument(storage.localPath(row.storage_key), row.mime_type, row.original_filename, () => checkpoint('extracting'));
    } catch (error) {
      if (error instanceof UnreadableDocumentError) throw ApplicationFailure.nonRetryable(`${error.reason}: ${error.message}`, 'UnreadableDocument');
      throw error;
    }
    checkpoint('chunking');
    const chunks = chunkSections(extracted.sections, { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens });
    checkpoint('storing');
    await replaceChunks(
      sql,
      documentId,
      chunks.map((chunk) => ({
        ordinal: chunk.ordinal,
        text: chunk.text,
        token_count: chunk.tokenCount,
        page_start: chunk.pageStart,
        page_end: chunk.pageEnd,
        metadata: { char_start: chunk.charStart, char_end: chunk.charEnd, own_start: chunk.ownStart },
      })),
    );
    const record: ExtractionRecord = {
      format: extracted.format,
      encoding: extracted.encoding,
      page_unit: extracted.pageUnit,
      file_properties: extracted.properties,
      word_count: extracted.sections.reduce((sum, section) => sum + countWords(section.text), 0),
      char_count: extracted.sections.reduce((sum, section) => sum + section.text.length, 0),
      chunk_count: chunks.length,
    };
    await sql`UPDATE documents SET page_count = ${extracted.pageCount},
                metadata = metadata || ${sql.json({ extraction: record } as never)}::jsonb, updated_at = now()
              WHERE id = ${documentId}`;
    return { chunks: chunks.length, pages: extracted.pageCount };
  }

  /** Title, authors, dates, language, keywords, counts, DOI; from the file, the text and (when configured) a chat model. */
  async function metadata(documentId: string, checkpoint: Checkpoint): Promise<{ fields: string[] }> {
    const row = await beginStep(documentId, 'metadata');
    const extraction = requireExtraction(row);
    const analysis = await buildMetadata({
      config,
      filename: row.original_filename,
      extraction,
      pageCount: row.page_count,
      chunkPages: eachChunk(sql, documentId),
      heartbeat: () => checkpoint(),
    });
    await sql`UPDATE documents SET metadata = metadata || ${sql.json({ analysis } as never)}::jsonb, updated_at = now()
              WHERE id = ${documentId}`;
    return { fields: Object.keys(analysis.field_sources) };
  }

  /** A vector for every chunk, `embedding_batch_size` chunks per provider call. */
  async function embeddings(documentId: string, checkpoint: Checkpoint): Promise<{ embedded: number; provider: string; dimension: number }> {
    await beginStep(documentId, 'embeddings');
    const provider = createEmbeddingProvider(config);
    let embedded = 0;
    for await (const page of eachChunk(sql, documentId, provider.batchSize * 4)) {
      for (let i = 0; i < page.length; i += provider.batchSize) {
        const batch = page.slice(i, i + provider.batchSize);
        const vectors = await provider.embed(batch.map((chunk) => chunk.text));
        await storeEmbeddings(sql, documentId, batch.map((chunk, k) => ({ ordinal: chunk.ordinal, embedding: vectors[k] })));
        embedded += batch.length;
        checkpoint({ embedded });
        await yieldToEventLoop();
      }
    }
    return { embedded, provider: provider.name, dimension: provider.dimension };
  }

  /** People, organisations, places and key terms per chunk, replacing the document's earlier mentions. */
  async function entities(documentId: string, checkpoint: Checkpoint): Promise<{ mentions: number }> {
    const row = await beginStep(documentId, 'graph');
    const mentions: MentionInsert[] = [];
    for await (const page of eachChunk(sql, documentId)) {
      for (const chunk of page) {
        for (const entity of entitiesOf(chunk.text)) mentions.push({ chunk_ordinal: chunk.ordinal, kind: entity.kind, name: entity.name });
        // Tagging is CPU-bound: let the worker's event loop (workflow activations, polls, heartbeats) breathe between chunks.
        await yieldToEventLoop();
      }
      checkpoint({ mentions: mentions.length });
    }
    await replaceMentions(sql, row.collection_id, documentId, mentions);
    return { mentions: mentions.length };
  }

  /** Runs one step of processDocument: a heartbeat (and cancellation check) first, its failure named after it. */
  async function atStep<T>(step: DocumentStep, run: (documentId: string, checkpoint: Checkpoint) => Promise<T>, documentId: string): Promise<T> {
    const checkpoint = checkpointAt(step);
    try {
      checkpoint('starting');
      return await run(documentId, checkpoint);
    } catch (error) {
      throw failureAtStep(step, error);
    }
  }

  return {
    /**
     * Every step of one document in one activity (one server round trip
     * instead of four): extract and chunk, then metadata, embeddings and
     * graph entities as the options ask. Each step marks the row with its
     * name as it starts and heartbeats as it goes; a failure says
     * "<step>: <reason>" and keeps its type, so unreadable files still fail
     * at once. A retry reruns the steps, each replacing what it wrote before.
     */
    async processDocument({ documentId, options }: DocumentRef & { options: ProcessingOptions }): Promise<{ chunks: number; pages: number | null }> {
      const extracted = await atStep('extract', extract, documentId);
      if (options.extract_metadata) await atStep('metadata', metadata, documentId);
      if (options.generate_embeddings) await atStep('embeddings', embeddings, documentId);
      if (options.build_graph) await atStep('graph', entities, documentId);
      return extracted;
    },

    // The steps one activity each: histories recorded before processDocument, and the bare loop of bench/p1, call these.
    extractAndChunkDocument: ({ documentId }: DocumentRef) => extract(documentId, checkpointAt('extract')),
    extractDocumentMetadata: ({ documentId }: DocumentRef) => metadata(documentId, checkpointAt('metadata')),
    embedDocumentChunks: ({ documentId }: DocumentRef) => embeddings(documentId, checkpointAt('embeddings')),
    extractDocumentEntities: ({ documentId }: DocumentRef) => entities(documentId, checkpointAt('graph')),

    async markDocumentProcessed({ documentId }: DocumentRef): Promise<void> {
      await sql`UPDATE documents SET status = 'processed', processing_step = NULL, error = NULL, updated_at = now() WHERE id = ${documentId}`;
    },

    /** Keeps processing_step, so the row says which step failed. */
    async markDocumentFailed({ documentId, error }: DocumentRef & { error: string }): Promise<void> {
      await sql`UPDATE documents SET status = 'failed', error = ${error.slice(0, 2_000)}, updated_at = now() WHERE id = ${documentId}`;
    },

    async markDocumentCancelled({ documentId }: DocumentRef): Promise<void> {
      await sql`UPDATE documents SET status = 'cancelled', error = 'processing was cancelled', updated_at = now()
                WHERE id = ${documentId} AND status <> 'processed'`;
    },
  };
}

export type DocumentProcessingActivities = ReturnType<typeof createDocumentProcessingActivities>;

/**
 * A step's error as processDocument reports it: "<step>: <reason>", the
 * reason being the innermost message (what the workflow showed when each step
 * was its own activity), with the error's type, retryability and stack kept.
 * A cancellation passes through untouched.
 */
export function failureAtStep(step: DocumentStep, error: unknown): unknown {
  if (error instanceof CancelledFailure || Context.current().cancellationSignal.aborted) return error;
  const original = ensureApplicationFailure(error);
  let innermost = error as { message?: string; cause?: unknown } | undefined;
  while (innermost?.cause) innermost = innermost.cause as typeof innermost;
  const failure = ApplicationFailure.create({
    message: `${step}: ${innermost?.message || String(error)}`,
    type: original.type ?? undefined,
    nonRetryable: original.nonRetryable ?? undefined,
    details: original.details ?? undefined,
    nextRetryDelay: original.nextRetryDelay,
    category: original.category ?? undefined,
  });
  if (original.stack) failure.stack = original.stack;
  return failure;
}
