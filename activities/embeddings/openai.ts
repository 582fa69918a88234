import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../../config/schema.ts';
import { postOpenAi } from '../openai/http.ts';
import type { EmbeddingProvider } from './provider.ts';

interface EmbeddingsAnswer {
  data: { index: number; embedding: number[] }[];
}

/** An OpenAI-compatible `/embeddings` endpoint, `embedding_batch_size` texts per call. */
export class OpenAiEmbeddingProvider implements EmbeddingProvider {
  readonly name: string;
  readonly batchSize: number;
  /** Known after the first answer; the model decides it. */
  dimension = 0;

  constructor(private readonly config: Config) {
    this.name = `openai:${config.openai_embedding_model}`;
    this.batchSize = config.embedding_batch_size;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const answer = await postOpenAi<EmbeddingsAnswer>(this.config, '/embeddings', {
      model: this.config.openai_embedding_model,
      input: texts,
    });
    const vectors = [...(answer.data ?? [])].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    if (
      vectors.length !== texts.length ||
      vectors.some((v) => !Array.isArray(v) || v.length === 0 || v.length !== vectors[0].length)
    ) {
      throw ApplicationFailure.retryable(
        `the embeddings endpoint answered ${vectors.length} vectors for ${texts.length} texts`,
        'OpenAiBadAnswer',
      );
    }
    this.dimension = vectors[0].length;
    return vectors;
  }
}
