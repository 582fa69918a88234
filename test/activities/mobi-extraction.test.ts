// MOBI and AZW3 books made by an independent writer (calibre's ebook-convert,
// from an EPUB of ours: test/fixtures/ebooks/make-ebooks.ts) read to the same
// clean text as EPUB, with their title and author; DRM-protected, truncated
// and broken files fail with a reason that says so.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractDocument, UnreadableDocumentError } from '../../activities/extraction/index.ts';
import { judgeHead, sniffStagedFile } from '../../api/uploads/sniff.ts';
import { EBOOK } from '../fixtures/ebooks/ebook-text.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ebooks');
const BOOKS = [
  { file: 'book.mobi', format: 'mobi', kind: 'MOBI 6' },
  { file: 'book-joint.mobi', format: 'mobi', kind: 'joint MOBI 6 + KF8' },
  { file: 'book.azw3', format: 'azw3', kind: 'KF8' },
] as const;

/** Record 0's offset, from the Palm database's record list (at byte 78). */
const record0 = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(78);

describe('MOBI and AZW3 made by calibre read like EPUB', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-mobi-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const book = (file: string) => readFile(path.join(fixtures, file)).then((b) => new Uint8Array(b));
  async function extract(filename: string, bytes: Uint8Array) {
    const file = path.join(dir, filename);
    await writeFile(file, bytes);
    return extractDocument(file, 'application/octet-stream', filename);
  }
  async function failure(filename: string, bytes: Uint8Array): Promise<UnreadableDocumentError> {
    const error = await extract(filename, bytes).then(
      () => assert.fail(`${filename} was read`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof UnreadableDocumentError, String(error));
    return error;
  }

  for (const { file, format, kind } of BOOKS) {
    test(`${file} (${kind}): title, author, language, every paragraph in order, chapters, no markup`, async () => {
      const doc = await extract(file, await book(file));
      assert.equal(doc.format, format);
      assert.equal(doc.properties.title, EBOOK.title);
      assert.deepEqual(doc.properties.authors, [EBOOK.author]);
      assert.equal(doc.properties.language, 'en');
      assert.equal(doc.pageUnit, 'chapter');
      const text = doc.sections.map((s) => s.text).join('\n');
      let from = 0;
      for (const chapter of EBOOK.chapters) {
        for (const paragraph of [chapter.title, ...chapter.paragraphs]) {
          const at = text.indexOf(paragraph, from);
          assert.ok(at >= 0, `${file}: "${paragraph}" missing or out of order`);
          from = at + paragraph.length;
        }
      }
      // Each chapter of the EPUB is a section of its own (the table of contents calibre adds is one more).
      const sectionOf = (marker: string) => doc.sections.findIndex((s) => s.text.includes(marker));
      assert.deepEqual(['FIRSTCHAPTER', 'SECONDCHAPTER', 'THIRDCHAPTER'].map(sectionOf), [0, 1, 2]);
      assert.deepEqual(
        doc.sections.map((s) => s.page),
        doc.sections.map((_, i) => i + 1),
      );
      assert.doesNotMatch(text, /<|>|kindle:|filepos|aid=|calibre/);
      assert.equal(doc.removedCharacters, 0);
    });
  }

  test('upload sniffing: BOOKMOBI at offset 60 is a Kindle book for .mobi, .azw and .azw3 (its records then checked against the file); other bytes are not', async () => {
    for (const name of ['a.mobi', 'a.azw', 'a.azw3']) {
      const verdict = await judgeHead(Buffer.from(await book('book.azw3')), name);
      assert.equal(verdict.ok, 'palmdb', `${name}: ${JSON.stringify(verdict)}`);
    }
    const text = await judgeHead(Buffer.from('just some text, not a book'), 'a.mobi');
    assert.deepEqual(
      { ok: text.ok, reason: (text as { reason: string }).reason },
      { ok: false, reason: 'type_mismatch' },
    );
  });

  test('upload sniffing: a book cut short is truncated_file, a Palm database of another kind is type_mismatch', async () => {
    const bytes = await book('book.azw3');
    const cutFile = path.join(dir, 'cut.azw3.staged');
    await writeFile(cutFile, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cut = await sniffStagedFile(cutFile, 'cut.azw3');
    assert.ok(!cut.ok);
    assert.equal(cut.reason, 'truncated_file');
    assert.match(cut.message, /named \.azw3: a Kindle \(Mobipocket\) book cut short/);
    const wholeFile = path.join(dir, 'whole.mobi.staged');
    await writeFile(wholeFile, await book('book.mobi'));
    assert.equal((await sniffStagedFile(wholeFile, 'whole.mobi')).ok, true);
    const other = bytes.slice();
    other.set(new TextEncoder().encode('TEXtREAd'), 60); // a PalmDOC text database, not a book
    const otherFile = path.join(dir, 'other.mobi.staged');
    await writeFile(otherFile, other);
    const mismatch = await sniffStagedFile(otherFile, 'other.mobi');
    assert.ok(!mismatch.ok);
    assert.equal(mismatch.reason, 'type_mismatch');
  });

  test('DRM: the encryption field of the MOBI header set fails as encrypted, naming DRM', async () => {
    for (const { file } of BOOKS) {
      const bytes = await book(file);
      const locked = bytes.slice();
      new DataView(locked.buffer).setUint16(record0(locked) + 12, 2);
      const error = await failure(file, locked);
      assert.equal(error.reason, 'encrypted');
      assert.match(error.message, /DRM-protected \(Mobipocket encryption type 2\)/);
    }
  });

  test('DRM only in the KF8 part of a joint file is found too', async () => {
    const bytes = (await book('book-joint.mobi')).slice();
    const view = new DataView(bytes.buffer);
    // EXTH 121 names the KF8 part's record 0; find it by its MOBI header's version 8.
    const count = view.getUint16(76);
    const kf8 = Array.from({ length: count }, (_, i) => view.getUint32(78 + i * 8)).find(
      (offset, i) =>
        i > 0 &&
        offset + 40 < bytes.length &&
        view.getUint32(offset + 16) === 0x4d4f4249 &&
        view.getUint32(offset + 36) === 8,
    );
    assert.ok(kf8 !== undefined, 'the joint file has a KF8 header');
    view.setUint16(kf8 + 12, 1);
    const error = await failure('locked.mobi', bytes);
    assert.equal(error.reason, 'encrypted');
    assert.match(error.message, /DRM/);
  });

  test('HUFF/CDIC compression: unsupported_type, naming the compression', async () => {
    const bytes = (await book('book.mobi')).slice();
    new DataView(bytes.buffer).setUint16(record0(bytes), 17480);
    const error = await failure('old.mobi', bytes);
    assert.equal(error.reason, 'unsupported_type');
    assert.match(error.message, /HUFF\/CDIC/);
  });

  test('truncated and broken files fail as corrupt_file, saying what is wrong', async () => {
    for (const { file } of BOOKS) {
      const bytes = await book(file);
      for (const keep of [40, 200, Math.floor(bytes.length / 2), bytes.length - 3000]) {
        const error = await failure(file, bytes.subarray(0, keep));
        assert.equal(error.reason, 'corrupt_file', `${file} cut at ${keep}: ${error.message}`);
        assert.match(
          error.message,
          /MOBI\/AZW3 book cannot be read: .*(truncated|cut short|past the end|less than)/,
          `${file} cut at ${keep}`,
        );
      }
    }
    // Headers that claim more than the file holds: nothing is allocated from the claim, the book is corrupt.
    const claims: [number, number, number, RegExp][] = [
      [8, 2, 60_000, /names 60000 text records but the file holds \d+ records/],
      [4, 4, 10, /hold more than the 10 bytes the header declares/],
    ];
    for (const [offset, size, value, message] of claims) {
      const bytes = (await book('book.mobi')).slice();
      const view = new DataView(bytes.buffer);
      if (size === 2) view.setUint16(record0(bytes) + offset, value);
      else view.setUint32(record0(bytes) + offset, value);
      const error = await failure('claims.mobi', bytes);
      assert.equal(error.reason, 'corrupt_file');
      assert.match(error.message, message);
    }
    const garbage = new Uint8Array(4096).fill(0x41);
    garbage.set(new TextEncoder().encode('BOOKMOBI'), 60);
    const error = await failure('garbage.mobi', garbage);
    assert.equal(error.reason, 'corrupt_file');
  });
});
