import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import JSZip from 'jszip';
import { sniffStagedFile } from '../../api/uploads/sniff.ts';
import { docxFixture, epubFixture } from '../fixtures/documents.ts';

/** Each refusal of a ZIP-based document names its own problem, instead of all reading "the bytes are ZIP data". */
describe('refusals of ZIP-based documents name themselves', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-zip-refusals-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const sniff = async (filename: string, bytes: Uint8Array) => {
    const staged = path.join(dir, `${filename}.staged`);
    await writeFile(staged, bytes);
    return sniffStagedFile(staged, filename);
  };
  const plainZip = async () => {
    const zip = new JSZip();
    zip.file('hello.txt', 'not a document');
    zip.file('notes/more.txt', 'still not');
    return zip.generateAsync({ type: 'uint8array' });
  };

  test('whole DOCX and EPUB pass', async () => {
    assert.equal((await sniff('a.docx', (await docxFixture()).bytes)).ok, true);
    assert.equal((await sniff('a.epub', (await epubFixture()).bytes)).ok, true);
  });

  test('a complete ZIP that is not a DOCX: type_mismatch naming the missing part and what the archive holds', async () => {
    const verdict = await sniff('report.docx', await plainZip());
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.reason, 'type_mismatch');
    assert.match(
      verdict.message,
      /a ZIP archive without word\/document\.xml \(3 entries: hello\.txt, notes\/, notes\/more\.txt\): not a Word \(DOCX\) document/,
    );
  });

  test('a complete ZIP that is not an EPUB says so for EPUB', async () => {
    const verdict = await sniff('book.epub', await plainZip());
    assert.ok(!verdict.ok);
    assert.equal(verdict.reason, 'type_mismatch');
    assert.match(verdict.message, /without META-INF\/container\.xml .*not an EPUB book/);
  });

  test('an EPUB cut short (file-type still sees "epub") and a DOCX cut short: truncated_file', async () => {
    const epub = (await epubFixture()).bytes;
    const cutEpub = await sniff('book.epub', epub.subarray(0, Math.floor(epub.length / 2)));
    assert.ok(!cutEpub.ok);
    assert.equal(cutEpub.reason, 'truncated_file');
    assert.match(cutEpub.message, /named \.epub: a ZIP archive cut short/);

    const docx = (await docxFixture()).bytes;
    const cutDocx = await sniff('report.docx', docx.subarray(0, Math.floor(docx.length / 2)));
    assert.ok(!cutDocx.ok);
    assert.equal(cutDocx.reason, 'truncated_file');
  });

  test('the two refusals read differently', async () => {
    const notDocx = await sniff('x.docx', await plainZip());
    const cut = await sniff('y.epub', (await epubFixture()).bytes.subarray(0, 300));
    assert.ok(!notDocx.ok && !cut.ok);
    assert.notEqual(notDocx.message, cut.message);
    assert.doesNotMatch(notDocx.message + cut.message, /bytes are ZIP data/);
  });
});
