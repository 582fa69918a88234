import type { Command } from 'commander';
import { ApiClientError, FileIntelClient } from '../../api/client/index.ts';
import type { BatchStatusJson, BatchSubmittedJson } from '../../api/client/batches.ts';
import { follow } from '../follow.ts';
import { failUnless, printFields, printJson, printTable } from '../output.ts';

type Rejection = BatchSubmittedJson['rejected'][number];

const followBatchCommand = (batchId: string) => `fileintel batches status ${batchId} --wait`;

/** `collections batch-process` and `batches status|cancel`. */
export function registerBatchCommands(program: Command, collections: Command): void {
  collections
    .command('batch-process <collections...>')
    .description(
      'process several collections (ids or names) as one batch; exits 1 if any is rejected or, with --wait, does not complete cleanly',
    )
    .option('--sequential', 'one collection after the other (default: parallel)')
    .option('--stop-on-failure', 'sequential: stop at the first collection that fails')
    .option('--max-parallel <n>', 'parallel: collections in flight at once')
    .option('--graph', 'build the knowledge graph')
    .option('--no-metadata', 'skip metadata extraction')
    .option('--no-embeddings', 'skip embeddings')
    .option('--wait', 'follow the batch to its end')
    .option('--json', 'print JSON')
    .action(
      async (
        refs: string[],
        options: {
          sequential?: boolean;
          stopOnFailure?: boolean;
          maxParallel?: string;
          graph?: boolean;
          metadata: boolean;
          embeddings: boolean;
          wait?: boolean;
          json?: boolean;
        },
      ) => {
        const client = new FileIntelClient();
        let submitted: BatchSubmittedJson;
        try {
          submitted = await client.batches.submit({
            tasks: refs.map((ref) => ({
              collection_id: ref,
              build_graph: Boolean(options.graph),
              extract_metadata: options.metadata,
              generate_embeddings: options.embeddings,
            })),
            workflow_type: options.sequential ? 'sequential' : 'parallel',
            stop_on_failure: Boolean(options.stopOnFailure),
            max_parallel: options.maxParallel === undefined ? undefined : Number(options.maxParallel),
          });
        } catch (error) {
          // Every collection refused: show each with its reason, not only the summary line.
          if (!(error instanceof ApiClientError) || error.code !== 'no_valid_collections') throw error;
          const rejected = (error.details as { rejected?: Rejection[] } | undefined)?.rejected ?? [];
          if (options.json) printJson({ error: { code: error.code, message: error.message }, rejected });
          else printRejected(rejected);
          throw error;
        }
        const clean = submitted.rejected.length === 0;
        if (!options.wait) {
          if (options.json) printJson(submitted);
          else {
            printFields({
              batch_id: submitted.batch_id,
              task_id: submitted.task_id,
              mode: submitted.workflow_type,
              accepted: submitted.accepted.length,
              rejected: submitted.rejected.length,
              follow: followBatchCommand(submitted.batch_id),
            });
            printRejected(submitted.rejected);
          }
          return failUnless(clean);
        }
        if (!options.json && !clean) {
          // Said before the wait, so the user knows at once; repeated in the summary at the end.
          process.stderr.write(
            `rejected: ${submitted.rejected.map((r) => `${r.collection_id} (${r.outcome})`).join(', ')}\n`,
          );
        }
        const final = await followBatch(submitted.batch_id, Boolean(options.json));
        if (options.json) printJson({ ...submitted, final });
        else {
          printBatch(final);
          printRejected(submitted.rejected);
        }
        failUnless(clean && final.status === 'COMPLETED');
      },
    );

  const batches = program.command('batches').description('follow and cancel batches');
  batches
    .command('status <batch_id>')
    .description('progress per collection, or the result once the batch ended; --wait follows it (again) to its end')
    .option('--wait', 'follow the batch to its end; exit non-zero unless every collection completed without errors')
    .option('--json', 'print JSON')
    .action(async (batchId: string, options: { wait?: boolean; json?: boolean }) => {
      const batch = options.wait
        ? await followBatch(batchId, Boolean(options.json))
        : await new FileIntelClient().batches.get(batchId);
      if (options.json) printJson(batch);
      else printBatch(batch);
      if (options.wait) failUnless(batch.status === 'COMPLETED');
    });
  batches
    .command('cancel <batch_id>')
    .description('cancel a batch and every running collection in it')
    .option('--json', 'print JSON')
    .action(async (batchId: string, options: { json?: boolean }) => {
      const answer = await new FileIntelClient().batches.cancel(batchId);
      if (options.json) return printJson(answer);
      process.stdout.write(
        answer.outcome === 'cancel_requested'
          ? `cancel requested for batch ${batchId}\n`
          : `batch ${batchId} had already ended: ${answer.status}\n`,
      );
    });
}

function followBatch(batchId: string, json: boolean): Promise<BatchStatusJson> {
  return follow(
    {
      label: `batch ${batchId}`,
      resume: followBatchCommand(batchId),
      read: (client) => client.batches.get(batchId),
      ended: (batch) => batch.status !== 'RUNNING',
      progress: (batch) => {
        const ended = batch.collections.filter((c) => c.status !== 'pending' && c.status !== 'running').length;
        const failed = sum(batch, 'failed');
        return {
          phase: batch.status.toLowerCase(),
          done: sum(batch, 'processed') + failed,
          failed,
          inFlight: 0,
          note: `${ended}/${batch.collections.length} collections ended`,
        };
      },
    },
    { json },
  );
}

const sum = (batch: BatchStatusJson, key: 'processed' | 'failed') =>
  batch.collections.reduce((total, item) => total + item[key], 0);

function printBatch(batch: BatchStatusJson): void {
  printFields({
    batch_id: batch.batch_id,
    task_id: batch.task_id,
    status: batch.status,
    mode: batch.workflow_type,
    error: batch.error,
  });
  printTable(
    ['collection', 'status', 'processed', 'failed', 'task', 'reason'],
    batch.collections.map((c) => [c.name, c.status, c.processed, c.failed, c.task_id, c.reason]),
  );
}

function printRejected(rejected: Rejection[]): void {
  if (rejected.length === 0) return;
  process.stdout.write(`rejected ${rejected.length} collection(s):\n`);
  printTable(
    ['collection', 'outcome', 'reason'],
    rejected.map((r) => [r.collection_id, r.outcome, r.reason]),
  );
}
