-- Collections, their documents and the documents' chunks.
CREATE TABLE collections (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL UNIQUE,
  description  text,
  status       text NOT NULL DEFAULT 'created'
               CHECK (status IN ('created', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled')),
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  collection_id      uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  original_filename  text NOT NULL,
  storage_key        text NOT NULL UNIQUE,
  mime_type          text NOT NULL,
  size_bytes         bigint NOT NULL CHECK (size_bytes > 0),
  content_hash       text NOT NULL,
  status             text NOT NULL DEFAULT 'uploaded'
                     CHECK (status IN ('uploaded', 'processing', 'processed', 'failed', 'cancelled')),
  error              text,
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  page_count         integer,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (collection_id, content_hash)
);
CREATE INDEX documents_collection_status ON documents (collection_id, status, id);

CREATE TABLE chunks (
  document_id  uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal      integer NOT NULL,
  text         text NOT NULL,
  token_count  integer NOT NULL,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  embedding    real[],
  PRIMARY KEY (document_id, ordinal)
);
