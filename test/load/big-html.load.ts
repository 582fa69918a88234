import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { committedRanges } from '../../db/queries/document-runs.ts';
import { sphinxPage } from '../fixtures/messy-documents.ts';
import { procStats, reportFigures } from '../support/faults.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const FILE_MB = Number(process.env.LOAD_BIG_HTML_MB ?? 100);
const MB = 1024 * 1024;
/** What the whole worker process (its text threads included) may grow by while it reads the file: bounded by the range, not the file. */
const MAX_GROWTH_MB = 1_000;

/** A Sphinx page of `bytes` bytes written section by section, never whole in memory. */
async function writeBigSphinxPage(file: string, bytes: number): Promise<void> {
  const page = sphinxPage(1);
  const start = page.indexOf('<section id="s0">');
  const end = page.indexOf('</section>', start) + '</section>'.length;
  const section = page.slice(start, end);
  const out = createWriteStream(file);
  let written = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(page.slice(0, start));
  for (let i = 0; written < bytes; i++)
    await write(`${section.replaceAll('s0', `s${i}`).replace('File handling 0', `File handling ${i}`)}\n`);
  await write(page.slice(end));
  out.end();
  await once(out, 'finish');
}

/**
 * A 100 MB HTML file (a Sphinx page of 70,000 sections) through the extraction
 * step as the worker runs it: streamed (it is far above html_dom_max_mb), read
 * in ranges of text_chars_per_range characters, each committed before the
 * next. Before, such a file needed about 65 MB of heap per MB in a DOM and was
 * refused past ~30 MB (the text thread's 2 GB heap). VmHWM is the kernel's own
 * peak of this process's resident memory (its text threads included); run it
 * with DATABASE_URL, else the figure includes PGlite's in-process database.
 */
describe(`one ${FILE_MB} MB HTML file`, () => {
  let harness: DocumentActivitiesHarness;
  before(async () => {
    harness = await startDocumentActivities('big-html', {
      FILEINTEL_TEXT_WORKER_THREADS: '1',
      // LOAD_BIG_HTML_DOM_MAX_MB above the file's size reads it through the DOM instead, for comparison.
      ...(process.env.LOAD_BIG_HTML_DOM_MAX_MB
        ? { FILEINTEL_HTML_DOM_MAX_MB: process.env.LOAD_BIG_HTML_DOM_MAX_MB }
        : {}),
    });
  });
  after(() => harness?.teardown());

  test('is processed, range by range, its memory bounded by the range and not the file', async () => {
    const { sql, dir, collectionId } = harness;
    const key = `${collectionId}/big.html`;
    await mkdir(path.join(dir, collectionId), { recursive: true });
    await writeBigSphinxPage(path.join(dir, key), FILE_MB * MB);
    const size = (await stat(path.join(dir, key))).size;
    const [{ id: documentId }] = await sql`
      INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${collectionId}, 'big.html', ${key}, 'text/html', ${size}, 'big') RETURNING id`;

    const before = await procStats(process.pid);
    const started = Date.now();
    const result = (await new MockActivityEnvironment().run(harness.activities.processDocument, {
      documentId,
      options: { extract_metadata: true, generate_embeddings: false, build_graph: false },
    })) as { chunks: number };
    const seconds = (Date.now() - started) / 1000;
    const afterStats = await procStats(process.pid);

    const ranges = await committedRanges(sql, documentId);
    const [doc] = await sql`SELECT status, metadata FROM documents WHERE id = ${documentId}`;
    const extraction = doc.metadata.extraction;
    const [withPath] = await sql`
      SELECT count(*)::int AS n FROM chunks WHERE document_id = ${documentId} AND jsonb_array_length(metadata->'heading_path') > 0`;
    const figures = {
      file_mb: Math.round(size / MB),
      reader: size > harness.config.html_dom_max_mb * MB ? 'streamed' : 'dom',
      seconds: Math.round(seconds),
      chunks: result.chunks,
      ranges: ranges.length,
      text_characters: extraction.extent,
      chunks_with_heading_path: withPath.n,
      peak_rss_mb_before: Math.round(before.vmHwmKb / 1024),
      peak_rss_mb: Math.round(afterStats.vmHwmKb / 1024),
      growth_mb: Math.round((afterStats.vmHwmKb - before.vmHwmKb) / 1024),
      growth_mb_per_file_mb: Math.round(((afterStats.vmHwmKb - before.vmHwmKb) / 1024 / (size / MB)) * 100) / 100,
    };
    reportFigures('big-html', figures);
    if (extraction.extent > harness.config.text_chars_per_range) assert.ok(ranges.length > 1, 'read in ranges');
    assert.equal(extraction.range_unit, 'character');
    assert.equal(ranges.length, Math.ceil(extraction.extent / harness.config.text_chars_per_range));
    assert.equal(withPath.n, result.chunks, 'every chunk under a heading');
    assert.ok(figures.growth_mb < MAX_GROWTH_MB, `the process grew by ${figures.growth_mb} MB`);
  });
});
