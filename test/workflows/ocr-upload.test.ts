import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { file, postMultipart } from '../fixtures/multipart.ts';
import { pngOf, pngWithDamagedData } from '../fixtures/scanned-documents.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const DRAWN = ['Receipt for seven radium samples', 'signed by Pierre Curie'];

/**
 * Images through the real pipeline: uploaded (sniffed as PNG), analysed by the
 * real workflows and activities, their text obtained by OCR and searchable; a
 * corrupt one fails alone, with a reason that says so, and is not retried.
 */
describe('a PNG upload is OCR’d through the real pipeline', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ config: { ocr_enabled: true } });
  });
  after(() => stack?.teardown());

  test('the PNG is processed, its chunks say ocr; the corrupt PNG fails as corrupt_file, once', async () => {
    await request('POST', `${stack.apiUrl}/collections`, { name: 'scans' });
    const good = pngOf(DRAWN, 'receipt.png');
    // Noise after the header: not a PNG by its chunks, so refused at upload, nothing stored.
    const noise = new Uint8Array(pngOf(['x']).bytes);
    for (let i = 40; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    const refused = await postMultipart(`${stack.apiUrl}/collections/scans/upload-and-process`, [
      file('noise.png', Buffer.from(noise)),
    ]);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details.files[0].reason, 'type_mismatch');
    assert.equal((await stack.sql`SELECT id FROM documents`).length, 0);

    // Its chunks in place but its image data noise: accepted, and the extraction says it cannot be read.
    const uploaded = await postMultipart(`${stack.apiUrl}/collections/scans/upload-and-process`, [
      file(good.filename, Buffer.from(good.bytes)),
      file('torn.png', Buffer.from(pngWithDamagedData().bytes)),
    ]);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const taskId: string = uploaded.body.data.task_id;
    const result = await stack.temporal.workflow.getHandle(taskId).result();
    assert.deepEqual([result.processed, result.failed], [1, 1], JSON.stringify(result));

    const documents = await stack.sql<
      { original_filename: string; status: string; mime_type: string; error: string | null }[]
    >`
      SELECT original_filename, status, mime_type, error FROM documents ORDER BY original_filename`;
    assert.deepEqual(
      documents.map((row) => [row.original_filename, row.mime_type, row.status]),
      [
        ['receipt.png', 'image/png', 'processed'],
        ['torn.png', 'image/png', 'failed'],
      ],
    );
    assert.match(documents[1].error!, /corrupt_file: the PNG image cannot be read/);

    const chunks = await stack.sql<{ text: string; page_start: number; metadata: Record<string, unknown> }[]>`
      SELECT c.text, c.page_start, c.metadata FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE d.original_filename = 'receipt.png'`;
    assert.ok(chunks.length > 0);
    const text = chunks
      .map((chunk) => chunk.text)
      .join(' ')
      .toLowerCase();
    for (const word of DRAWN.join(' ').toLowerCase().split(' ')) assert.ok(text.includes(word), `"${word}" in ${text}`);
    for (const chunk of chunks) {
      assert.equal(chunk.page_start, 1);
      assert.equal(chunk.metadata.text_source, 'ocr');
      assert.ok((chunk.metadata.ocr_confidence as number) > 60, JSON.stringify(chunk.metadata));
    }

    // The corrupt image was not retried: a non-retryable failure, one attempt.
    let attempts = 0;
    for await (const execution of stack.temporal.workflow.list({ query: `CollectionId = '${result.collection_id}'` })) {
      const history = await stack.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const started = event.activityTaskStartedEventAttributes;
        if (started) attempts = Math.max(attempts, started.attempt ?? 1);
      }
    }
    assert.equal(attempts, 1, 'no activity was retried');
  });
});
