import { isEmbeddedPglite } from './pool.ts';

/**
 * Vectors per transaction on embedded PGlite. Its one session serves the API
 * too, and each vector written into the HNSW index costs it about 9 ms
 * (WebAssembly): 100 per statement held the API's health query for a second
 * (p99 1,024 ms on the real corpus); 10 hold it for about 100 ms.
 */
const PGLITE_VECTORS_PER_WRITE = 10;

/** How many vectors one transaction writes: a few on embedded PGlite, else all of a page at once. */
export function vectorsPerWrite(): number {
  return isEmbeddedPglite() ? PGLITE_VECTORS_PER_WRITE : Number.POSITIVE_INFINITY;
}

/** `rows` in slices of vectorsPerWrite(), for one transaction each. */
export function* vectorWrites<T>(rows: readonly T[]): Generator<T[]> {
  const size = vectorsPerWrite();
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
