// One trace from an upload-and-process request through the analysis workflow
// and a document's workflow to its processDocument activity: spans of the API
// (its request, the Temporal client's start), of the workflows (exported by
// the worker's sink) and of the activity, all with the request's trace id,
// caught by an in-memory exporter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../common/tracing.ts';
import { startServices, type Services } from '../../main/services.ts';
import { prose } from '../fixtures/documents.ts';
import { postMultipart } from '../fixtures/multipart.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('tracing: an upload-and-process request is one trace down to the document activity', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let stack: TestStack;
  let api: Services;

  before(async () => {
    // Tracing first, so the worker and the API's client find it on.
    tracing = (await startTracing({
      serviceName: 'fileintel-test',
      spanProcessor: new SimpleSpanProcessor(exporter),
    }))!;
    // small_document_mb 0: every document gets a documentProcessing workflow of its own.
    stack = await startTestStack({ api: false, config: { small_document_mb: 0 } });
    // The API on a Temporal connection of its own, whose client carries the trace context into the workflows.
    api = await startServices({
      config: stack.config,
      database: stack.sql,
      temporalAddress: stack.temporalAddress,
      api: { host: '127.0.0.1', port: 0 },
    });
  });
  after(async () => {
    await api?.stop();
    await stack?.teardown();
    await tracing?.shutdown();
  });

  test('the request, the workflow start, both workflows and the activity share one trace id', async () => {
    const created = await request('POST', `${api.api!.url}/collections`, { name: 'traced' });
    assert.equal(created.status, 201);
    const collection = created.body.data.id as string;
    const uploaded = await postMultipart(`${api.api!.url}/collections/${collection}/upload-and-process`, [
      { field: 'files', filename: 'traced.txt', content: Buffer.from(prose('tracing', 20)) },
    ]);
    assert.ok(uploaded.status < 300, JSON.stringify(uploaded.body));
    await eventually(
      async () => (await stack.sql`SELECT status FROM collections WHERE id = ${collection}`)[0]!.status as string,
      (status) => status === 'completed',
      'the analysis completed',
    );

    const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
    const uploadRoute = 'POST /api/v3/collections/:collection/upload-and-process';
    // Workflow spans reach the exporter through the worker's sink as their tasks complete.
    const spans = await eventually(
      () => exporter.getFinishedSpans(),
      (finished) =>
        ['RunWorkflow:collectionAnalysis', 'RunWorkflow:documentProcessing', 'RunActivity:processDocument'].every(
          (name) => named(finished, name).length > 0,
        ),
      'the workflow and activity spans are exported',
    );

    const [server] = named(spans, uploadRoute);
    assert.ok(server, `a span for the request; spans: ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(server.kind, SpanKind.SERVER);
    assert.equal(server.attributes['http.route'], '/api/v3/collections/:collection/upload-and-process');
    const traceId = server.spanContext().traceId;
    const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
    for (const name of [
      'StartWorkflow:collectionAnalysis',
      'RunWorkflow:collectionAnalysis',
      'StartChildWorkflow:documentProcessing',
      'RunWorkflow:documentProcessing',
      'StartActivity:processDocument',
      'RunActivity:processDocument',
    ]) {
      assert.equal(
        named(inTrace, name).length,
        1,
        `${name} in the request's trace; there: ${inTrace.map((span) => span.name).join(', ')}`,
      );
    }
    // The chain is parent to child: request → start → run → child start → child run → activity start → activity.
    const byId = new Map(inTrace.map((span) => [span.spanContext().spanId, span]));
    const ancestors = (span: ReadableSpan): string[] => {
      const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
      return parent ? [parent.name, ...ancestors(parent)] : [];
    };
    assert.deepEqual(ancestors(named(inTrace, 'RunActivity:processDocument')[0]!), [
      'StartActivity:processDocument',
      'RunWorkflow:documentProcessing',
      'StartChildWorkflow:documentProcessing',
      'RunWorkflow:collectionAnalysis',
      'StartWorkflow:collectionAnalysis',
      uploadRoute,
    ]);
    // Another request is another trace.
    const [createSpan] = named(spans, 'POST /api/v3/collections');
    assert.ok(createSpan);
    assert.notEqual(createSpan.spanContext().traceId, traceId);
  });
});
