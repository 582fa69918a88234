-- A document an analysis has taken but not started yet is `queued`: distinct
-- from `uploaded` (never asked for) and `processing` (a step is at work on it),
-- so an operator can tell queued from forgotten.
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
  CHECK (status IN ('uploaded', 'queued', 'processing', 'processed', 'failed', 'cancelled'));

-- The sweeper of runs closed from outside looks for documents in work every
-- interval: a partial index keeps that look cheap whatever the table's size.
CREATE INDEX documents_in_work ON documents (collection_id) WHERE status IN ('queued', 'processing');
