import type postgres from 'postgres';
import type { Sql } from '../pool.ts';
import type { Transaction } from './document-runs.ts';

// A collection's graph is the sum of its documents' entity mentions, kept
// exact as they change: each write of mentions (a page of a document's chunks)
// and each removal (a document failed, cancelled, re-processed or deleted)
// applies its difference to `graph_entities` and `graph_edges` in the same
// transaction, so at every commit the graph equals a rebuild from
// `entity_mentions` (see rebuildCollectionGraph). Differences are applied as
// upserts that add (`x = x + excluded.x`), row by row in key order (entities,
// then edges), so two documents of a collection merging at once neither lose
// a count nor deadlock; a row whose count falls to zero is removed.

export interface MentionInsert {
  chunk_ordinal: number;
  kind: string;
  name: string;
}

/** What a page of chunks of a document mentions, replacing what it mentioned before. */
export interface PageMentions {
  collectionId: string;
  documentId: string;
  /** The page is the document's chunks with afterOrdinal < ordinal <= lastOrdinal. */
  afterOrdinal: number;
  lastOrdinal: number;
  mentions: MentionInsert[];
}

/**
 * Replaces the mentions of one page of a document's chunks and applies the
 * difference to the collection's graph, inside the caller's fenced
 * transaction (a page at a time, so a transaction stays short whatever the
 * document's size). A retry that finds the page written replaces it with
 * itself: the graph does not move.
 */
export async function replacePageMentions(tx: Transaction, page: PageMentions): Promise<void> {
  const { collectionId, documentId, afterOrdinal, lastOrdinal } = page;
  const newMentions = tx`
    SELECT DISTINCT chunk_ordinal, kind, name
    FROM jsonb_to_recordset(${tx.json(page.mentions as never)}::jsonb) AS m(chunk_ordinal integer, kind text, name text)`;
  const oldMentions = tx`
    SELECT chunk_ordinal, kind, name FROM entity_mentions
    WHERE document_id = ${documentId} AND chunk_ordinal > ${afterOrdinal} AND chunk_ordinal <= ${lastOrdinal}`;
  await holdCollections(tx, [collectionId]);
  // An entity the document also mentions outside the page keeps its document count as it is.
  await applyEntityDelta(
    tx,
    tx`
      WITH changed AS (
        SELECT kind, name, sum(n)::int AS mentions, bool_or(n > 0) AS now_in, bool_or(n < 0) AS was_in
        FROM (SELECT kind, name, 1 AS n FROM (${newMentions}) AS a
              UNION ALL SELECT kind, name, -1 FROM (${oldMentions}) AS b) AS m
        GROUP BY kind, name)
      SELECT ${collectionId}::uuid AS collection_id, c.kind, c.name, c.mentions,
             CASE WHEN EXISTS (
                    SELECT 1 FROM entity_mentions r
                    WHERE r.document_id = ${documentId} AND r.kind = c.kind AND r.name = c.name
                      AND (r.chunk_ordinal <= ${afterOrdinal} OR r.chunk_ordinal > ${lastOrdinal}))
                  THEN 0 ELSE c.now_in::int - c.was_in::int END AS documents
      FROM changed c`,
  );
  await applyEdgeDelta(
    tx,
    tx`
      SELECT ${collectionId}::uuid AS collection_id, source_kind, source_name, target_kind, target_name, sum(n)::int AS weight
      FROM (${pairsOf(tx, newMentions, 1)} UNION ALL ${pairsOf(tx, oldMentions, -1)}) AS p
      GROUP BY source_kind, source_name, target_kind, target_name`,
  );
  await tx`
    DELETE FROM entity_mentions
    WHERE document_id = ${documentId} AND chunk_ordinal > ${afterOrdinal} AND chunk_ordinal <= ${lastOrdinal}`;
  if (page.mentions.length > 0)
    await tx`
      INSERT INTO entity_mentions (collection_id, document_id, chunk_ordinal, kind, name)
      SELECT ${collectionId}, ${documentId}, chunk_ordinal, kind, name FROM (${newMentions}) AS m
      ON CONFLICT DO NOTHING`;
}

/**
 * Takes the documents' contributions out of their collections' graphs, inside
 * the caller's transaction: call it before their mentions go (with their
 * chunks, or their row), with the rows locked.
 */
export async function withdrawDocuments(tx: Transaction, documentIds: string[]): Promise<void> {
  if (documentIds.length === 0) return;
  const collections = await tx<{ collection_id: string }[]>`
    SELECT DISTINCT collection_id FROM entity_mentions WHERE document_id = ANY(${documentIds})`;
  if (collections.length === 0) return;
  await holdCollections(
    tx,
    collections.map((row) => row.collection_id),
  );
  const gone = tx`
    SELECT collection_id, document_id, chunk_ordinal, kind, name FROM entity_mentions WHERE document_id = ANY(${documentIds})`;
  await applyEntityDelta(
    tx,
    tx`
      SELECT collection_id, kind, name, -count(*)::int AS mentions, -count(DISTINCT document_id)::int AS documents
      FROM (${gone}) AS m GROUP BY collection_id, kind, name`,
  );
  await applyEdgeDelta(
    tx,
    tx`
      SELECT a.collection_id, a.kind AS source_kind, a.name AS source_name, b.kind AS target_kind, b.name AS target_name,
             -count(*)::int AS weight
      FROM (${gone}) AS a
      JOIN entity_mentions b
        ON b.document_id = a.document_id AND b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)
      GROUP BY a.collection_id, a.kind, a.name, b.kind, b.name`,
  );
}

/**
 * The collection's graph from scratch, from the mentions of its documents, in
 * one transaction, in SQL (nothing is loaded into the caller's memory). The
 * increments make it unnecessary; it is the reference they are tested
 * against, and what reconcileCollectionGraph falls back on.
 */
export async function rebuildCollectionGraph(
  sql: Sql,
  collectionId: string,
): Promise<{ entities: number; edges: number }> {
  return sql.begin(async (tx) => {
    // Merges into this collection wait (they hold the collection's row FOR KEY SHARE) until the rebuild commits.
    await tx`SELECT 1 FROM collections WHERE id = ${collectionId} FOR UPDATE`;
    await tx`DELETE FROM graph_edges WHERE collection_id = ${collectionId}`;
    await tx`DELETE FROM graph_entities WHERE collection_id = ${collectionId}`;
    const entities = await tx`
      INSERT INTO graph_entities (collection_id, kind, name, mentions, documents)
      SELECT ${collectionId}, kind, name, count(*), count(DISTINCT document_id)
      FROM entity_mentions WHERE collection_id = ${collectionId}
      GROUP BY kind, name`;
    const edges = await tx`
      INSERT INTO graph_edges (collection_id, source_kind, source_name, target_kind, target_name, weight)
      SELECT ${collectionId}, a.kind, a.name, b.kind, b.name, count(*)
      FROM entity_mentions a
      JOIN entity_mentions b
        ON b.document_id = a.document_id AND b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)
      WHERE a.collection_id = ${collectionId}
      GROUP BY a.kind, a.name, b.kind, b.name`;
    return { entities: entities.count, edges: edges.count };
  });
}

/**
 * The end of an analysis: checks the graph's totals (entities, mentions)
 * against the mentions and rebuilds only when they differ, which increments
 * never leave behind; a writer that bypassed them (an older build during a
 * rolling deploy) could. Two counts over the collection's mentions, no lock
 * taken. Returns the graph's size.
 */
export async function reconcileCollectionGraph(
  sql: Sql,
  collectionId: string,
): Promise<{ entities: number; edges: number; rebuilt: boolean }> {
  const [totals] = await sql<
    { entities: number; mentions: number; edges: number; mentioned_entities: number; mention_rows: number }[]
  >`
    SELECT g.entities, g.mentions,
           (SELECT count(*)::int FROM graph_edges WHERE collection_id = ${collectionId}) AS edges,
           m.mentioned_entities, m.mention_rows
    FROM (SELECT count(*)::int AS entities, coalesce(sum(mentions), 0)::int AS mentions
          FROM graph_entities WHERE collection_id = ${collectionId}) AS g,
         (SELECT count(DISTINCT (kind, name))::int AS mentioned_entities, count(*)::int AS mention_rows
          FROM entity_mentions WHERE collection_id = ${collectionId}) AS m`;
  if (totals.entities === totals.mentioned_entities && totals.mentions === totals.mention_rows)
    return { entities: totals.entities, edges: totals.edges, rebuilt: false };
  return { ...(await rebuildCollectionGraph(sql, collectionId)), rebuilt: true };
}

/** Merges and withdrawals share the collection (FOR KEY SHARE); a rebuild takes it alone. */
async function holdCollections(tx: Transaction, collectionIds: string[]): Promise<void> {
  await tx`SELECT 1 FROM collections WHERE id = ANY(${collectionIds}::uuid[]) ORDER BY id FOR KEY SHARE`;
}

/** The co-occurring pairs of a set of mentions (chunk_ordinal, kind, name) of one document, each counted `sign`. */
function pairsOf(tx: Transaction, mentions: postgres.PendingQuery<postgres.Row[]>, sign: 1 | -1) {
  return tx`
    SELECT a.kind AS source_kind, a.name AS source_name, b.kind AS target_kind, b.name AS target_name, ${sign}::int AS n
    FROM (${mentions}) AS a
    JOIN (${mentions}) AS b ON b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)`;
}

/**
 * Adds `delta` (rows of collection_id, kind, name, mentions, documents) to the
 * entities, in key order, and removes the ones it emptied.
 */
async function applyEntityDelta(tx: Transaction, delta: postgres.PendingQuery<postgres.Row[]>): Promise<void> {
  const emptied = await tx<{ collection_id: string; kind: string; name: string }[]>`
    WITH merged AS (
      INSERT INTO graph_entities (collection_id, kind, name, mentions, documents)
      SELECT collection_id, kind, name, mentions, documents FROM (${delta}) AS d
      WHERE mentions <> 0 OR documents <> 0
      ORDER BY collection_id, kind, name
      ON CONFLICT (collection_id, kind, name) DO UPDATE
      SET mentions = graph_entities.mentions + excluded.mentions,
          documents = graph_entities.documents + excluded.documents
      RETURNING collection_id, kind, name, mentions)
    SELECT collection_id, kind, name FROM merged WHERE mentions <= 0`;
  if (emptied.length === 0) return;
  await tx`
    DELETE FROM graph_entities g
    USING jsonb_to_recordset(${tx.json(emptied as never)}::jsonb) AS e(collection_id uuid, kind text, name text)
    WHERE g.collection_id = e.collection_id AND g.kind = e.kind AND g.name = e.name AND g.mentions <= 0`;
}

/** Adds `delta` (rows of collection_id, source and target kind and name, weight) to the edges, in key order, and removes the ones it emptied. */
async function applyEdgeDelta(tx: Transaction, delta: postgres.PendingQuery<postgres.Row[]>): Promise<void> {
  const emptied = await tx<{ collection_id: string }[]>`
    WITH merged AS (
      INSERT INTO graph_edges (collection_id, source_kind, source_name, target_kind, target_name, weight)
      SELECT collection_id, source_kind, source_name, target_kind, target_name, weight FROM (${delta}) AS d
      WHERE weight <> 0
      ORDER BY collection_id, source_kind, source_name, target_kind, target_name
      ON CONFLICT (collection_id, source_kind, source_name, target_kind, target_name) DO UPDATE
      SET weight = graph_edges.weight + excluded.weight
      RETURNING collection_id, source_kind, source_name, target_kind, target_name, weight)
    SELECT collection_id, source_kind, source_name, target_kind, target_name FROM merged WHERE weight <= 0`;
  if (emptied.length === 0) return;
  await tx`
    DELETE FROM graph_edges g
    USING jsonb_to_recordset(${tx.json(emptied as never)}::jsonb)
      AS e(collection_id uuid, source_kind text, source_name text, target_kind text, target_name text)
    WHERE g.collection_id = e.collection_id AND g.source_kind = e.source_kind AND g.source_name = e.source_name
      AND g.target_kind = e.target_kind AND g.target_name = e.target_name AND g.weight <= 0`;
}
