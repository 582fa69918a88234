/**
 * Byte-pair merging of one pre-tokenized piece, the same merges in the same
 * order as tiktoken (repeatedly the adjacent pair of lowest rank, leftmost
 * first), but with a heap instead of a rescan of the whole piece per merge:
 * O(n log n) instead of O(n²). js-tiktoken's rescan took minutes on a long
 * run without spaces (Thai, CJK, dotted leaders, base64).
 *
 * `piece` is a binary string (one character per UTF-8 byte); `ranks` maps
 * such strings to token ranks and holds every single byte.
 */
export function mergeBytePairs(
  piece: string,
  ranks: ReadonlyMap<string, number>,
  out: number[],
  work: BytePairWork,
): void {
  const n = piece.length;
  work.pieces++;
  work.bytes += n;
  if (n === 1) {
    out.push(ranks.get(piece)!);
    return;
  }
  const merger = n > SHARED_BYTES ? new Merger(n) : (shared ??= new Merger(SHARED_BYTES));
  merger.merge(piece, ranks, out);
  work.heapOperations += merger.heapOperations;
}

/** What the merging was handed, for tests that check the work grows linearly with the text. */
export interface BytePairWork {
  pieces: number;
  bytes: number;
  heapOperations: number;
}

/** Pieces up to this many bytes reuse one set of arrays; longer ones get their own, freed after. */
const SHARED_BYTES = 1 << 16;
let shared: Merger | undefined;

class Merger {
  // Parts are byte ranges [start, next[start]); pairRank[start] is the rank of
  // that part joined with the next one, -1 for none (or a part merged away).
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly pairRank: Int32Array;
  /** Keys pack (rank, start) so the lowest rank pops first, leftmost on ties. Each merge pushes at most two. */
  private readonly heap: Float64Array;
  private size = 0;
  private width = 0;
  heapOperations = 0;

  constructor(capacity: number) {
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.pairRank = new Int32Array(capacity);
    this.heap = new Float64Array(3 * capacity);
  }

  merge(piece: string, ranks: ReadonlyMap<string, number>, out: number[]): void {
    const { next, prev, pairRank } = this;
    const n = piece.length;
    this.size = 0;
    this.width = n + 1;
    this.heapOperations = 0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < n - 1; i++) this.rankPair(piece, ranks, i);
    while (this.size > 0) {
      const key = this.pop();
      const start = key % this.width;
      if (pairRank[start] !== (key - start) / this.width) continue; // stale: the pair changed since it was pushed
      const right = next[start];
      const end = next[right];
      next[start] = end;
      if (end < n) prev[end] = start;
      pairRank[right] = -1;
      this.rankPair(piece, ranks, start);
      if (prev[start] >= 0) this.rankPair(piece, ranks, prev[start]);
    }
    for (let start = 0; start < n; start = next[start]) out.push(ranks.get(piece.slice(start, next[start]))!);
  }

  private rankPair(piece: string, ranks: ReadonlyMap<string, number>, start: number): void {
    const right = this.next[start];
    const rank = right < piece.length ? ranks.get(piece.slice(start, this.next[right])) : undefined;
    this.pairRank[start] = rank ?? -1;
    if (rank !== undefined) this.push(rank * this.width + start);
  }

  private push(key: number): void {
    const heap = this.heap;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[at] = heap[parent];
      at = parent;
    }
    heap[at] = key;
    this.heapOperations++;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.size];
    const size = this.size;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = last;
    this.heapOperations++;
    return top;
  }
}
