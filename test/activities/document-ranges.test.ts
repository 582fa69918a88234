import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { StepHeartbeat } from '../../activities/document-processing/index.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import { AttemptSupersededError, claimDocument, committedRanges, fencedWrite } from '../../db/queries/document-runs.ts';
import { pdfFixture } from '../fixtures/documents.ts';
import { bigPlainText, longPdf, pageMarker, pdfWithNulText, textWithStrayNuls } from '../fixtures/long-documents.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const ALL_STEPS = { extract_metadata: true, generate_embeddings: true, build_graph: true };
const PAGES_PER_RANGE = 100;
type Processed = { chunks: number; pages: number | null };

describe('long and messy documents: ranges committed one by one, resumed, fenced, cleaned', () => {
  let harness: DocumentActivitiesHarness;
  let sql: Sql;
  let config: Config;
  let steps: DocumentActivitiesHarness['activities'];
  let storedDocument: DocumentActivitiesHarness['storeDocument'];

  before(async () => {
    harness = await startDocumentActivities('ranges', { FILEINTEL_PDF_PAGES_PER_RANGE: String(PAGES_PER_RANGE) });
    ({ sql, config, activities: steps, storeDocument: storedDocument } = harness);
  });
  after(() => harness?.teardown());

  const chunkTexts = async (documentId: string) =>
    (
      await sql<{ ordinal: number; text: string; page_start: number | null; page_end: number | null }[]>`
      SELECT ordinal, text, page_start, page_end FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`
    ).map((row) => ({ ...row }));

  /** An environment of one attempt that records the heartbeats it sends. */
  function attemptEnvironment(attempt = 1) {
    const env = new MockActivityEnvironment({ attempt });
    const heartbeats: StepHeartbeat[] = [];
    env.on('heartbeat', (details: StepHeartbeat) => heartbeats.push(details));
    return { env, heartbeats };
  }

  test('a 1,500-page PDF is read in 15 ranges, each committed with its chunks; every page is in the chunks', async () => {
    const documentId = await storedDocument(await longPdf(1_500));
    const { env, heartbeats } = attemptEnvironment();
    const result = (await env.run(steps.processDocument, { documentId, options: ALL_STEPS })) as Processed;
    assert.equal(result.pages, 1_500);

    const ranges = await committedRanges(sql, documentId);
    assert.equal(ranges.length, 15);
    ranges.forEach((range, i) => {
      assert.deepEqual(
        [range.page_start, range.page_end, range.attempt],
        [i * PAGES_PER_RANGE + 1, (i + 1) * PAGES_PER_RANGE, 1],
      );
      assert.equal(range.first_ordinal, i === 0 ? 0 : ranges[i - 1].first_ordinal + ranges[i - 1].chunk_count);
    });
    const chunks = await chunkTexts(documentId);
    assert.equal(chunks.length, result.chunks);
    assert.deepEqual(
      chunks.map((chunk) => chunk.ordinal),
      chunks.map((_, i) => i),
      'ordinals run 0..n-1 across ranges',
    );
    for (let page = 1; page <= 1_500; page++) {
      const holder = chunks.find(
        (chunk) => chunk.page_start! <= page && page <= chunk.page_end! && chunk.text.includes(pageMarker(page)),
      );
      assert.ok(holder, `page ${page} is in a chunk whose page range holds it`);
    }
    const rangesReported = new Set(
      heartbeats.map((beat) => (beat.progress as { range?: number } | undefined)?.range).filter(Boolean),
    );
    assert.equal(rangesReported.size, 15, 'the heartbeats name each range as it is read');

    const [doc] = await sql`SELECT page_count, metadata FROM documents WHERE id = ${documentId}`;
    assert.equal(doc.page_count, 1_500);
    assert.equal(doc.metadata.extraction.ranges, 15);
    assert.equal(doc.metadata.extraction.chunk_count, chunks.length);
    assert.equal(doc.metadata.analysis.language, 'eng');
    const [counts] =
      await sql`SELECT count(embedding)::int AS embedded, (SELECT count(*)::int FROM entity_mentions WHERE document_id = ${documentId}) AS mentions
      FROM chunks WHERE document_id = ${documentId}`;
    assert.equal(counts.embedded, chunks.length);
    assert.ok(counts.mentions > 0);
  });

  test('an attempt stopped after range 5 of 8 is resumed at range 6: pages 1–500 are not read again, and the chunks equal an uninterrupted run', async () => {
    const manual = await longPdf(800);
    const documentId = await storedDocument(manual);
    const first = attemptEnvironment(1);
    first.env.on('heartbeat', (details: StepHeartbeat) => {
      const progress = details.progress as { range?: number; committed?: boolean } | undefined;
      // The worker dies right after range 5 is committed (cancel stands in for the kill: the attempt stops where it is).
      if (progress?.committed && progress.range === 5) first.env.cancel();
    });
    await assert.rejects(
      first.env.run(steps.processDocument, { documentId, options: ALL_STEPS }),
      (error: Error) => error.name === 'CancelledFailure',
    );
    assert.deepEqual(
      (await committedRanges(sql, documentId)).map((range) => range.range_index),
      [0, 1, 2, 3, 4],
    );

    const second = attemptEnvironment(2);
    await second.env.run(steps.processDocument, { documentId, options: ALL_STEPS });
    const ranges = await committedRanges(sql, documentId);
    const pagesReadBy = (attempt: number) =>
      ranges
        .filter((range) => range.attempt === attempt)
        .reduce((sum, range) => sum + range.page_end! - range.page_start! + 1, 0);
    assert.deepEqual([pagesReadBy(1), pagesReadBy(2)], [500, 300], 'the second attempt read only pages 501–800');

    const uninterrupted = await storedDocument({ ...manual, filename: 'again.pdf' });
    await attemptEnvironment().env.run(steps.processDocument, { documentId: uninterrupted, options: ALL_STEPS });
    assert.deepEqual(await chunkTexts(documentId), await chunkTexts(uninterrupted));
  });

  test('only the current attempt writes: a superseded attempt cannot write or claim back, and the final mark revokes every claim', async () => {
    const documentId = await storedDocument(await pdfFixture());
    const run = 'workflow/run/activity';
    const older = { documentId, run, attempt: 1 };
    const newer = { documentId, run, attempt: 2 };
    assert.ok(await claimDocument(sql, older, 'extract', { fresh: true }));
    assert.ok(await claimDocument(sql, newer, 'extract', { fresh: true }));
    const write = (fence: typeof older) =>
      fencedWrite(
        sql,
        fence,
        (tx) =>
          tx`INSERT INTO chunks (document_id, ordinal, text, token_count) VALUES (${documentId}, ${fence.attempt}, 'x', 1)`,
      );
    await assert.rejects(write(older), AttemptSupersededError);
    await assert.rejects(claimDocument(sql, older, 'extract', { fresh: true }), AttemptSupersededError);
    await write(newer);
    assert.deepEqual(
      (await chunkTexts(documentId)).map((chunk) => chunk.ordinal),
      [2],
      'only the newer attempt wrote',
    );

    await attemptEnvironment().env.run(steps.markDocumentFailed, {
      documentId,
      error: 'extract: timeout: extract made no progress for 60 s',
    });
    await assert.rejects(write(newer), AttemptSupersededError, 'nothing writes after the workflow closed the document');
    const [row] = await sql`SELECT status, error FROM documents WHERE id = ${documentId}`;
    assert.equal(row.status, 'failed');
    assert.deepEqual(await chunkTexts(documentId), [], 'a failed document keeps no chunks');
  });

  test('a cancel ends a document `cancelled` without its chunks; a cancel that comes after it was processed changes nothing', async () => {
    const cancelled = await storedDocument(await pdfFixture({ title: 'cancelled' }));
    const kept = await storedDocument(await pdfFixture({ title: 'kept' }));
    for (const documentId of [cancelled, kept])
      await attemptEnvironment().env.run(steps.processDocument, { documentId, options: ALL_STEPS });
    await attemptEnvironment().env.run(steps.markDocumentProcessed, { documentId: kept });
    for (const documentId of [cancelled, kept])
      await attemptEnvironment().env.run(steps.markDocumentCancelled, { documentId });
    const rows =
      await sql`SELECT id, status, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks FROM documents d WHERE id IN ${sql([cancelled, kept])}`;
    const byId = new Map(rows.map((row) => [row.id, { status: row.status, chunks: row.chunks }]));
    assert.deepEqual(byId.get(cancelled), { status: 'cancelled', chunks: 0 });
    assert.equal(byId.get(kept)!.status, 'processed');
    assert.ok(byId.get(kept)!.chunks > 0);
  });

  test('a cancel that arrives while a page range is being read fails as a cancellation, not as a corrupt file', async () => {
    const documentId = await storedDocument(await longPdf(300, 'cancel-me.pdf'));
    const { env } = attemptEnvironment();
    env.on('heartbeat', (details: StepHeartbeat) => {
      if ((details.progress as { pages_read?: number } | undefined)?.pages_read) env.cancel();
    });
    await assert.rejects(env.run(steps.processDocument, { documentId, options: ALL_STEPS }), (error: Error) => {
      assert.equal(error.name, 'CancelledFailure');
      assert.doesNotMatch(error.message, /corrupt_file/);
      return true;
    });
  });

  test('NUL characters from a broken PDF font map and stray NULs in a text file are removed, counted, and the documents process', async () => {
    const pdf = await pdfWithNulText();
    const text = textWithStrayNuls();
    for (const [fixture, expected, removed] of [
      [pdf, [pdf.words.join(' ')], pdf.words.length - 1],
      [text, text.sentences, text.nuls],
    ] as const) {
      const documentId = await storedDocument(fixture);
      await attemptEnvironment().env.run(steps.processDocument, { documentId, options: ALL_STEPS });
      const joined = (await chunkTexts(documentId)).map((chunk) => chunk.text).join('\n');
      assert.doesNotMatch(joined, /\u0000/);
      for (const sentence of expected)
        assert.ok(
          joined.replace(/\s+/g, ' ').includes(sentence.replace(/\s+/g, ' ')),
          `${fixture.filename}: "${sentence}"`,
        );
      const [doc] = await sql`SELECT metadata FROM documents WHERE id = ${documentId}`;
      assert.equal(doc.metadata.extraction.removed_characters, removed, fixture.filename);
    }
  });

  test("NULs in a PDF's own properties (its Info dictionary) are cleaned too: the document processes and its author reads right", async () => {
    const documentId = await storedDocument(
      await pdfFixture({ title: 'Properties\u0000 with NUL', author: 'Nicola\u0000Talbot' }),
    );
    await attemptEnvironment().env.run(steps.processDocument, { documentId, options: ALL_STEPS });
    const [doc] = await sql`SELECT metadata FROM documents WHERE id = ${documentId}`;
    assert.deepEqual(doc.metadata.extraction.file_properties.authors, ['Nicola Talbot']);
    assert.equal(doc.metadata.analysis.title, 'Properties  with NUL');
  });

  test('5 MB of plain text in many scripts is read in ranges of characters, every chunk within the token cap', async () => {
    const documentId = await storedDocument(bigPlainText(5));
    const result = (await attemptEnvironment().env.run(steps.processDocument, {
      documentId,
      options: { extract_metadata: true, generate_embeddings: true, build_graph: false },
    })) as Processed;
    assert.ok(result.chunks > 5_000, `${result.chunks} chunks`);
    const [over] =
      await sql`SELECT count(*)::int AS n FROM chunks WHERE document_id = ${documentId} AND token_count > ${config.chunk_max_tokens}`;
    assert.equal(over.n, 0);
    const [doc] = await sql`SELECT metadata FROM documents WHERE id = ${documentId}`;
    const { extent, range_unit } = doc.metadata.extraction;
    assert.equal(range_unit, 'character');
    const ranges = await committedRanges(sql, documentId);
    assert.equal(ranges.length, Math.ceil(extent / config.text_chars_per_range));
    assert.ok(ranges.length > 1, `${ranges.length} ranges of ${extent} characters`);
  });
});
