import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Sql } from '../../db/pool.ts';
import { committedRanges } from '../../db/queries/document-runs.ts';
import { extractDocument } from '../../activities/extraction/index.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import {
  longEpub,
  pdfWithOutline,
  STRUCTURE,
  structuredDocx,
  structuredEpub,
  structuredHtml,
  structuredMarkdown,
} from '../fixtures/structured-documents.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const EXTRACT_ONLY = { extract_metadata: false, generate_embeddings: false, build_graph: false };
const CHUNK_SIZE = 400;

interface StoredChunk {
  ordinal: number;
  text: string;
  page_start: number | null;
  page_end: number | null;
  heading_path: string[];
  own_text: string;
}

describe('structure kept in chunks: heading paths, section boundaries, tables as rows', () => {
  let harness: DocumentActivitiesHarness;
  let sql: Sql;
  let dir: string;
  before(async () => {
    harness = await startDocumentActivities('structure', {
      FILEINTEL_CHUNK_SIZE: String(CHUNK_SIZE),
      FILEINTEL_CHUNK_OVERLAP: '40',
      FILEINTEL_EPUB_CHAPTERS_PER_RANGE: '3',
    });
    ({ sql } = harness);
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-structure-'));
  });
  after(async () => {
    await harness?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  async function processed(fixture: FixtureFile): Promise<{ documentId: string; chunks: StoredChunk[] }> {
    const documentId = await harness.storeDocument(fixture);
    await new MockActivityEnvironment().run(harness.activities.processDocument, { documentId, options: EXTRACT_ONLY });
    const rows = await sql<(Omit<StoredChunk, 'heading_path' | 'own_text'> & { metadata: Record<string, unknown> })[]>`
      SELECT ordinal, text, page_start, page_end, metadata FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    return {
      documentId,
      chunks: rows.map(({ metadata, ...row }) => ({
        ...row,
        heading_path: metadata.heading_path as string[],
        own_text: row.text.slice(Math.max(0, (metadata.own_start as number) - (metadata.char_start as number))),
      })),
    };
  }

  /** What every format must show: each section's text under its path, top sections never shared by a chunk, the table in rows. */
  function assertStructure(chunks: StoredChunk[], format: string, prefix: string[] = []) {
    assert.ok(
      chunks.every((chunk) => Array.isArray(chunk.heading_path)),
      `${format}: every chunk has heading_path`,
    );
    for (const section of STRUCTURE.sections) {
      const expectations: [string, string[]][] = [
        [section.title, [...prefix, section.title]],
        ...section.subsections.map((sub): [string, string[]] => [sub, [...prefix, section.title, sub]]),
      ];
      for (const [heading, headingPath] of expectations) {
        const opening = chunks.find((chunk) => chunk.own_text.includes(`This text belongs to ${heading}.`));
        assert.ok(opening, `${format}: the text of ${heading} is in a chunk`);
        // Under its own path, or the heading started inside a chunk not yet full (a sibling's or its parent's).
        const startedInside = opening.own_text.split('\n').some((line) => line.replace(/^#+ /, '') === heading);
        assert.ok(
          opening.heading_path.join(' › ') === headingPath.join(' › ') || startedInside,
          `${format}: "${heading}" is under ${JSON.stringify(opening.heading_path)}`,
        );
        assert.ok(
          chunks.some((chunk) => chunk.heading_path.join(' › ') === headingPath.join(' › ')),
          `${format}: a chunk under ${headingPath.join(' › ')}`,
        );
      }
    }
    // Top sections: no chunk holds text of both.
    const [first, second] = STRUCTURE.sections;
    const ofFirst = [first.title, ...first.subsections].map((heading) => `belongs to ${heading}.`);
    for (const chunk of chunks) {
      const mixes = ofFirst.some((marker) => chunk.text.includes(marker)) && chunk.text.includes(second.title);
      assert.ok(!mixes, `${format}: chunk ${chunk.ordinal} straddles "${first.title}" and "${second.title}"`);
    }
    // Sections start chunks: the second top section's heading opens a chunk of its own.
    assert.ok(
      chunks.some((chunk) => chunk.text.replace(/^#+ /, '').startsWith(second.title)),
      `${format}: "${second.title}" starts a chunk`,
    );
    // The table: a row per line, cells apart.
    const rows = STRUCTURE.table.map((row) => `| ${row.join(' | ')} |`);
    const holder = chunks.find((chunk) => chunk.text.includes(rows[1]));
    assert.ok(
      holder,
      `${format}: a chunk holds the table row "${rows[1]}"; chunks: ${JSON.stringify(chunks.map((c) => c.text))}`,
    );
    for (const row of rows)
      assert.ok(holder.text.split('\n').includes(row), `${format}: the row "${row}" on a line of its own`);
    assert.deepEqual(
      holder.heading_path,
      [...prefix, first.title, first.subsections[1]],
      `${format}: the table's section`,
    );
  }

  test('HTML: h1–h6 paths in the chunks, the table as rows of cells', async () => {
    const { chunks } = await processed(structuredHtml());
    assertStructure(chunks, 'html');
  });

  test('Markdown: # headings (not the ones inside code fences) in the chunks, its table rows kept', async () => {
    const { chunks } = await processed(structuredMarkdown());
    assertStructure(chunks, 'markdown', [STRUCTURE.title]);
    assert.ok(
      chunks.every((chunk) => !chunk.heading_path.some((name) => name.includes('not a heading'))),
      'a # line inside a code fence is no heading',
    );
  });

  test('DOCX: Word heading styles as paths, its table as rows of cells', async () => {
    const { chunks } = await processed(await structuredDocx());
    assertStructure(chunks, 'docx');
  });

  test('EPUB: chapter headings as paths, each chunk on its chapter, the table as rows', async () => {
    const { chunks } = await processed(await structuredEpub());
    assertStructure(chunks, 'epub');
    const safety = chunks.filter((chunk) => chunk.heading_path[0] === 'Safety');
    assert.ok(safety.every((chunk) => chunk.page_start === 2 && chunk.page_end === 2));
  });

  test('PDF: the outline’s entries mapped to their pages give the chunks their paths, in any page range', async () => {
    const fixture = await pdfWithOutline();
    const { chunks } = await processed(fixture);
    const onPage = (page: number) => chunks.find((chunk) => chunk.own_text.includes(`This is page ${page} of`))!;
    assert.deepEqual(onPage(1).heading_path, [], 'the title page is before every section');
    assert.deepEqual(onPage(2).heading_path, ['Measuring Decay']);
    assert.deepEqual(onPage(5).heading_path, ['Safety']);
    assert.equal(onPage(5).page_start, 5);
    assert.ok(onPage(5).text.startsWith('Safety'), 'the top section Safety starts a chunk');

    // A range that starts mid-section starts under the path in effect there.
    const file = path.join(dir, fixture.filename);
    await writeFile(file, fixture.bytes);
    const range = await extractDocument(file, fixture.mimeType, fixture.filename, { range: { first: 4, last: 5 } });
    assert.deepEqual(
      range.sections.map((section) => [section.page, section.headings]),
      [
        [4, [{ offset: 0, path: ['Measuring Decay', 'Counting Methods'] }]],
        [5, [{ offset: 0, path: ['Safety'] }]],
      ],
    );
  });

  test('a long EPUB is read in ranges of chapters, committed one by one; a resumed attempt reads only the chapters not committed', async () => {
    const book = await longEpub(10, 4);
    const documentId = await harness.storeDocument(book);
    const first = new MockActivityEnvironment({ attempt: 1 });
    first.on('heartbeat', (details: { progress?: { committed?: boolean; range?: number } }) => {
      if (details.progress?.committed && details.progress.range === 2) first.cancel();
    });
    await assert.rejects(
      first.run(harness.activities.processDocument, { documentId, options: EXTRACT_ONLY }),
      (error: Error) => error.name === 'CancelledFailure',
    );
    assert.deepEqual(
      (await committedRanges(sql, documentId)).map((range) => [range.page_start, range.page_end]),
      [
        [1, 3],
        [4, 6],
      ],
    );
    await new MockActivityEnvironment({ attempt: 2 }).run(harness.activities.processDocument, {
      documentId,
      options: EXTRACT_ONLY,
    });
    const ranges = await committedRanges(sql, documentId);
    assert.deepEqual(
      ranges.map((range) => [range.page_start, range.page_end, range.attempt]),
      [
        [1, 3, 1],
        [4, 6, 1],
        [7, 9, 2],
        [10, 10, 2],
      ],
    );
    const [doc] = await sql`SELECT page_count, metadata FROM documents WHERE id = ${documentId}`;
    assert.equal(doc.page_count, 10);
    assert.equal(doc.metadata.extraction.range_unit, 'chapter');
    const chunks = await sql<{ text: string; page_start: number; metadata: { heading_path: string[] } }[]>`
      SELECT text, page_start, metadata FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    for (let chapter = 1; chapter <= 10; chapter++) {
      const own = chunks.filter((chunk) => chunk.page_start === chapter);
      assert.ok(own.length > 0, `chapter ${chapter} has chunks`);
      assert.ok(
        own.every((chunk) => chunk.metadata.heading_path.join() === `Chapter ${chapter}`),
        `chapter ${chapter}'s chunks are under its heading`,
      );
    }
  });
});
