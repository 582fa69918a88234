import type { Config } from '../../config/schema.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import { createEmbeddingProvider, type EmbeddingProvider } from '../embeddings/provider.ts';

/** The hashing provider's name carries its dimension; only the current version's vectors are rebuilt. */
const HASHING_NAME = /^hashing-v\d+-(\d+)$/;

/**
 * The provider that made a collection's vectors, to embed a query in the same
 * space: the hashing provider is rebuilt from its recorded name (offline, so
 * always available); another provider only when it is the configured one
 * (same name). Otherwise undefined: vectors of two providers never compare.
 */
export function queryEmbedderFor(config: Config, recordedProvider: string): EmbeddingProvider | undefined {
  const hashing = HASHING_NAME.exec(recordedProvider);
  if (hashing) {
    const rebuilt = new HashingEmbeddingProvider(Number(hashing[1]), config.embedding_batch_size);
    // An older version's vectors (another word split) never compare with this one's.
    return rebuilt.name === recordedProvider ? rebuilt : undefined;
  }
  const configured = createEmbeddingProvider(config);
  return configured.name === recordedProvider ? configured : undefined;
}
