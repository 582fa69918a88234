// Both Prometheus endpoints, scraped before and after an upload-and-process of
// a few generated documents (one of them broken) and a batch of one more
// collection: the API's request and upload counters and its database gauges,
// the worker's SDK metrics (workflow and activity completions,
// schedule-to-start and execution histograms) and its outcome counters move
// by exactly what the test did.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiMetrics } from '../../api/observability/metrics.ts';
import { startMetricsServer } from '../../api/observability/metrics-server.ts';
import { createPool } from '../../db/pool.ts';
import { startServices, type Services } from '../../main/services.ts';
import { installWorkerTelemetry } from '../../worker/telemetry.ts';
import { pdfFixture, prose } from '../fixtures/documents.ts';
import { postMultipart, type Part } from '../fixtures/multipart.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { Scrape } from '../support/prometheus.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const UPLOAD_ROUTE = '/api/v3/collections/:collection/upload-and-process';

describe('metrics: the API and worker Prometheus endpoints', () => {
  let stack: TestStack;
  let api: Services;
  let workerMetrics: string;
  let apiMetrics: string;

  before(async () => {
    // Before anything makes the Runtime (the dev server, a worker): once per process.
    const address = `127.0.0.1:${await freePort()}`;
    workerMetrics = installWorkerTelemetry(address).metricsUrl!;
    assert.equal(workerMetrics, `http://${address}/metrics`);
    stack = await startTestStack({ api: false, config: { small_document_mb: 1 } });
    api = await startServices({
      config: stack.config,
      database: stack.sql,
      temporalAddress: stack.temporalAddress,
      api: { host: '127.0.0.1', port: 0, temporal: stack.temporal, metricsAddress: '127.0.0.1:0' },
    });
    apiMetrics = api.api!.metricsUrl!;
  });
  after(async () => {
    await api?.stop();
    await stack?.teardown();
  });

  test('installing the telemetry again is tolerated: the same address is kept, another is ignored', async () => {
    assert.equal(installWorkerTelemetry(new URL(workerMetrics).host).metricsUrl, workerMetrics);
    assert.deepEqual(installWorkerTelemetry('127.0.0.1:1'), {});
    assert.deepEqual(installWorkerTelemetry(''), {});
    // A second worker in the same process runs on the installed Runtime.
    const stop = await stack.startWorker(undefined, ['documents']);
    await stop();
  });

  test('counters and histograms move by what an upload-and-process and a batch did', async () => {
    const apiBefore = await Scrape.of(apiMetrics);
    const workerBefore = await Scrape.of(workerMetrics);
    assert.equal(apiBefore.value('fileintel_metrics_database_up'), 1);

    const created = await request('POST', `${api.api!.url}/collections`, { name: 'metrics' });
    assert.equal(created.status, 201);
    const collection = created.body.data.id as string;
    const texts = ['alpha', 'beta', 'gamma'].map((topic) => Buffer.from(prose(topic, 20)));
    const broken = Buffer.from((await pdfFixture()).bytes.slice(0, 200));
    const parts: Part[] = [
      ...texts.map((content, i) => ({ field: 'files', filename: `doc-${i}.txt`, content })),
      { field: 'files', filename: 'truncated.pdf', content: broken },
    ];
    const uploaded = await postMultipart(`${api.api!.url}/collections/${collection}/upload-and-process`, parts);
    assert.ok(uploaded.status < 300, JSON.stringify(uploaded.body));
    await eventually(
      async () => (await stack.sql`SELECT status FROM collections WHERE id = ${collection}`)[0]!.status as string,
      (status) => status === 'completed_with_errors',
      'the analysis ended, one document failed',
    );
    // A batch of one more collection, uploaded without processing.
    const second = (await request('POST', `${api.api!.url}/collections`, { name: 'metrics-batch' })).body.data
      .id as string;
    const more = ['delta', 'epsilon'].map((topic) => Buffer.from(prose(topic, 20)));
    const stored = await postMultipart(`${api.api!.url}/collections/${second}/upload-and-process`, [
      ...more.map((content, i) => ({ field: 'files', filename: `more-${i}.txt`, content })),
      { field: 'process_immediately', value: 'false' },
    ]);
    assert.ok(stored.status < 300, JSON.stringify(stored.body));
    const batch = await request('POST', `${api.api!.url}/collections/batch-process`, {
      tasks: [{ collection_id: second }],
      workflow_type: 'sequential',
    });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    const batchResult = await stack.temporal.workflow.getHandle(batch.body.data.task_id as string).result();
    assert.equal(batchResult.status, 'completed');

    const apiAfter = await Scrape.of(apiMetrics);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      apiAfter.value(name, labels) - apiBefore.value(name, labels);

    // Requests, by route template and method.
    assert.equal(delta('fileintel_http_request_duration_seconds_count', { route: UPLOAD_ROUTE, method: 'POST' }), 2);
    assert.equal(
      delta('fileintel_http_request_duration_seconds_count', {
        route: '/api/v3/collections',
        method: 'POST',
        status: '201',
      }),
      2,
    );
    assert.equal(
      delta('fileintel_http_request_duration_seconds_count', {
        route: '/api/v3/collections/batch-process',
        status: '202',
      }),
      1,
    );
    assert.equal(
      delta('fileintel_http_request_duration_seconds_bucket', { route: UPLOAD_ROUTE, le: '+Inf' }),
      2,
      'the histogram counted it in its buckets',
    );
    assert.ok(delta('fileintel_http_request_duration_seconds_sum', { route: UPLOAD_ROUTE }) > 0);
    // The metrics listener is apart: its own scrapes are not among the API's requests.
    assert.equal(apiAfter.value('fileintel_http_request_duration_seconds_count', { route: 'unmatched' }), 0);

    // Uploads: files and bytes received.
    assert.equal(delta('fileintel_upload_files_total', { result: 'accepted' }), parts.length + more.length);
    const bytes = [...texts, broken, ...more].reduce((total, content) => total + content.length, 0);
    assert.equal(delta('fileintel_upload_bytes_total', { result: 'accepted' }), bytes);

    // Database gauges: documents by status and failures by reason, the collection by its outcome.
    assert.equal(delta('fileintel_documents', { status: 'processed' }), texts.length + more.length);
    assert.equal(delta('fileintel_documents', { status: 'failed' }), 1);
    assert.equal(apiAfter.value('fileintel_documents', { status: 'queued' }), 0, 'nothing waits any more');
    assert.equal(delta('fileintel_documents_failed', { step: 'extract', reason: 'corrupt_file' }), 1);
    assert.equal(delta('fileintel_collections', { status: 'completed_with_errors' }), 1);
    assert.equal(delta('fileintel_collections', { status: 'completed' }), 1);

    // The worker: the SDK's own metrics and the outcome counter, once the exporter has caught up.
    const workerAfter = await eventually(
      () => Scrape.of(workerMetrics),
      (scrape) =>
        scrape.value('fileintel_batches_finished', { outcome: 'completed' }) -
          workerBefore.value('fileintel_batches_finished', { outcome: 'completed' }) ===
        1,
      'the batch counted by outcome on the worker',
    );
    const workerDelta = (name: string, labels: Record<string, string> = {}) =>
      workerAfter.value(name, labels) - workerBefore.value(name, labels);
    assert.equal(workerDelta('fileintel_analyses_finished', { outcome: 'completed_with_errors' }), 1);
    assert.equal(workerDelta('fileintel_analyses_finished', { outcome: 'completed' }), 1);
    assert.equal(workerDelta('fileintel_batches_finished'), 1);
    assert.equal(workerDelta('temporal_workflow_completed', { workflow_type: 'collectionAnalysis' }), 2);
    assert.equal(workerDelta('temporal_workflow_completed', { workflow_type: 'batchProcess' }), 1);
    // The broken PDF is a unit of its own: one documentProcessing workflow, failed with its document, its
    // processDocument activity failed (not retried: unreadable); each collection's texts ran in one group activity.
    assert.equal(workerDelta('temporal_workflow_failed', { workflow_type: 'documentProcessing' }), 1);
    assert.equal(workerDelta('temporal_activity_execution_failed', { activity_type: 'processDocument' }), 1);
    assert.equal(
      workerDelta('temporal_activity_execution_latency_count', { activity_type: 'processDocumentGroup' }),
      2,
    );
    assert.equal(workerDelta('temporal_activity_execution_latency_count', { activity_type: 'processDocument' }), 1);
    assert.ok(workerDelta('temporal_workflow_task_schedule_to_start_latency_count') > 0);
    assert.ok(workerDelta('temporal_activity_schedule_to_start_latency_count') > 0);
    assert.ok(workerAfter.has('temporal_worker_task_slots_available'), workerAfter.names().join(' '));
  });

  test('a database that does not answer leaves its gauges out of the scrape, which still answers', async () => {
    // Nothing listens there: every connection attempt fails until the scrape's bound gives up.
    const unreachable = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, stack.config);
    const server = await startMetricsServer(new ApiMetrics(unreachable), '127.0.0.1:0');
    try {
      const scrape = await Scrape.of(server.url);
      assert.equal(scrape.value('fileintel_metrics_database_up'), 0);
      assert.equal(scrape.has('fileintel_documents'), false);
      assert.equal(scrape.has('fileintel_http_request_duration_seconds_count'), false, 'no request yet');
      assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    } finally {
      await server.close();
      await unreachable.end({ timeout: 1 });
    }
  });
});
