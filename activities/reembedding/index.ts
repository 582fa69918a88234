import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { recordEmbeddingProvider } from '../../db/queries/analysis.ts';
import { ensureVectorIndexEarly } from '../../db/queries/vector-index-early.ts';
import { vectorWrites } from '../../db/vectors-per-write.ts';
import { eachChunk } from '../../db/queries/chunks.ts';
import { findEmbeddingProvider } from '../../db/queries/collections.ts';
import {
  clearReembedded,
  countProcessedDocuments,
  labelReembedding,
  markReembedded,
  processedDocumentsAfter,
  replaceVectorsOfUnchangedChunks,
} from '../../db/queries/reembedding.ts';
import type { Sql } from '../../db/pool.ts';
import { reembeddingLabel, type ReembeddedPage, type ReembeddingPlan } from '../../workflows/reembedding-contract.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import { createEmbeddingProvider, type EmbeddingProvider } from '../embeddings/provider.ts';
import type { TextWork } from '../text-work/pool.ts';

export interface ReembeddingDeps {
  config: Config;
  sql: Sql;
  textWork: TextWork;
}

/** What a reembedDocuments attempt heartbeats: how far it got (a retry finds the documents done in reembedded_documents). */
interface ReembeddingHeartbeat {
  lastId: string | null;
  documents: number;
  chunks: number;
}

/** Chunks read (and embedded) at a time. */
const CHUNK_PAGE = 100;

/** The activities of reembedCollection (workflows/reembedding.ts). */
export function createReembeddingActivities(deps: ReembeddingDeps) {
  const { config, sql } = deps;

  /** The configured provider, which must still be the one the run began with. */
  const providerFor = (target: string): EmbeddingProvider => {
    const provider = createEmbeddingProvider(config);
    if (provider.name !== target) {
      throw ApplicationFailure.nonRetryable(
        `the configured embedding provider is ${provider.name}, not ${target} as when this re-embedding began; start it again`,
        'ProviderChanged',
      );
    }
    return provider;
  };

  async function vectorsOf(provider: EmbeddingProvider, texts: string[], signal: AbortSignal): Promise<number[][]> {
    // The hashing provider is CPU work: in the thread pool, so heartbeats and cancels keep flowing.
    if (provider instanceof HashingEmbeddingProvider) {
      return deps.textWork.run('embedTexts', { texts, dimension: provider.dimension }, { signal });
    }
    // A remote call may hang: a cancel (or the worker's shutdown) ends the attempt without waiting for it.
    const context = Context.current();
    const vectors: number[][] = [];
    for (let i = 0; i < texts.length; i += provider.batchSize) {
      vectors.push(
        ...(await Promise.race([provider.embed(texts.slice(i, i + provider.batchSize)), context.cancelled])),
      );
    }
    return vectors;
  }

  /** Every chunk of one document, a page at a time; heartbeats between pages. Returns the vectors written. */
  async function reembedDocument(
    provider: EmbeddingProvider,
    documentId: string,
    context: Context,
    progress: ReembeddingHeartbeat,
  ): Promise<number> {
    let written = 0;
    for await (const page of eachChunk(sql, documentId, CHUNK_PAGE)) {
      if (context.cancellationSignal.aborted) throw new CancelledFailure('re-embedding cancelled');
      context.heartbeat(progress);
      const vectors = await vectorsOf(
        provider,
        page.map((chunk) => chunk.text),
        context.cancellationSignal,
      );
      const rows = page.map((chunk, k) => ({ ordinal: chunk.ordinal, text: chunk.text, embedding: vectors[k] }));
      for (const write of vectorWrites(rows)) written += await replaceVectorsOfUnchangedChunks(sql, documentId, write);
      if (vectors.length > 0) await ensureVectorIndexEarly(sql, vectors[0].length);
    }
    return written;
  }

  return {
    /**
     * Marks the collection's vectors as being replaced by the configured
     * provider's (search goes by text meanwhile) and counts the processed
     * documents to re-embed. Idempotent: a retry marks it again.
     */
    async beginReembedding(input: { collectionId: string }): Promise<ReembeddingPlan> {
      const target = createEmbeddingProvider(config).name;
      const labelled = await labelReembedding(sql, input.collectionId, reembeddingLabel(target));
      if (!labelled)
        throw ApplicationFailure.nonRetryable(`collection ${input.collectionId} is gone`, 'CollectionNotFound');
      const { documents } = await countProcessedDocuments(sql, input.collectionId);
      const previous = labelled.previous === reembeddingLabel(target) ? null : labelled.previous;
      return { target, previous, total: documents, taskQueue: config.document_task_queue };
    },

    /**
     * Re-embeds the next `reembedding_documents_per_activity` processed
     * documents after `afterId`, every chunk of each, and records each one
     * done (reembedded_documents): a retry (a killed worker) skips those.
     */
    async reembedDocuments(input: {
      collectionId: string;
      target: string;
      afterId: string | null;
    }): Promise<ReembeddedPage> {
      const context = Context.current();
      const provider = providerFor(input.target);
      const done: ReembeddingHeartbeat = { lastId: input.afterId, documents: 0, chunks: 0 };
      const perActivity = config.reembedding_documents_per_activity;
      const page = await processedDocumentsAfter(sql, input.collectionId, input.afterId, perActivity + 1, input.target);
      for (const document of page.slice(0, perActivity)) {
        // Re-embedded by an attempt that died after it: done, not again.
        if (!document.done) done.chunks += await reembedDocument(provider, document.id, context, done);
        await markReembedded(sql, input.collectionId, document.id, input.target);
        done.lastId = document.id;
        done.documents += 1;
        context.heartbeat(done);
      }
      return { ...done, more: page.length > perActivity };
    },

    /**
     * Labels the collection with the provider its vectors now all come from
     * (and their dimension): search may use them again. Only while the mark of
     * this re-embedding is on it.
     */
    async finishReembedding(input: { collectionId: string; target: string }): Promise<{ dimension: number | null }> {
      const current = await findEmbeddingProvider(sql, input.collectionId);
      if (!current)
        throw ApplicationFailure.nonRetryable(`collection ${input.collectionId} is gone`, 'CollectionNotFound');
      if (current.embedding_provider === reembeddingLabel(input.target)) {
        await recordEmbeddingProvider(sql, input.collectionId, input.target);
      }
      await clearReembedded(sql, input.collectionId);
      const after = await findEmbeddingProvider(sql, input.collectionId);
      return { dimension: after?.embedding_dimension ?? null };
    },
  };
}

export type ReembeddingActivities = ReturnType<typeof createReembeddingActivities>;
