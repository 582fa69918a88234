import type { Sql } from '../pool.ts';

/**
 * Rebuilds the collection's entities and co-occurrence edges from the mentions
 * of its processed documents only, in one transaction, in SQL: nothing is
 * loaded into the caller's memory.
 */
export async function rebuildCollectionGraph(
  sql: Sql,
  collectionId: string,
): Promise<{ entities: number; edges: number }> {
  return sql.begin(async (tx) => {
    await tx`DELETE FROM graph_edges WHERE collection_id = ${collectionId}`;
    await tx`DELETE FROM graph_entities WHERE collection_id = ${collectionId}`;
    const entities = await tx`
      INSERT INTO graph_entities (collection_id, kind, name, mentions, documents)
      SELECT ${collectionId}, m.kind, m.name, count(*), count(DISTINCT m.document_id)
      FROM entity_mentions m JOIN documents d ON d.id = m.document_id AND d.status = 'processed'
      WHERE m.collection_id = ${collectionId}
      GROUP BY m.kind, m.name`;
    const edges = await tx`
      INSERT INTO graph_edges (collection_id, source_kind, source_name, target_kind, target_name, weight)
      SELECT ${collectionId}, a.kind, a.name, b.kind, b.name, count(*)
      FROM entity_mentions a
      JOIN entity_mentions b
        ON b.document_id = a.document_id AND b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)
      JOIN documents d ON d.id = a.document_id AND d.status = 'processed'
      WHERE a.collection_id = ${collectionId}
      GROUP BY a.kind, a.name, b.kind, b.name`;
    return { entities: entities.count, edges: edges.count };
  });
}
