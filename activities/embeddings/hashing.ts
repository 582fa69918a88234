import type { EmbeddingProvider } from './provider.ts';

const WORD = /[\p{L}\p{N}]+/gu;
const NGRAM = 3;
const NGRAM_WEIGHT = 0.5;

/**
 * Offline lexical vectors: words and their character trigrams are hashed
 * (FNV-1a) into `dimension` buckets with a hashed sign, counts are
 * log-scaled, and the vector is L2-normalised. Texts sharing words and word
 * pieces get a high cosine similarity; nothing is downloaded, nothing is
 * pretended to be semantic.
 */
export class HashingEmbeddingProvider implements EmbeddingProvider {
  readonly name: string;

  constructor(
    readonly dimension: number,
    readonly batchSize: number,
  ) {
    this.name = `hashing-v1-${dimension}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.vector(text));
  }

  vector(text: string): number[] {
    const counts = new Map<number, number>();
    const add = (feature: string, weight: number) => {
      const hash = fnv1a(feature);
      const bucket = hash % this.dimension;
      const sign = (hash >>> 31) & 1 ? -1 : 1;
      counts.set(bucket, (counts.get(bucket) ?? 0) + sign * weight);
    };
    for (const [word] of text.toLowerCase().matchAll(WORD)) {
      add(`w:${word}`, 1);
      const padded = `<${word}>`;
      for (let i = 0; i + NGRAM <= padded.length; i++) add(`g:${padded.slice(i, i + NGRAM)}`, NGRAM_WEIGHT);
    }
    const vector = new Array<number>(this.dimension).fill(0);
    for (const [bucket, value] of counts) vector[bucket] = Math.sign(value) * Math.log1p(Math.abs(value));
    const norm = Math.hypot(...vector);
    return norm === 0 ? vector : vector.map((value) => value / norm);
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
