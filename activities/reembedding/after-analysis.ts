import { Context } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { recordEmbeddingProvider } from '../../db/queries/analysis.ts';
import { findCollection, findEmbeddingProvider } from '../../db/queries/collections.ts';
import type { Sql } from '../../db/pool.ts';
import { createEmbeddingProvider } from '../embeddings/provider.ts';
import { launchReembedding, needsReembedding, ReembeddingAlreadyRunningError } from './launch.ts';

/**
 * An analysis embedded documents: the collection is labelled with the
 * configured provider when its vectors are all that provider's. When the
 * collection's other vectors are of another provider (the config changed
 * since), labelling it would let one search mix two providers' vectors: the
 * label stays, and a re-embedding of the whole collection starts instead (or
 * is already running). Runs inside an activity (it uses the worker's client).
 */
export async function recordProviderOrReembed(sql: Sql, config: Config, collectionId: string): Promise<void> {
  const [collection, vectors] = await Promise.all([
    findCollection(sql, collectionId),
    findEmbeddingProvider(sql, collectionId),
  ]);
  if (!collection || !vectors) return;
  const label = vectors.embedding_provider;
  if (!needsReembedding(config, label)) {
    await recordEmbeddingProvider(sql, collectionId, createEmbeddingProvider(config).name);
    return;
  }
  try {
    await launchReembedding(Context.current().client, config, {
      id: collection.id,
      name: collection.name,
      embedding_provider: label,
    });
  } catch (error) {
    if (!(error instanceof ReembeddingAlreadyRunningError)) throw error;
  }
}
