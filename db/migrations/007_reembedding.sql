-- Re-embedding a collection (workflows/reembedding.ts): the documents whose
-- vectors are already the target provider's, so a retried or resumed run
-- skips them whatever its heartbeats said. Emptied when a re-embedding
-- begins and when it ends.
CREATE TABLE reembedded_documents (
  collection_id  uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id    uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  provider       text NOT NULL,
  PRIMARY KEY (collection_id, document_id)
);
