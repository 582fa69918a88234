import type { Config } from '../../config/schema.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import { createEmbeddingProvider, type EmbeddingProvider } from '../embeddings/provider.ts';

const HASHING_NAME = /^hashing-v1-(\d+)$/;

/**
 * The provider that made a collection's vectors, to embed a query in the same
 * space: the hashing provider is rebuilt from its recorded name (offline, so
 * always available); another provider only when it is the configured one
 * (same name). Otherwise undefined: vectors of two providers never compare.
 */
export function queryEmbedderFor(config: Config, recordedProvider: string): EmbeddingProvider | undefined {
  const hashing = HASHING_NAME.exec(recordedProvider);
  if (hashing) return new HashingEmbeddingProvider(Number(hashing[1]), config.embedding_batch_size);
  const configured = createEmbeddingProvider(config);
  return configured.name === recordedProvider ? configured : undefined;
}
