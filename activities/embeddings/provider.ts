import type { Config } from '../../config/schema.ts';
import { HashingEmbeddingProvider } from './hashing.ts';
import { OpenAiEmbeddingProvider } from './openai.ts';

/** Turns texts into vectors. `name` and `dimension` are recorded on the collection. */
export interface EmbeddingProvider {
  readonly name: string;
  readonly dimension: number;
  /** How many texts one `embed` call should carry. */
  readonly batchSize: number;
  embed(texts: string[]): Promise<number[][]>;
}

export function createEmbeddingProvider(config: Config): EmbeddingProvider {
  if (config.embedding_provider === 'openai') return new OpenAiEmbeddingProvider(config);
  return new HashingEmbeddingProvider(config.embedding_dimension, config.embedding_batch_size);
}
