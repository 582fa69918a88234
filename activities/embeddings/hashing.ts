import { wordsOf } from '../text/words.ts';
import type { EmbeddingProvider } from './provider.ts';

/**
 * The name's version: bumped whenever the same text would get another vector.
 * v2: words keep their combining marks and unspaced scripts are cut into words (v1 split Hindi at every vowel sign).
 */
const NAME_PREFIX = 'hashing-v2-';
const NGRAM = 3;
const NGRAM_WEIGHT = 0.5;
const FNV_OFFSET = 0x811c9dc5;

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
    this.name = `${NAME_PREFIX}${dimension}`;
  }

  /**
   * The provider a recorded name stands for (`hashing-v2-<dimension>`), to
   * embed a query beside the vectors it made; undefined for another version's
   * name (its vectors never compare with this one's) or any other name.
   */
  static fromName(name: string, batchSize: number): HashingEmbeddingProvider | undefined {
    if (!name.startsWith(NAME_PREFIX)) return undefined;
    const digits = name.slice(NAME_PREFIX.length);
    const dimension = Number(digits);
    if (!/^[1-9]\d*$/.test(digits) || !Number.isSafeInteger(dimension)) return undefined;
    return new HashingEmbeddingProvider(dimension, batchSize);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.vector(text));
  }

  vector(text: string): number[] {
    const counts = new Map<number, number>();
    const add = (hash: number, weight: number) => {
      const bucket = hash % this.dimension;
      const sign = (hash >>> 31) & 1 ? -1 : 1;
      counts.set(bucket, (counts.get(bucket) ?? 0) + sign * weight);
    };
    for (const word of wordsOf(text.toLowerCase())) {
      add(fnv1a(word, 0, word.length, WORD_PREFIX), 1);
      // The trigrams of `<word>`, hashed in place: a long "word" (a base64 blob) would otherwise cost a string per trigram.
      const padded = `<${word}>`;
      for (let i = 0; i + NGRAM <= padded.length; i++) add(fnv1a(padded, i, i + NGRAM, NGRAM_PREFIX), NGRAM_WEIGHT);
    }
    const vector = new Array<number>(this.dimension).fill(0);
    let squares = 0;
    for (const [bucket, value] of counts) {
      vector[bucket] = Math.sign(value) * Math.log1p(Math.abs(value));
      squares += vector[bucket] * vector[bucket];
    }
    // A loop, not Math.hypot(...vector): spreading a large dimension overflows the call stack.
    const norm = Math.sqrt(squares);
    return norm === 0 ? vector : vector.map((value) => value / norm);
  }
}

/** The FNV-1a state after the feature prefixes "w:" and "g:", so features hash without building their strings. */
const WORD_PREFIX = fnv1a('w:', 0, 2, FNV_OFFSET);
const NGRAM_PREFIX = fnv1a('g:', 0, 2, FNV_OFFSET);

/** FNV-1a over text[start, end), continuing from `hash`. */
function fnv1a(text: string, start: number, end: number, hash: number): number {
  for (let i = start; i < end; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
