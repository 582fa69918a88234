// One table of formats: a format added in one place (its entry in
// common/formats.ts and its extractor) is accepted by the upload over HTTP,
// named in the limits and refusals, routed and extracted. (The worker's
// thread pool loads its own copy of the modules, so processing through the
// worker is not run here: extraction is called as the thread calls it.)
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { workUnitsOf } from '../../activities/collection-analysis.ts';
import { EXTRACTORS, extractDocument, formatOf } from '../../activities/extraction/index.ts';
import { extractPlainText } from '../../activities/extraction/plain-text.ts';
import { judgeHead } from '../../api/uploads/sniff.ts';
import { FORMATS, acceptedExtensions, type FormatName } from '../../common/formats.ts';
import { file, postMultipart } from '../fixtures/multipart.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const RST = 'rst' as FormatName;
const RST_TEXT = 'Operating notes\n===============\n\nThe sweeper settles what operators terminate.\n';

describe('one table of formats: a format added in one place works end to end', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    // The one place: an entry in the table and an extractor for its name.
    FORMATS.push({
      name: RST,
      extensions: ['rst'],
      mimeTypes: ['text/x-rst'],
      sniff: { text: true },
      paged: false,
      rangeUnit: null,
    });
    EXTRACTORS[RST] = (bytes) => ({ ...extractPlainText(bytes, 'text'), format: RST });
    stack = await startTestStack({ worker: false });
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-formats-'));
  });
  after(async () => {
    FORMATS.pop();
    delete (EXTRACTORS as Partial<typeof EXTRACTORS>)[RST];
    await stack?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the upload accepts it over HTTP, stores its MIME type, and the limits name it', async () => {
    const collection = (await request('POST', `${stack.apiUrl}/collections`, { name: 'formats' })).body.data.id;
    const res = await postMultipart(`${stack.apiUrl}/collections/${collection}/documents`, [
      file('notes.rst', Buffer.from(RST_TEXT), 'file'),
    ]);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [row] = await stack.sql`SELECT mime_type, storage_key FROM documents WHERE collection_id = ${collection}`;
    assert.equal(row.mime_type, 'text/x-rst');
    assert.match(row.storage_key, /\.rst$/);
    const limits = await request('GET', `${stack.apiUrl}/uploads/limits`);
    assert.ok(limits.body.data.allowed_extensions.includes('rst'), JSON.stringify(limits.body));
  });

  test('a refusal lists it among the accepted types; its bytes are sniffed by its rule', async () => {
    const refused = await judgeHead(Buffer.from('hello'), 'notes.kfx');
    assert.equal(refused.ok, false);
    assert.match((refused as { message: string }).message, /\.rst/);
    const binary = await judgeHead(Buffer.from([0, 1, 2, 3, 0, 0, 0, 255, 254]), 'notes.rst');
    assert.deepEqual(
      { ok: binary.ok, reason: (binary as { reason: string }).reason },
      { ok: false, reason: 'type_mismatch' },
    );
    assert.ok(acceptedExtensions().includes('rst'));
  });

  test('routing and extraction read it: a small one goes in a group, its text is extracted', async () => {
    const units = workUnitsOf([{ id: 'a', filename: 'notes.rst', mime_type: 'text/x-rst', size_bytes: 100 }], {
      small_document_mb: 1,
      group_max_documents: 10,
      group_max_mb: 4,
    });
    assert.deepEqual(units, [{ kind: 'group', documents: [{ id: 'a', filename: 'notes.rst' }] }]);
    assert.equal(formatOf('text/x-rst', 'notes.rst'), RST);
    const stored = path.join(dir, 'notes.rst');
    await writeFile(stored, RST_TEXT);
    const extracted = await extractDocument(stored, 'text/x-rst', 'notes.rst');
    assert.equal(extracted.format, RST);
    assert.match(extracted.sections.map((section) => section.text).join('\n'), /sweeper settles/);
  });

  test('a paged format gets a workflow of its own, whatever its size', () => {
    const units = workUnitsOf([{ id: 'p', filename: 'tiny.pdf', mime_type: 'application/pdf', size_bytes: 10 }], {
      small_document_mb: 1,
      group_max_documents: 10,
      group_max_mb: 4,
    });
    assert.deepEqual(units, [{ kind: 'workflow', document: { id: 'p', filename: 'tiny.pdf' } }]);
  });
});
