// The embeddings step: a vector for every chunk.
import { eachChunk, storeEmbeddings } from '../../db/queries/chunks.ts';
import { fencedWrite } from '../../db/queries/document-runs.ts';
import { HashingEmbeddingProvider } from '../embeddings/hashing.ts';
import { createEmbeddingProvider } from '../embeddings/provider.ts';
import { claim, inThread, type Step } from './attempt.ts';

/** The hashing provider in the thread pool, a remote one `embedding_batch_size` chunks per call. */
export const embeddings: Step<{ embedded: number; provider: string; dimension: number }> = async (
  work,
  documentId,
  at,
) => {
  const { config, sql } = work;
  await claim(sql, at, { fresh: false });
  const provider = createEmbeddingProvider(config);
  let embedded = 0;
  for await (const page of eachChunk(sql, documentId, provider.batchSize * 4)) {
    const texts = page.map((chunk) => chunk.text);
    let vectors: number[][];
    if (provider instanceof HashingEmbeddingProvider) {
      vectors = await inThread(work, at, 'embedTexts', { texts, dimension: provider.dimension }, { embedded });
    } else {
      vectors = [];
      for (let i = 0; i < texts.length; i += provider.batchSize) {
        vectors.push(...(await provider.embed(texts.slice(i, i + provider.batchSize))));
        at.checkpoint({ embedded: embedded + vectors.length });
      }
    }
    await fencedWrite(sql, at.fence, (tx) =>
      storeEmbeddings(
        tx,
        documentId,
        page.map((chunk, k) => ({ ordinal: chunk.ordinal, embedding: vectors[k] })),
      ),
    );
    embedded += page.length;
    at.checkpoint({ embedded });
  }
  return { embedded, provider: provider.name, dimension: provider.dimension };
};
