-- The graph becomes incremental: each page of a document's mentions, and each
-- document's removal, applies its difference to graph_entities and graph_edges
-- in the same transaction (db/queries/graph.ts), so the graph is always the sum
-- of entity_mentions rather than rebuilt at the end of a run.

-- Whether a document mentions an entity outside the page being replaced (its
-- document count then stays as it is): looked up by document and entity.
CREATE INDEX entity_mentions_document_entity ON entity_mentions (document_id, kind, name);

-- Start from the sum once: graphs built by the end-of-run rebuild counted only
-- processed documents and may lag behind documents deleted since.
DELETE FROM graph_edges;
DELETE FROM graph_entities;
INSERT INTO graph_entities (collection_id, kind, name, mentions, documents)
SELECT collection_id, kind, name, count(*), count(DISTINCT document_id)
FROM entity_mentions
GROUP BY collection_id, kind, name;
INSERT INTO graph_edges (collection_id, source_kind, source_name, target_kind, target_name, weight)
SELECT a.collection_id, a.kind, a.name, b.kind, b.name, count(*)
FROM entity_mentions a
JOIN entity_mentions b
  ON b.document_id = a.document_id AND b.chunk_ordinal = a.chunk_ordinal AND (a.kind, a.name) < (b.kind, b.name)
GROUP BY a.collection_id, a.kind, a.name, b.kind, b.name;
