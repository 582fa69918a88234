import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { StepHeartbeat } from '../../activities/document-processing/index.ts';
import { MAX_IMAGE_PIXELS } from '../../activities/extraction/image.ts';
import { extractDocument, UnreadableDocumentError, type OcrOptions } from '../../activities/extraction/index.ts';
import { endEngine, THREAD_ENTRY } from '../../activities/extraction/ocr/engine.ts';
import { imageSize } from '../../activities/extraction/ocr/image-size.ts';
import { missingLanguages } from '../../activities/extraction/ocr/languages.ts';
import { textSourceOf } from '../../activities/extraction/ocr/text-source.ts';
import { isUsablePageText } from '../../activities/extraction/ocr/usable-text.ts';
import { ConfigError, loadConfig } from '../../config/load.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import { jpegOf, pdfOfPages, pngOf, pngWithDamagedData, tiffOf } from '../fixtures/scanned-documents.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const OCR_ON: OcrOptions = { enabled: true, languages: ['eng'] };
const SCANNED_LINES = ['Invoice number 4711 from Warsaw', 'Marie Curie paid forty francs'];
const SECOND_SCAN = ['Received in London on Tuesday'];
const TEXT_PAGE = 'This page has a real text layer: radium and polonium were measured in Paris by the Curies.';
const ALL_STEPS = { extract_metadata: true, generate_embeddings: true, build_graph: true };

/** The words drawn, as OCR must give them back (case and spacing aside). */
function assertHasWords(text: string, lines: readonly string[]) {
  const found = text.toLowerCase().replace(/\s+/g, ' ');
  for (const word of lines.join(' ').toLowerCase().split(' ')) assert.ok(found.includes(word), `"${word}" in ${text}`);
}

describe('OCR: scanned pages and images', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-ocr-'));
  });
  after(async () => {
    await endEngine();
    await rm(dir, { recursive: true, force: true });
  });

  async function extract(fixture: FixtureFile, ocr: OcrOptions | null = OCR_ON) {
    const file = path.join(dir, fixture.filename);
    await writeFile(file, fixture.bytes);
    return extractDocument(file, fixture.mimeType, fixture.filename, { ocr: ocr ?? undefined });
  }
  const rejectsAs = (promise: Promise<unknown>, reason: string, message: RegExp) =>
    assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof UnreadableDocumentError, String(error));
      assert.equal(error.reason, reason);
      assert.match(error.message, message);
      return true;
    });

  test('a scanned PDF (an image, no text layer): OCR gives back the words drawn', async () => {
    const doc = await extract(await pdfOfPages([{ scanned: SCANNED_LINES }]));
    assert.equal(doc.pageCount, 1);
    assert.equal(doc.sections[0].source, 'ocr');
    assertHasWords(doc.sections[0].text, SCANNED_LINES);
    assert.ok(doc.sections[0].ocrConfidence! > 60, `confidence ${doc.sections[0].ocrConfidence}`);
  });

  test('a scanned page stamped with a line set in a font: the rendered page OCR reads has both (on Node 20 too)', async () => {
    // pdf.js draws fonts through ArrayBuffer.prototype.transferToFixedLength, missing in Node 20: without
    // activities/extraction/array-buffer-transfer.ts the stamp vanished from the render (and some real pages hung).
    const doc = await extract(await pdfOfPages([{ scanned: SCANNED_LINES, stamp: 'Filed 1898' }]));
    assert.equal(doc.sections[0].source, 'ocr');
    assertHasWords(doc.sections[0].text, [...SCANNED_LINES, 'Filed 1898']);
  });

  test('OCR off: the scanned PDF has no text, as before OCR existed', async () => {
    await rejectsAs(extract(await pdfOfPages([{ scanned: SCANNED_LINES }]), null), 'no_text', /no text/);
    await rejectsAs(
      extract(await pdfOfPages([{ scanned: SCANNED_LINES }]), { enabled: false, languages: ['eng'] }),
      'no_text',
      /no text/,
    );
  });

  test('PNG, JPEG and TIFF are one-page documents whose text is their OCR', async () => {
    for (const fixture of [
      pngOf(['Portable network graphics']),
      jpegOf(['Joint photographic experts']),
      tiffOf(['Tagged image file format']),
    ]) {
      const doc = await extract(fixture);
      assert.equal(doc.pageCount, 1, fixture.filename);
      assert.equal(doc.pageUnit, 'page');
      assert.equal(doc.sections.length, 1);
      assert.deepEqual([doc.sections[0].page, doc.sections[0].source], [1, 'ocr']);
      assertHasWords(doc.sections[0].text, [
        fixture.filename === 'scan.png'
          ? 'Portable network graphics'
          : fixture.filename === 'scan.jpg'
            ? 'Joint photographic experts'
            : 'Tagged image file format',
      ]);
    }
  });

  test('a corrupt image fails as corrupt_file, saying it cannot be read; a huge one as too_large; OCR off as no_text', async () => {
    const png = pngOf(['x']).bytes;
    // The header intact, the image data replaced by noise.
    const noisy = new Uint8Array(png);
    for (let i = 40; i < noisy.length; i++) noisy[i] = (i * 7919) % 251;
    await rejectsAs(
      extract({ filename: 'noisy.png', mimeType: 'image/png', bytes: noisy }),
      'corrupt_file',
      /the PNG image cannot be read/,
    );
    await rejectsAs(extract(pngWithDamagedData()), 'corrupt_file', /the PNG image cannot be read/);
    await rejectsAs(
      extract({ filename: 'cut.png', mimeType: 'image/png', bytes: png.slice(0, 20) }),
      'corrupt_file',
      /the PNG image cannot be read: its header has no image size/,
    );
    const huge = new Uint8Array(png.slice(0, 64));
    new DataView(huge.buffer).setUint32(16, 100_000);
    new DataView(huge.buffer).setUint32(20, 100_000);
    await rejectsAs(
      extract({ filename: 'huge.png', mimeType: 'image/png', bytes: huge }),
      'too_large',
      new RegExp(`100000 × 100000 pixels; at most ${MAX_IMAGE_PIXELS.toLocaleString('en')}`),
    );
    await rejectsAs(extract(pngOf(['words']), { enabled: false, languages: ['eng'] }), 'no_text', /ocr_enabled: false/);
  });

  test('image headers: the declared size of PNG, JPEG and TIFF', () => {
    assert.deepEqual(imageSize(pngOf(['a']).bytes), { width: 1700, height: 400 });
    assert.deepEqual(imageSize(jpegOf(['a']).bytes), { width: 1700, height: 400 });
    assert.deepEqual(imageSize(tiffOf(['a']).bytes), { width: 1700, height: 400 });
    assert.equal(imageSize(new TextEncoder().encode('not an image at all')), undefined);
  });

  test('nothing is fetched: the engine is handed the language data, and its thread fails any fetch', async () => {
    // The thread the engine runs, asked to load a language from a URL, as tesseract.js does by default.
    const thread = new Worker(THREAD_ENTRY);
    try {
      const answer = new Promise<{ status: string; data: unknown }>((resolve) =>
        thread.on('message', (message: { status: string; data: unknown }) => {
          if (message.status !== 'progress') resolve(message);
        }),
      );
      thread.postMessage({
        workerId: 'test',
        jobId: 'fetch-attempt',
        action: 'loadLanguage',
        payload: {
          langs: 'eng',
          options: { langPath: 'http://127.0.0.1:9/tessdata', cacheMethod: 'none', gzip: true },
        },
      });
      const { status, data } = await answer;
      assert.equal(status, 'reject');
      assert.match(
        String(data),
        /OCR must not fetch anything at run time \(it tried http:\/\/127\.0\.0\.1:9\/tessdata\/eng/,
      );
    } finally {
      await thread.terminate();
    }
  });

  test('a page is OCRd when its text layer is missing, nearly empty or glyph garbage', () => {
    assert.equal(isUsablePageText(''), false);
    assert.equal(isUsablePageText('  12 \n'), false, 'a page number alone');
    assert.equal(
      isUsablePageText(
        '\uE001\uE002\uE003\uE004\uE005\uE006\uE007\uE008\uE009\uE00A\uE00B\uE00C\uE00D\uE00E\uE00F\uE010\uE011\uE012\uE013\uE014\uE015',
      ),
      false,
    );
    assert.equal(isUsablePageText('\uFFFD'.repeat(40) + ' ab'), false);
    assert.equal(isUsablePageText(TEXT_PAGE), true);
    assert.equal(isUsablePageText('Σύνοψη της μελέτης για το ράδιο και το πολώνιο'), true, 'any script');
    // Control characters among ASCII punctuation: a font's codes passed through unmapped (seen in compound.pdf).
    assert.equal(isUsablePageText('\x02\x01\x04\x03\x06\x05"!$#%&\x14!\x04\x0e\'&$(\x1a)\x14*\x13+\x16'), false);
    assert.equal(isUsablePageText('!"#$%&()*+,/:;<=>?@[]^`{|}~!"#$%&'), false, 'punctuation alone');
    assert.equal(
      isUsablePageText('Polonium\u0000was\u0000found\u0000in\u0000pitchblende'),
      true,
      'NULs between good words',
    );
    // Contents and index pages are mostly leader dots, and are good text.
    assert.equal(isUsablePageText('6.3.4 Footnotes . . . . . . . . . . . . . . . . . . . . . . . . 112'), true);
    assert.equal(isUsablePageText('10.1 目次の類 ....................................... 99'), true);
  });

  test("a chunk's text source: ocr with the mean confidence of the OCR'd pages it covers", () => {
    const ocrPages = [
      { page: 2, confidence: 90 },
      { page: 3, confidence: 81 },
    ];
    assert.deepEqual(textSourceOf({ pageStart: 1, pageEnd: 1 }, ocrPages), { text_source: 'text_layer' });
    assert.deepEqual(textSourceOf({ pageStart: 1, pageEnd: 2 }, ocrPages), { text_source: 'ocr', ocr_confidence: 90 });
    assert.deepEqual(textSourceOf({ pageStart: 2, pageEnd: 3 }, ocrPages), {
      text_source: 'ocr',
      ocr_confidence: 85.5,
    });
    assert.deepEqual(textSourceOf({ pageStart: null, pageEnd: null }, []), { text_source: 'text_layer' });
  });

  test('config: a language whose data is not installed stops start-up naming ocr_languages; with OCR off it is not checked', () => {
    assert.deepEqual(missingLanguages(['eng']), []);
    assert.deepEqual(missingLanguages(['eng', 'xyz', '../eng']), ['xyz', '../eng']);
    assert.throws(
      () => loadConfig({ FILEINTEL_OCR_LANGUAGES: '[eng, xyz]', FILEINTEL_OCR_ENABLED: 'true' }),
      (error: Error) =>
        error instanceof ConfigError &&
        /ocr_languages/.test(error.message) &&
        /@tesseract\.js-data\/xyz/.test(error.message),
    );
    assert.deepEqual(loadConfig({ FILEINTEL_OCR_LANGUAGES: '[xyz]', FILEINTEL_OCR_ENABLED: 'false' }).ocr_languages, [
      'xyz',
    ]);
    // On by default: eng's data is a dependency, so it is always installed.
    assert.deepEqual([loadConfig({}).ocr_enabled, loadConfig({}).ocr_languages], [true, ['eng']]);
  });
});

describe('OCR in the extraction step: a mixed PDF, page ranges, heartbeats', () => {
  let harness: DocumentActivitiesHarness;
  before(async () => {
    harness = await startDocumentActivities('scans', {
      FILEINTEL_PDF_PAGES_PER_RANGE: '2',
      FILEINTEL_OCR_ENABLED: 'true',
    });
  });
  after(() => harness?.teardown());

  test("a mixed PDF: only the image pages are OCR'd, range by range, and each chunk says how its text was obtained", async () => {
    // Two scanned pages in the first range (the first one's report comes while the second is recognised), text in the second.
    const documentId = await harness.storeDocument(
      await pdfOfPages([{ scanned: SCANNED_LINES }, { scanned: SECOND_SCAN }, { text: TEXT_PAGE }], 'mixed.pdf'),
    );
    const env = new MockActivityEnvironment({ attempt: 1 });
    const heartbeats: StepHeartbeat[] = [];
    env.on('heartbeat', (details: StepHeartbeat) => heartbeats.push(details));
    const result = (await env.run(harness.activities.processDocument, { documentId, options: ALL_STEPS })) as {
      pages: number | null;
    };
    assert.equal(result.pages, 3);
    const chunks = await harness.sql<{ text: string; page_start: number; metadata: Record<string, unknown> }[]>`
      SELECT text, page_start, metadata FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    const ocrChunks = chunks.filter((chunk) => chunk.page_start <= 2);
    const textChunks = chunks.filter((chunk) => chunk.page_start === 3);
    assert.ok(textChunks.length > 0 && ocrChunks.length > 0, JSON.stringify(chunks));
    for (const chunk of ocrChunks) {
      assert.equal(chunk.metadata.text_source, 'ocr');
      assert.ok((chunk.metadata.ocr_confidence as number) > 60, JSON.stringify(chunk.metadata));
    }
    for (const chunk of textChunks) {
      assert.equal(chunk.metadata.text_source, 'text_layer');
      assert.equal(chunk.metadata.ocr_confidence, undefined);
    }
    assertHasWords(ocrChunks.map((chunk) => chunk.text).join(' '), [...SCANNED_LINES, ...SECOND_SCAN]);
    assert.match(textChunks.map((chunk) => chunk.text).join(' '), /radium and polonium were measured/);
    const ranges =
      await harness.sql`SELECT page_start, page_end FROM document_ranges WHERE document_id = ${documentId} ORDER BY range_index`;
    assert.deepEqual(
      ranges.map((range) => [range.page_start, range.page_end]),
      [
        [1, 2],
        [3, 3],
      ],
    );
    const ocrReports = heartbeats.filter((beat) => {
      const progress = beat.progress as { range?: number; pages_ocr?: number } | undefined;
      return progress?.range === 1 && progress.pages_ocr === 1;
    });
    assert.ok(ocrReports.length > 0, "each OCR'd page is reported as it finishes, within its range");
  });
  test('a worker killed after the first range resumes at the second: the OCR of committed pages is not done again', async () => {
    const documentId = await harness.storeDocument(
      await pdfOfPages([{ scanned: SCANNED_LINES }, { text: TEXT_PAGE }, { scanned: SECOND_SCAN }], 'resume.pdf'),
    );
    const first = new MockActivityEnvironment({ attempt: 1 });
    first.on('heartbeat', (details: StepHeartbeat) => {
      const progress = details.progress as { range?: number; committed?: boolean } | undefined;
      // Cancel stands in for the kill: the attempt stops right after range 1 is committed.
      if (progress?.committed && progress.range === 1) first.cancel();
    });
    await assert.rejects(
      first.run(harness.activities.processDocument, { documentId, options: ALL_STEPS }),
      (error: Error) => error.name === 'CancelledFailure',
    );
    const second = new MockActivityEnvironment({ attempt: 2 });
    const ocrReports: unknown[] = [];
    second.on('heartbeat', (details: StepHeartbeat) => {
      if ((details.progress as { pages_ocr?: number } | undefined)?.pages_ocr) ocrReports.push(details.progress);
    });
    await second.run(harness.activities.processDocument, { documentId, options: ALL_STEPS });
    const ranges = await harness.sql<{ page_start: number; page_end: number; attempt: number }[]>`
      SELECT page_start, page_end, attempt FROM document_ranges WHERE document_id = ${documentId} ORDER BY range_index`;
    assert.deepEqual(
      ranges.map((range) => [range.page_start, range.page_end, range.attempt]),
      [
        [1, 2, 1],
        [3, 3, 2],
      ],
    );
    for (const report of ocrReports) assert.equal((report as { range: number }).range, 2, JSON.stringify(report));
    const chunks = await harness.sql<{ text: string; page_start: number; metadata: Record<string, unknown> }[]>`
      SELECT text, page_start, metadata FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    const lastPage = chunks.filter((chunk) => chunk.page_start === 3);
    assert.ok(lastPage.length > 0 && lastPage.every((chunk) => chunk.metadata.text_source === 'ocr'));
    assertHasWords(lastPage.map((chunk) => chunk.text).join(' '), SECOND_SCAN);
  });
});

describe('OCR off by config', () => {
  let harness: DocumentActivitiesHarness;
  before(async () => {
    harness = await startDocumentActivities('no-ocr', { FILEINTEL_OCR_ENABLED: 'false' });
  });
  after(() => harness?.teardown());

  test('a scanned PDF fails as no_text, as it did before OCR', async () => {
    const documentId = await harness.storeDocument(await pdfOfPages([{ scanned: SCANNED_LINES }]));
    const env = new MockActivityEnvironment({ attempt: 1 });
    await assert.rejects(
      env.run(harness.activities.processDocument, { documentId, options: ALL_STEPS }),
      /no_text: no text could be extracted from scan\.pdf/,
    );
    const [{ count }] = await harness.sql`SELECT count(*)::int AS count FROM chunks WHERE document_id = ${documentId}`;
    assert.equal(count, 0);
  });
});
