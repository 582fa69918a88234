-- Collection analysis: run keys, embedding provenance, page ranges, processing
-- steps and the knowledge graph.

-- The run key of the next (or running) analysis of a collection. Workflow id
-- `collection-analysis:<id>:<analysis_run>`; the workflow bumps it when it closes
-- (see api/analysis/start.ts for why this makes concurrent starts a clean 409).
ALTER TABLE collections ADD COLUMN analysis_run integer NOT NULL DEFAULT 1;
-- Which provider made the collection's vectors, and their dimension; written
-- only once documents of a run succeeded with embeddings.
ALTER TABLE collections ADD COLUMN embedding_provider text;
ALTER TABLE collections ADD COLUMN embedding_dimension integer;

-- The step a document in `processing` is at (extract, metadata, embeddings,
-- graph), so its status tells the truth between steps.
ALTER TABLE documents ADD COLUMN processing_step text;

-- Page (or chapter, for epub) range a chunk came from; null for formats without pages.
ALTER TABLE chunks ADD COLUMN page_start integer;
ALTER TABLE chunks ADD COLUMN page_end integer;

-- Entities found in one chunk; replaced with the document's chunks (cascade).
CREATE TABLE entity_mentions (
  collection_id  uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id    uuid NOT NULL,
  chunk_ordinal  integer NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('person', 'organization', 'place', 'term')),
  name           text NOT NULL,
  PRIMARY KEY (document_id, chunk_ordinal, kind, name),
  FOREIGN KEY (document_id, chunk_ordinal) REFERENCES chunks(document_id, ordinal) ON DELETE CASCADE
);
CREATE INDEX entity_mentions_collection ON entity_mentions (collection_id, document_id);

-- The collection's graph: entities of its processed documents and how often
-- two of them share a chunk. Rebuilt in one transaction at the end of a run.
CREATE TABLE graph_entities (
  collection_id  uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  kind           text NOT NULL,
  name           text NOT NULL,
  mentions       integer NOT NULL,
  documents      integer NOT NULL,
  PRIMARY KEY (collection_id, kind, name)
);

CREATE TABLE graph_edges (
  collection_id  uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  source_kind    text NOT NULL,
  source_name    text NOT NULL,
  target_kind    text NOT NULL,
  target_name    text NOT NULL,
  weight         integer NOT NULL,
  PRIMARY KEY (collection_id, source_kind, source_name, target_kind, target_name)
);
