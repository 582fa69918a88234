import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { batchRouting, documentRouting } from '../../api/analysis/routing.ts';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { queuesArgument, WorkerArgumentError } from '../../main/queues-argument.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** `npm run worker -- <args>` as a process: its exit code and what it wrote to stderr. */
function runWorker(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/worker.ts', ...args], {
      cwd: ROOT,
      // Nowhere to connect: a refused start must not get that far.
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('which task queues a worker serves', () => {
  test('--queues takes a comma-separated list, spaced or with =; absent leaves it to config', () => {
    assert.equal(queuesArgument(['--queues', 'workflows,documents']), 'workflows,documents');
    assert.equal(queuesArgument(['--queues=documents']), 'documents');
    assert.equal(queuesArgument([]), undefined);
  });

  test('--queues without a list, or any other argument, is refused with the usage', () => {
    for (const argv of [
      ['--queues'],
      ['--queues', '--verbose'],
      ['--queues='],
      ['--queue', 'documents'],
      ['documents'],
    ]) {
      assert.throws(() => queuesArgument(argv), WorkerArgumentError, JSON.stringify(argv));
    }
    assert.throws(
      () => queuesArgument(['--threads', '4']),
      /unknown argument "--threads"; the worker takes --queues workflows,documents/,
    );
  });

  test('config: both queues by default; FILEINTEL_WORKER_QUEUES a list or comma-separated; unknown names named', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.worker_queues, ['workflows', 'documents']);
    assert.equal(defaults.task_queue, 'fileintel', 'the workflow queue keeps its name: runs in flight keep going');
    assert.equal(defaults.document_task_queue, 'fileintel-documents');
    assert.deepEqual(loadConfig({ FILEINTEL_WORKER_QUEUES: 'documents' }).worker_queues, ['documents']);
    assert.deepEqual(loadConfig({ FILEINTEL_WORKER_QUEUES: ' documents , workflows ' }).worker_queues, [
      'documents',
      'workflows',
    ]);
    assert.deepEqual(loadConfig({ FILEINTEL_WORKER_QUEUES: '[workflows]' }).worker_queues, ['workflows']);
    assert.throws(
      () => loadConfig({ FILEINTEL_WORKER_QUEUES: 'workflows,activities' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          new RegExp(
            'worker_queues = "workflows,activities" \\(from FILEINTEL_WORKER_QUEUES\\): ' +
              'unknown queue "activities"; choose from workflows, documents',
          ),
        );
        return true;
      },
    );
    assert.throws(() => loadConfig({ FILEINTEL_WORKER_QUEUES: '[]' }), /worker_queues/);
  });

  test('config: the document queue differs from the workflow queue; priorities stay in 1..5', () => {
    assert.throws(
      () => loadConfig({ FILEINTEL_DOCUMENT_TASK_QUEUE: 'fileintel' }),
      /document_task_queue = "fileintel" .*must differ from task_queue \(fileintel\)/,
    );
    assert.throws(() => loadConfig({ FILEINTEL_INTERACTIVE_PRIORITY: '0' }), /interactive_priority/);
    assert.throws(() => loadConfig({ FILEINTEL_BATCH_PRIORITY: '6' }), /batch_priority/);
    assert.throws(() => loadConfig({ FILEINTEL_FAIRNESS: 'sometimes' }), /fairness/);
    const defaults = loadConfig({});
    assert.ok(
      defaults.interactive_priority < defaults.batch_priority,
      'an interactive run goes before a bulk one (lower key first)',
    );
  });

  test('npm run worker refuses an unknown queue or argument before connecting (exit 2, why on stderr)', async () => {
    const unknownQueue = await runWorker(['--queues', 'workflows,docs']);
    assert.equal(unknownQueue.code, 2, unknownQueue.stderr);
    assert.match(
      unknownQueue.stderr,
      new RegExp(
        '\\[worker\\] invalid configuration:\\n\\s+' +
          'worker_queues = "workflows,docs" \\(from FILEINTEL_WORKER_QUEUES\\): ' +
          'unknown queue "docs"; choose from workflows, documents',
      ),
    );
    const fromEnv = await runWorker([], { FILEINTEL_WORKER_QUEUES: 'orchestration' });
    assert.equal(fromEnv.code, 2, fromEnv.stderr);
    assert.match(fromEnv.stderr, /unknown queue "orchestration"/);
    const unknownArgument = await runWorker(['--concurrency', '8']);
    assert.equal(unknownArgument.code, 2, unknownArgument.stderr);
    assert.match(unknownArgument.stderr, /\[worker\] unknown argument "--concurrency"/);
  });
});

describe('routing of document work', () => {
  const config = loadConfig({});
  test('an interactive run: the document queue, the interactive priority, the collection as fairness key', () => {
    assert.deepEqual(documentRouting(config, 'c-1', 'interactive'), {
      taskQueue: 'fileintel-documents',
      priority: { priorityKey: config.interactive_priority, fairnessKey: 'c-1' },
      fairnessMaxWeight: config.fairness_max_weight,
    });
  });

  test('a batch: the batch priority; each collection gets its own key inside the batch workflow', () => {
    assert.deepEqual(documentRouting(config, 'c-2', 'batch').priority, {
      priorityKey: config.batch_priority,
      fairnessKey: 'c-2',
    });
    assert.deepEqual(batchRouting(config), {
      taskQueue: 'fileintel-documents',
      priorityKey: config.batch_priority,
      fairness: true,
      fairnessMaxWeight: config.fairness_max_weight,
    });
  });

  test('fairness off: no fairness key (first come, first served within a priority); the priority stays', () => {
    const unfair = loadConfig({ FILEINTEL_FAIRNESS: 'false' });
    const routing = documentRouting(unfair, 'c-3', 'interactive');
    assert.deepEqual(routing.priority, { priorityKey: unfair.interactive_priority });
    assert.equal(routing.fairnessMaxWeight, undefined, 'no weight without a key');
    assert.equal(batchRouting(unfair).fairness, false);
  });
});
