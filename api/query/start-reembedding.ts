import { countProcessedDocuments } from '../../db/queries/reembedding.ts';
import { findEmbeddingProvider } from '../../db/queries/collections.ts';
import { createEmbeddingProvider } from '../../activities/embeddings/provider.ts';
import {
  launchReembedding,
  needsReembedding,
  ReembeddingAlreadyRunningError,
} from '../../activities/reembedding/launch.ts';
import { runningAnalysis } from '../analysis/processing-status.ts';
import { loadCollection } from '../collections/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

/**
 * Starts re-embedding a collection whose vectors are another provider's (or
 * dimension's) than the configured one, or were left half-replaced; `force`
 * re-embeds even when they match. Refused: an unknown collection (404), one
 * with nothing to re-embed, one whose vectors match, one being analysed or
 * re-embedded already (409, naming the running task).
 */
export async function startReembedding(
  deps: Pick<ApiDeps, 'sql' | 'temporal' | 'config'>,
  ref: string,
  force: boolean,
) {
  const { sql, temporal, config } = deps;
  const collection = await loadCollection(sql, ref);
  const label = (await findEmbeddingProvider(sql, collection.id))?.embedding_provider ?? null;
  const target = createEmbeddingProvider(config).name;
  const { documents, chunks } = await countProcessedDocuments(sql, collection.id);
  if (chunks === 0) {
    throw new ApiError(409, 'nothing_to_reembed', `collection '${collection.name}' has no processed chunks to embed`, {
      id: collection.id,
    });
  }
  if (!force && !needsReembedding(config, label)) {
    const message =
      label === null
        ? `collection '${collection.name}' has no vectors yet; processing it embeds them with ${target}`
        : `collection '${collection.name}' already has ${target} vectors; pass force to embed them again`;
    throw new ApiError(409, 'embeddings_current', message, { id: collection.id, provider: label, configured: target });
  }
  const analysis = await runningAnalysis(deps, collection.id);
  if (analysis) {
    throw new ApiError(
      409,
      'collection_busy',
      `collection '${collection.name}' is being processed by task ${analysis}; re-embed it once that ends`,
      {
        id: collection.id,
        task_id: analysis,
      },
    );
  }
  try {
    const started = await launchReembedding(temporal, config, { ...collection, embedding_provider: label });
    return { task_id: started.task_id, collection_id: collection.id, from: label, to: started.target, documents };
  } catch (error) {
    if (error instanceof ReembeddingAlreadyRunningError) {
      throw new ApiError(409, 'reembedding_running', error.message, { id: collection.id, task_id: error.taskId });
    }
    throw error;
  }
}
