import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extractDocument } from '../../activities/extraction/index.ts';
import { PDF_DATA_FILES } from '../../activities/extraction/pdf-data-files.ts';
import { cjkPdfWithPredefinedCMap } from '../fixtures/cjk-pdf.ts';

const CHINESE = '中文文档的页面：扫描与识别测试';

describe("pdf.js's data files (CMaps, standard fonts) come from disk", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-pdf-data-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('Chinese set in a font with a predefined CMap is read (without the CMap files it was no_text)', async () => {
    const fixture = await cjkPdfWithPredefinedCMap(CHINESE);
    const file = path.join(dir, fixture.filename);
    await writeFile(file, fixture.bytes);
    const document = await extractDocument(file, fixture.mimeType, fixture.filename, {});
    assert.equal(document.sections[0].text.trim(), CHINESE);
  });

  test('the files are read by name from their folder; other kinds and other folders are refused', async () => {
    const files = new PDF_DATA_FILES.BinaryDataFactory();
    const cmap = await files.fetch({ kind: 'cMapUrl', filename: 'UniGB-UCS2-H.bcmap' });
    assert.ok(cmap.byteLength > 0);
    const font = await files.fetch({ kind: 'standardFontDataUrl', filename: 'LiberationSans-Regular.ttf' });
    assert.ok(font.byteLength > 1000);
    const decoder = await files.fetch({ kind: 'wasmUrl', filename: 'openjpeg.wasm' });
    assert.deepEqual([...decoder.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'a WebAssembly module');
    await assert.rejects(files.fetch({ kind: 'iccUrl', filename: 'x.icc' }), /iccUrl data, which is not installed/);
    // A name out of a PDF never leaves the folder: this asks for cmaps/package.json, which does not exist.
    await assert.rejects(files.fetch({ kind: 'cMapUrl', filename: '../package.json' }), { code: 'ENOENT' });
  });
});
