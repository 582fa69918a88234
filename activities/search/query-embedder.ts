import type { Config } from '../../config/schema.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import { createEmbeddingProvider, type EmbeddingProvider } from '../embeddings/provider.ts';

/**
 * The provider that made a collection's vectors, to embed a query in the same
 * space: the hashing provider is rebuilt from its recorded name (offline, so
 * always available; the provider parses its own name, so a version bump there
 * retires the old vectors here too); another provider only when it is the
 * configured one (same name). Otherwise undefined: vectors of two providers
 * never compare.
 */
export function queryEmbedderFor(config: Config, recordedProvider: string): EmbeddingProvider | undefined {
  const hashing = HashingEmbeddingProvider.fromName(recordedProvider, config.embedding_batch_size);
  if (hashing) return hashing;
  const configured = createEmbeddingProvider(config);
  return configured.name === recordedProvider ? configured : undefined;
}
