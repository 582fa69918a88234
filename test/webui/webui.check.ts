import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? 'chromium';

/**
 * `npm run check:webui`: what an operator sees in the Temporal Web UI. Runs a
 * small batch on a dev server with its UI up, then Debian's headless chromium
 * opens the workflow list filtered by BatchId (and by CollectionName) and
 * saves screenshots under this run's temp dir, printed at the end for a look.
 * Not in `npm test`: it needs chromium (apt-get install chromium).
 */
describe('Temporal Web UI: the workflow list of a batch is readable', () => {
  let stack: TestStack;
  let uiUrl: string;
  let shots: string;

  before(async () => {
    const uiPort = await freePort();
    // No groups: processDocument is the stand-in, so every document is its own documentProcessing workflow (its row in the Web UI).
    stack = await startTestStack({ worker: false, temporalUiPort: uiPort, config: { small_document_mb: 0 } });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    shots = await mkdtemp(path.join(os.tmpdir(), 'fileintel-webui-'));
    const real = stack.realActivities();
    // The document step is a stand-in: this check is about what the UI shows, not about extraction.
    await stack.startWorker({ ...real, processDocument: async () => ({ chunks: 1, pages: null }) });
  });
  after(() => stack?.teardown());

  async function collectionWith(name: string, filenames: string[]) {
    const [collection] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
    for (const [i, filename] of filenames.entries()) {
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
                      VALUES (${collection.id}, ${filename}, ${`${collection.id}/${i}.txt`}, 'text/plain', 3, ${`${name}-${i}`})`;
    }
  }

  /** A screenshot of `url` by headless chromium, given time for the UI's own requests. */
  async function screenshot(url: string, file: string): Promise<string> {
    const target = path.join(shots, file);
    const profile = await mkdtemp(path.join(shots, 'profile-'));
    await run(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--hide-scrollbars',
        '--virtual-time-budget=15000',
        '--window-size=1600,1000',
        `--screenshot=${target}`,
        url,
      ],
      { timeout: 120_000 },
    );
    assert.ok((await stat(target)).size > 10_000, `${file} is an empty page`);
    return target;
  }

  test('filtered by BatchId and by CollectionName', async () => {
    await collectionWith('annual-reports', ['report-2023.txt', 'report-2024.txt']);
    await collectionWith('contracts', ['lease-agreement.txt']);
    const res = await request('POST', `${stack.apiUrl}/collections/batch-process`, {
      tasks: [{ collection_id: 'annual-reports' }, { collection_id: 'contracts' }],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const batchId = res.body.data.batch_id as string;
    await eventually(
      () => request('GET', `${stack.apiUrl}/batches/${batchId}`),
      (r) => r.body.data.status === 'COMPLETED',
      'the batch completes',
    );
    await eventually(
      async () => {
        let count = 0;
        for await (const _ of stack.temporal.workflow.list({ query: `BatchId = "${batchId}"` })) count++;
        return count;
      },
      (count) => count === 6,
      'visibility lists the batch, two analyses and three documents',
    );

    const byBatch = await screenshot(
      `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`BatchId="${batchId}"`)}`,
      'batch.png',
    );
    const byCollection = await screenshot(
      `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('CollectionName="annual-reports"')}`,
      'collection.png',
    );
    // A document workflow's own page: its summary (filename first) heads it.
    let documentWorkflow: { workflowId: string; runId: string } | undefined;
    for await (const workflow of stack.temporal.workflow.list({
      query: `BatchId = "${batchId}" AND DocumentName = "report-2024.txt"`,
    }))
      documentWorkflow = workflow;
    assert.ok(documentWorkflow, 'the document workflow is found by DocumentName');
    const documentPage = await screenshot(
      `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(documentWorkflow.workflowId)}/${documentWorkflow.runId}/history`,
      'document.png',
    );
    process.stdout.write(`screenshots:\n  ${byBatch}\n  ${byCollection}\n  ${documentPage}\n`);
  });
});
