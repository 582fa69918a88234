-- Only the current attempt writes, and huge documents commit range by range.

-- The documentProcessing activity (workflow, run and activity id) whose rows
-- the document holds, and the attempt of it allowed to write. Every write of a
-- step checks both in its own transaction; the workflow's final mark (processed,
-- failed, cancelled) clears the attempt, so nothing writes after it.
ALTER TABLE documents ADD COLUMN processing_run text;
ALTER TABLE documents ADD COLUMN processing_attempt integer;

-- The ranges of a document already extracted, chunked and committed by its
-- current run: a retried attempt resumes after the last one. A range is a page
-- range for a PDF, the whole text for other formats.
CREATE TABLE document_ranges (
  document_id         uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  range_index         integer NOT NULL,
  page_start          integer,
  page_end            integer,
  first_ordinal       integer NOT NULL,
  chunk_count         integer NOT NULL,
  word_count          integer NOT NULL,
  char_count          integer NOT NULL,
  -- Code points removed because PostgreSQL refuses them (NUL) or they are not text.
  removed_characters  integer NOT NULL DEFAULT 0,
  -- What metadata needs of this range's text (language sample, word counts, DOI, first line).
  analysis            jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Which attempt extracted it (so a resumed run shows where it picked up).
  attempt             integer NOT NULL,
  committed_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, range_index)
);
