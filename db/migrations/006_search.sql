-- Search over chunks: full text in each document's language, and vectors by
-- pgvector where the database has it (exact cosine over real[] otherwise).

-- The text-search configuration of a document's language (french, russian, …;
-- `simple` when unknown), set by the metadata step on the document and its
-- chunks. The chunk's own copy lets its tsvector be a generated column: the
-- two-argument to_tsvector is immutable. Rows that exist keep working: they
-- are `simple` until their document's metadata runs again.
ALTER TABLE documents ADD COLUMN text_search_config regconfig NOT NULL DEFAULT 'simple';
ALTER TABLE chunks ADD COLUMN text_search_config regconfig NOT NULL DEFAULT 'simple';
ALTER TABLE chunks ADD COLUMN text_search tsvector
  GENERATED ALWAYS AS (to_tsvector(text_search_config, text)) STORED;
CREATE INDEX chunks_text_search ON chunks USING gin (text_search);

-- Whether chunks.embedding is a pgvector `vector` (true) or still `real[]`.
CREATE FUNCTION chunk_vectors_use_pgvector() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = 'chunks'::regclass AND a.attname = 'embedding' AND t.typname = 'vector')
$$;

-- The HNSW index of one embedding dimension: collections differ in dimension,
-- so each dimension gets a partial index over the cast that fixes it. Called
-- below for the dimensions stored now, and whenever a collection records its
-- embedding provider (db/queries/analysis.ts). False when there is no
-- pgvector, or the dimension is above what HNSW indexes (2,000): search is
-- then exact.
CREATE FUNCTION ensure_chunk_vector_index(dimension integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF NOT chunk_vectors_use_pgvector() OR dimension < 1 OR dimension > 2000 THEN
    RETURN false;
  END IF;
  -- Two runs recording the same new dimension at once build it once.
  PERFORM pg_advisory_xact_lock(4711006);
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON chunks USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE vector_dims(embedding) = %s',
    'chunks_embedding_hnsw_' || dimension, dimension, dimension);
  RETURN true;
END
$$;

-- Vectors move from real[] to pgvector where the extension is available (or
-- already installed), value for value: the cast keeps every float4 as is.
-- Without it (or without the right to create it) the column stays real[].
DO $$
DECLARE
  dimensions integer[];
  dimension integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    RAISE NOTICE 'pgvector is not available: chunk vectors stay real[], vector search is exact cosine';
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS vector;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pgvector is available but this role may not create it: chunk vectors stay real[]';
    RETURN;
  END;
  -- An empty array is no vector (pgvector refuses zero dimensions).
  EXECUTE 'ALTER TABLE chunks ALTER COLUMN embedding TYPE vector
    USING CASE WHEN cardinality(embedding) = 0 THEN NULL ELSE embedding::vector END';
  -- Read whole before indexing: an open scan of chunks would forbid CREATE INDEX on it.
  EXECUTE 'SELECT array_agg(DISTINCT vector_dims(embedding)) FROM chunks WHERE embedding IS NOT NULL' INTO dimensions;
  FOREACH dimension IN ARRAY coalesce(dimensions, '{}') LOOP
    PERFORM ensure_chunk_vector_index(dimension);
  END LOOP;
END
$$;
