import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { docbookPage, messyDocx, messyEpub, sphinxPage } from '../fixtures/messy-documents.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import { bigPlainText, longPdf, pdfWithNulText, textWithStrayNuls } from '../fixtures/long-documents.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/** Latencies of GET /health sampled every `everyMs` until stopped; a probe that gets no answer within 5 s counts as unanswered. */
function probeHealth(url: string, everyMs = 100) {
  const latencies: number[] = [];
  let unanswered = 0;
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        await response.text();
        latencies.push(performance.now() - started);
      } catch {
        unanswered++;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
      return {
        answered: latencies.length,
        unanswered,
        p50: at(0.5),
        p99: at(0.99),
        max: Math.round(sorted[sorted.length - 1] ?? NaN),
      };
    },
  };
}

/**
 * Documents like the ones users bring, through the real upload route, the
 * real workflows and activities: a 1,500-page PDF, Sphinx and DocBook pages
 * with navigation and highlighted code, an EPUB and a DOCX carrying the same,
 * NUL characters in a PDF's text layer and in a text file, 5 MB of plain
 * text. All must process, with no markup in any chunk, without a single
 * heartbeat timeout or retry, while the API keeps answering.
 */
describe('real documents process: long, messy, many scripts, while the API answers', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ config: { pdf_pages_per_range: 100, max_concurrent_documents: 4 } });
  });
  after(() => stack?.teardown());

  async function upload(collection: string, fixture: FixtureFile): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([fixture.bytes], { type: fixture.mimeType }), fixture.filename);
    const response = await fetch(`${stack.apiUrl}/collections/${collection}/documents`, { method: 'POST', body: form });
    const body = (await response.json()) as { data: { document_id: string } };
    assert.equal(response.status, 201, `${fixture.filename}: ${JSON.stringify(body)}`);
    return body.data.document_id;
  }

  test('every document processed, no markup, no NUL, no heartbeat timeout or retry; /health answered throughout', async (t) => {
    await request('POST', `${stack.apiUrl}/collections`, { name: 'manuals' });
    const html = (name: string, page: string): FixtureFile => ({
      filename: name,
      mimeType: 'text/html',
      bytes: new TextEncoder().encode(page),
    });
    const fixtures = [
      await longPdf(1_500),
      html('tutorial.html', sphinxPage(12)),
      html('sql-values.html', docbookPage()),
      await messyEpub(),
      await messyDocx(),
      await pdfWithNulText(),
      textWithStrayNuls(),
      bigPlainText(5),
    ];
    for (const fixture of fixtures) await upload('manuals', fixture);

    const health = probeHealth(stack.apiUrl);
    const started = await request('POST', `${stack.apiUrl}/collections/manuals/process`, {
      build_graph: true,
      extract_metadata: true,
      generate_embeddings: true,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const taskId: string = started.body.data.task_id;
    const result = await stack.temporal.workflow.getHandle(taskId).result();
    const probes = await health.stop();
    t.diagnostic(`GET /health while processing: ${JSON.stringify(probes)} (ms)`);

    assert.deepEqual(
      { status: result.status, processed: result.processed, failed: result.failed },
      { status: 'completed', processed: fixtures.length, failed: 0 },
      JSON.stringify(result.failures),
    );
    assert.equal(probes.unanswered, 0, 'every health probe was answered');
    assert.ok(probes.answered > 0);

    // No attempt timed out or was retried, in any workflow of the run: the analysis (and its group activities) and the documents' own workflows.
    let workflows = 0;
    for await (const execution of stack.temporal.workflow.list({ query: `CollectionId = '${result.collection_id}'` })) {
      workflows++;
      const history = await stack.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const events = history.events ?? [];
      assert.equal(
        events.filter((event) => event.activityTaskTimedOutEventAttributes).length,
        0,
        `${execution.workflowId}: no activity timed out`,
      );
      for (const event of events) {
        if (event.activityTaskStartedEventAttributes)
          assert.equal(event.activityTaskStartedEventAttributes.attempt, 1, `${execution.workflowId}: no retry`);
      }
    }
    assert.ok(workflows > 1, 'the analysis and the big documents each have a workflow');
    const [{ processed }] =
      await stack.sql`SELECT count(*)::int AS processed FROM documents d JOIN collections k ON k.id = d.collection_id WHERE k.name = 'manuals' AND d.status = 'processed'`;
    assert.equal(processed, fixtures.length);

    const [markup] = await stack.sql`
      SELECT count(*) FILTER (WHERE c.text ~ '</?(span|div|pre|code|a|p|em|strong|table|td|tr|li|ul|nav|header|footer)\\b[^>]*>|class="')::int AS tags,
             count(*)::int AS chunks
      FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections k ON k.id = d.collection_id WHERE k.name = 'manuals'`;
    assert.equal(markup.tags, 0, 'no chunk holds markup');
    assert.ok(markup.chunks > 5_000);
    const [pages] = await stack.sql`
      SELECT string_agg(c.text, ' ') AS text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.original_filename IN ('tutorial.html', 'sql-values.html')`;
    for (const words of ['Report a Bug', 'Show Source', 'Previous topic'])
      assert.ok(!pages.text.includes(words), `navigation "${words}" dropped`);
    const keywords =
      await stack.sql`SELECT metadata->'analysis'->'keywords' AS keywords FROM documents d JOIN collections k ON k.id = d.collection_id WHERE k.name = 'manuals'`;
    for (const row of keywords)
      for (const word of row.keywords ?? [])
        assert.ok(!['span', 'class', 'div', 'href'].includes(word), `keyword "${word}" is markup`);
  });
});
