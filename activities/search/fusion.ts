import type { Candidate } from '../../db/queries/search.ts';

export interface FusedCandidate {
  document_id: string;
  ordinal: number;
  /** The signal's own score (ts_rank; cosine similarity), where the chunk was in its list. */
  text?: number;
  vector?: number;
  fused: number;
}

/**
 * Reciprocal rank fusion: a chunk at rank r (1-based) of a signal's list adds
 * weight / (k + r); lists that miss it add nothing. Ranks, not scores, are
 * fused, so ts_rank and cosine need no common scale. Ties keep the text
 * list's order, then document and ordinal, so answers are stable.
 */
export function reciprocalRankFusion(
  lists: { text?: Candidate[]; vector?: Candidate[] },
  options: { k: number; textWeight: number; vectorWeight: number },
): FusedCandidate[] {
  const fused = new Map<string, FusedCandidate>();
  const add = (list: Candidate[] | undefined, signal: 'text' | 'vector', weight: number) => {
    list?.forEach((candidate, index) => {
      const key = `${candidate.document_id}/${candidate.ordinal}`;
      let entry = fused.get(key);
      if (!entry) {
        entry = { document_id: candidate.document_id, ordinal: candidate.ordinal, fused: 0 };
        fused.set(key, entry);
      }
      entry[signal] = candidate.score;
      entry.fused += weight / (options.k + index + 1);
    });
  };
  add(lists.text, 'text', options.textWeight);
  add(lists.vector, 'vector', options.vectorWeight);
  // Map order is insertion order: text candidates first, so a sort that keeps ties keeps theirs.
  return [...fused.values()].sort((a, b) => b.fused - a.fused);
}
