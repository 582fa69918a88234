// ZIP-based documents (DOCX, EPUB) are bounded in the worker whatever their
// headers say: an archive that declares more than the limits fails at once as
// too_large with the sizes, nothing inflated; one whose central directory lies
// (an entry declared at 2 KB that inflates to 1 GB) is stopped at the declared
// size. The extractor runs in this process, and its memory is measured around
// it: the peak resident size (maxRSS) and the buffers alive, in bytes.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createInflateRaw } from 'node:zlib';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../../common/archive-limits.ts';
import { extractDocument, UnreadableDocumentError } from '../../activities/extraction/index.ts';
import {
  ARCHIVE_FORMATS,
  ARCHIVES,
  archiveWith,
  entry,
  lyingAbout,
  textPart,
  zerosEntry,
  zipOf,
  type ZipEntrySpec,
} from '../fixtures/zip-bombs.ts';

const MiB = 1024 * 1024;
const GiB_IN_MiB = 1024;
const DOCX = ARCHIVES.docx.mimeType;
const EPUB = ARCHIVES.epub.mimeType;
/** What memory may grow by while a bomb is refused or stopped: far below the 1 GB it would inflate to. */
const FLAT_BYTES = 48 * MiB;

/** Bytes the entry's data really inflates to, counted as a stream (never held), to show the fixture is a real bomb. */
async function inflatedSize(spec: ZipEntrySpec): Promise<number> {
  const inflate = createInflateRaw();
  let bytes = 0;
  inflate.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const done = new Promise((resolve, reject) => inflate.on('end', resolve).on('error', reject));
  inflate.end(spec.data);
  await done;
  return bytes;
}

describe('archives bounded in the worker', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-archive-bounds-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function extract(filename: string, mimeType: string, bytes: Uint8Array, archive?: ArchiveLimits) {
    const file = path.join(dir, filename);
    await writeFile(file, bytes);
    return extractDocument(file, mimeType, filename, { archive });
  }

  /** The extractor's failure, with how much the process's peak resident size and its live buffers grew meanwhile. */
  async function failureWithMemory(filename: string, mimeType: string, bytes: Uint8Array, archive?: ArchiveLimits) {
    const file = path.join(dir, filename);
    await writeFile(file, bytes);
    global.gc?.();
    const before = { maxRss: process.resourceUsage().maxRSS * 1024, buffers: process.memoryUsage().arrayBuffers };
    const error = await extractDocument(file, mimeType, filename, { archive }).then(
      () => assert.fail(`${filename} was read`),
      (e: unknown) => e,
    );
    const grown = {
      maxRss: process.resourceUsage().maxRSS * 1024 - before.maxRss,
      buffers: process.memoryUsage().arrayBuffers - before.buffers,
    };
    assert.ok(error instanceof UnreadableDocumentError, String(error));
    return { error, grown };
  }

  // First in the file: the process's peak resident size has not been raised by anything else yet.
  test('a DOCX and an EPUB whose entry inflates to 1 GB: too_large at once with the sizes, nothing inflated, memory flat', async () => {
    // The bomb is one deflated MiB repeated: 16 of them inflate to 16 MiB, so 1,024 inflate to 1 GiB.
    assert.equal(await inflatedSize(zerosEntry('probe', 16)), 16 * MiB, 'the construction inflates as declared');
    const bomb = zerosEntry('word/document.xml', GiB_IN_MiB);
    for (const format of ARCHIVE_FORMATS) {
      const [name, bytes] = [`bomb.${format}`, archiveWith(format, bomb)];
      assert.ok(bytes.length < 1.1 * MiB, `${name}: ${bytes.length} bytes on disk`);
      const { error, grown } = await failureWithMemory(name, ARCHIVES[format].mimeType, bytes);
      assert.equal(error.reason, 'too_large');
      assert.match(
        error.message,
        /declares 10737\d{5} bytes \(1024\.\d MB\) once unpacked, more than max_archive_uncompressed_mb \(512 MB\); nothing was unpacked/,
      );
      assert.ok(grown.maxRss < FLAT_BYTES, `${name}: peak RSS grew by ${grown.maxRss} bytes`);
      assert.ok(grown.buffers < FLAT_BYTES, `${name}: buffers grew by ${grown.buffers} bytes`);
    }
  });

  test('a central directory that lies (2 KB declared, 1 GB inside): stopped at the declared size, too_large, memory flat', async () => {
    const bomb = lyingAbout(zerosEntry('word/document.xml', GiB_IN_MiB), 2048);
    for (const format of ARCHIVE_FORMATS) {
      const name = `liar.${format}`;
      const { error, grown } = await failureWithMemory(name, ARCHIVES[format].mimeType, archiveWith(format, bomb));
      assert.equal(error.reason, 'too_large', error.message);
      assert.match(
        error.message,
        /(word\/document\.xml|OEBPS\/ch1\.xhtml) inflates to more than the 2048 bytes its header declares \(stopped at 2049 bytes/,
      );
      assert.ok(grown.maxRss < FLAT_BYTES, `${name}: peak RSS grew by ${grown.maxRss} bytes`);
      assert.ok(grown.buffers < FLAT_BYTES, `${name}: buffers grew by ${grown.buffers} bytes`);
    }
  });

  test('the other limits: an entry inflating 1,000 times, too many entries', async () => {
    const ratio = await failureWithMemory('ratio.epub', EPUB, archiveWith('epub', zerosEntry('OEBPS/ch1.xhtml', 4)));
    assert.equal(ratio.error.reason, 'too_large');
    assert.match(
      ratio.error.message,
      /OEBPS\/ch1\.xhtml inflates \d{3,4} times .* more than max_archive_ratio \(100\)/,
    );

    const docx = archiveWith('docx', textPart('docx', 'Five entries are too many here'));
    const few = { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 2 };
    const entries = await failureWithMemory('entries.docx', DOCX, docx, few);
    assert.equal(entries.error.reason, 'too_large');
    assert.match(entries.error.message, /holds 3 entries, more than max_archive_entries \(2\)/);
  });

  test('honest archives within the limits read as before, ZIP64 too; encrypted and damaged entries say so', async () => {
    const text = 'The bounded archive reads normally.';
    const docx = await extract('ok.docx', DOCX, archiveWith('docx', textPart('docx', text)));
    assert.match(docx.sections[0].text, /bounded archive reads normally/);
    const zip64 = await extract('ok64.docx', DOCX, archiveWith('docx', textPart('docx', text), { zip64: true }));
    assert.match(zip64.sections[0].text, /bounded archive reads normally/);
    const epub = await extract('ok.epub', EPUB, archiveWith('epub', textPart('epub', text)));
    assert.match(epub.sections[0].text, /bounded archive reads normally/);

    const locked = await failureWithMemory(
      'locked.docx',
      DOCX,
      archiveWith('docx', { ...textPart('docx', text), encrypted: true }),
    );
    assert.equal(locked.error.reason, 'encrypted');
    const damaged = textPart('docx', text);
    const wrongSum = await failureWithMemory(
      'damaged.docx',
      DOCX,
      archiveWith('docx', { ...damaged, crc: (damaged.crc ^ 1) >>> 0 }),
    );
    assert.equal(wrongSum.error.reason, 'corrupt_file');
    assert.match(wrongSum.error.message, /does not match its declared size and checksum/);
    const cut = await failureWithMemory(
      'cut.epub',
      EPUB,
      zipOf([entry('mimetype', 'application/epub+zip', true)]).subarray(0, 40),
    );
    assert.equal(cut.error.reason, 'corrupt_file');
  });
});
