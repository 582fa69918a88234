import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chunkSections } from '../../activities/chunking/chunker.ts';
import { countTokens } from '../../activities/chunking/tokenizer.ts';
import { MAX_HTML_DEPTH } from '../../activities/extraction/html.ts';
import { extractDocument, UnreadableDocumentError } from '../../activities/extraction/index.ts';
import {
  brokenFixtures,
  docxFixture,
  epubFixture,
  htmlFixture,
  latin1TextFixture,
  markdownFixture,
  pdfFixture,
  utf16TextFixture,
  utf8TextFixture,
  type FixtureFile,
} from '../fixtures/documents.ts';

describe('text extraction from real files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-extract-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function extract(fixture: FixtureFile) {
    const file = path.join(dir, fixture.filename);
    await writeFile(file, fixture.bytes);
    return extractDocument(file, fixture.mimeType, fixture.filename);
  }
  const allText = (sections: { text: string }[]) => sections.map((s) => s.text).join('\n');

  test('pdf: text per page, page count, the file’s title, author and date', async () => {
    const doc = await extract(await pdfFixture({ pages: ['First page about radium.', 'Second page about polonium.'] }));
    assert.equal(doc.format, 'pdf');
    assert.equal(doc.pageCount, 2);
    assert.deepEqual(
      doc.sections.map((s) => s.page),
      [1, 2],
    );
    assert.match(doc.sections[0].text, /First page about radium/);
    assert.match(doc.sections[1].text, /Second page about polonium/);
    assert.equal(doc.properties.title, 'Studies in Radioactivity');
    assert.deepEqual(doc.properties.authors, ['Marie Curie']);
    assert.equal(doc.properties.created, '2024-01-31T12:00:00.000Z');
  });

  test('docx: raw text and core properties', async () => {
    const doc = await extract(await docxFixture());
    assert.match(allText(doc.sections), /Notes on Polonium[\s\S]*Marie Curie worked in Paris/);
    assert.equal(doc.properties.title, 'Notes on Polonium');
    assert.deepEqual(doc.properties.authors, ['Pierre Curie']);
  });

  test('epub: chapters in spine order (not manifest order), each a "page", with Dublin Core metadata', async () => {
    const doc = await extract(await epubFixture());
    assert.equal(doc.pageUnit, 'chapter');
    assert.equal(doc.pageCount, 2);
    assert.match(doc.sections[0].text, /FIRST CHAPTER/);
    assert.match(doc.sections[1].text, /SECOND CHAPTER/);
    assert.equal(doc.properties.title, 'A Radium Story');
    assert.deepEqual(doc.properties.authors, ['Eve Curie']);
  });

  test('html: visible text and title; scripts and styles dropped, entities decoded', async () => {
    const doc = await extract(htmlFixture());
    const text = allText(doc.sections);
    assert.equal(doc.properties.title, 'Radium Today');
    assert.doesNotMatch(text, /SCRIPT TEXT|color:red/);
    assert.match(text, /Visible & decoded\./);
  });

  test('markdown title, and text in UTF-8, UTF-16 with BOM and latin-1', async () => {
    assert.equal((await extract(markdownFixture())).properties.title, 'Lab Notes');
    const utf8 = await extract(utf8TextFixture());
    assert.equal(utf8.encoding, 'utf-8');
    assert.match(allText(utf8.sections), /^Übersicht: naïve café/);
    const utf16 = await extract(utf16TextFixture());
    assert.equal(utf16.encoding, 'utf-16le');
    assert.match(allText(utf16.sections), /^UTF-16 Überblick/);
    const latin1 = await extract(latin1TextFixture());
    assert.match(allText(latin1.sections), /Le café de la gare à Montréal était très animé/);
  });

  test('html nested deeper than the limit fails at once as corrupt, naming the reason (no stack overflow retried as transient)', async () => {
    const nested = (levels: number) =>
      Buffer.from(`<html><body>${'<div>'.repeat(levels)}deep text${'</div>'.repeat(levels)}</body></html>`);
    // <html> and <body> are two levels: this is exactly the limit, and extracts.
    const atLimit = await extract({
      filename: 'at-limit.html',
      mimeType: 'text/html',
      bytes: nested(MAX_HTML_DEPTH - 2),
    });
    assert.match(allText(atLimit.sections), /deep text/);
    for (const levels of [MAX_HTML_DEPTH - 1, 5_000, 200_000]) {
      const started = Date.now();
      await assert.rejects(
        extract({ filename: `deep-${levels}.html`, mimeType: 'text/html', bytes: nested(levels) }),
        (error: unknown) => {
          assert.ok(error instanceof UnreadableDocumentError, `${levels} levels: ${error}`);
          assert.equal(error.reason, 'corrupt_file');
          assert.equal(error.message, `HTML nested deeper than ${MAX_HTML_DEPTH} levels`);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5_000, `${levels} levels took ${Date.now() - started} ms`);
    }
  });

  test('broken and unsupported files fail with an error naming the reason', async () => {
    for (const fixture of await brokenFixtures()) {
      await assert.rejects(extract(fixture), (error: unknown) => {
        assert.ok(error instanceof UnreadableDocumentError, `${fixture.filename}: ${error}`);
        assert.match(`${error.reason}: ${error.message}`, fixture.reason, fixture.filename);
        return true;
      });
    }
  });
});

describe('chunking', () => {
  const limits = { chunkSize: 800, overlap: 80, maxTokens: 512 };
  const text = Array.from(
    { length: 60 },
    (_, i) => `Sentence ${i} talks about durable workflows and honest failure.`,
  ).join(' ');

  test('chunks end at sentence ends, stay near the size, overlap the previous chunk and keep page ranges', () => {
    const chunks = chunkSections(
      [
        { text, page: 1 },
        { text: text.toUpperCase(), page: 2 },
      ],
      limits,
    );
    assert.ok(chunks.length > 4);
    for (const chunk of chunks) {
      assert.ok(chunk.text.length <= limits.chunkSize, `chunk ${chunk.ordinal} has ${chunk.text.length} characters`);
      assert.match(chunk.text, /[.]$/, 'ends at a sentence end');
      assert.equal(chunk.tokenCount, countTokens(chunk.text));
    }
    for (let i = 1; i < chunks.length; i++) {
      const overlap = chunks[i].ownStart - chunks[i].charStart;
      assert.ok(overlap > 0 && overlap <= limits.overlap, `overlap ${overlap}`);
      assert.ok(chunks[i - 1].text.endsWith(chunks[i].text.slice(0, overlap).trim()));
    }
    assert.equal(chunks[0].pageStart, 1);
    assert.equal(chunks[chunks.length - 1].pageEnd, 2);
    assert.ok(
      chunks.some((c) => c.pageStart === 1 && c.pageEnd === 2),
      'a chunk spanning the page break says so',
    );
  });

  test('the token cap holds even for text without sentence or word breaks', () => {
    const chunks = chunkSections([{ text: 'x'.repeat(3000) + ' ' + '日本語のテキスト'.repeat(200), page: null }], {
      chunkSize: 800,
      overlap: 80,
      maxTokens: 40,
    });
    assert.ok(chunks.length > 5);
    for (const chunk of chunks) assert.ok(chunk.tokenCount <= 40, `${chunk.tokenCount} tokens`);
  });
});
