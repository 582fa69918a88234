// The embeddings step: a vector for every chunk.
import { eachChunk, storeEmbeddings } from '../../db/queries/chunks.ts';
import { fencedWrite } from '../../db/queries/document-runs.ts';
import { ensureVectorIndexEarly } from '../../db/queries/vector-index-early.ts';
import { vectorWrites } from '../../db/vectors-per-write.ts';
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
    const rows = page.map((chunk, k) => ({ ordinal: chunk.ordinal, embedding: vectors[k] }));
    for (const write of vectorWrites(rows)) {
      await fencedWrite(sql, at.fence, (tx) => storeEmbeddings(tx, documentId, write));
    }
    // After the write, outside its transaction: an index build must not hold the document's fence.
    if (embedded === 0 && vectors.length > 0) await ensureVectorIndexEarly(sql, vectors[0].length);
    embedded += page.length;
    at.checkpoint({ embedded });
  }
  return { embedded, provider: provider.name, dimension: provider.dimension };
};
