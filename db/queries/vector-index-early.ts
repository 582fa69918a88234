import type { Sql } from '../pool.ts';
import { ensureChunkVectorIndex, hasVectorIndex } from './search.ts';

/** Dimensions whose index this process knows to be settled (built, or impossible without pgvector), per database. */
const settled = new WeakMap<Sql, Set<number>>();

/**
 * Makes sure a dimension's HNSW index exists once its first vectors are
 * written, so later vectors join it one insert at a time. Built at the end of
 * an analysis instead, it indexed the whole run's vectors in one statement:
 * 61,000 vectors took PGlite's only session for four minutes (the API
 * answered 503 throughout), and PostgreSQL's CREATE INDEX blocks writes to
 * chunks while it runs. One lookup per dimension and process.
 */
export async function ensureVectorIndexEarly(sql: Sql, dimension: number): Promise<void> {
  let known = settled.get(sql);
  if (!known) settled.set(sql, (known = new Set()));
  if (known.has(dimension)) return;
  if (!(await hasVectorIndex(sql, dimension))) await ensureChunkVectorIndex(sql, dimension);
  known.add(dimension);
}
