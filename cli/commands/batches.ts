import type { Command } from 'commander';
import { FileIntelClient } from '../../api/client/index.ts';
import type { BatchStatusJson } from '../../api/client/batches.ts';
import { printFields, printJson, printTable } from '../output.ts';

const POLL_MS = 1_000;

/** `collections batch-process` and `batches status|cancel`. */
export function registerBatchCommands(program: Command, collections: Command): void {
  collections
    .command('batch-process <collections...>')
    .description('process several collections (ids or names) as one batch')
    .option('--sequential', 'one collection after the other (default: parallel)')
    .option('--stop-on-failure', 'sequential: stop at the first collection that fails')
    .option('--max-parallel <n>', 'parallel: collections in flight at once')
    .option('--graph', 'build the knowledge graph')
    .option('--no-metadata', 'skip metadata extraction')
    .option('--no-embeddings', 'skip embeddings')
    .option('--wait', 'follow the batch to its end')
    .option('--json', 'print JSON')
    .action(async (refs: string[], options: { sequential?: boolean; stopOnFailure?: boolean; maxParallel?: string; graph?: boolean; metadata: boolean; embeddings: boolean; wait?: boolean; json?: boolean }) => {
      const client = new FileIntelClient();
      const submitted = await client.batches.submit({
        tasks: refs.map((ref) => ({ collection_id: ref, build_graph: Boolean(options.graph), extract_metadata: options.metadata, generate_embeddings: options.embeddings })),
        workflow_type: options.sequential ? 'sequential' : 'parallel',
        stop_on_failure: Boolean(options.stopOnFailure),
        max_parallel: options.maxParallel === undefined ? undefined : Number(options.maxParallel),
      });
      if (!options.wait) {
        if (options.json) return printJson(submitted);
        printFields({ batch_id: submitted.batch_id, task_id: submitted.task_id, mode: submitted.workflow_type, accepted: submitted.accepted.length, rejected: submitted.rejected.length });
        if (submitted.rejected.length > 0) printTable(['collection', 'outcome', 'reason'], submitted.rejected.map((r) => [r.collection_id, r.outcome, r.reason]));
        return;
      }
      const final = await followBatch(client, submitted.batch_id, !options.json);
      if (options.json) printJson({ ...submitted, final });
      else printBatch(final);
      if (final.status !== 'COMPLETED' || submitted.rejected.length > 0) process.exitCode = 1;
    });

  const batches = program.command('batches').description('follow and cancel batches');
  batches
    .command('status <batch_id>')
    .description('progress per collection, or the result once the batch ended')
    .option('--json', 'print JSON')
    .action(async (batchId: string, options: { json?: boolean }) => {
      const batch = await new FileIntelClient().batches.get(batchId);
      if (options.json) return printJson(batch);
      printBatch(batch);
    });
  batches
    .command('cancel <batch_id>')
    .description('cancel a batch and every running collection in it')
    .option('--json', 'print JSON')
    .action(async (batchId: string, options: { json?: boolean }) => {
      const answer = await new FileIntelClient().batches.cancel(batchId);
      if (options.json) return printJson(answer);
      process.stdout.write(answer.outcome === 'cancel_requested' ? `cancel requested for batch ${batchId}\n` : `batch ${batchId} had already ended: ${answer.status}\n`);
    });
}

async function followBatch(client: FileIntelClient, batchId: string, narrate: boolean): Promise<BatchStatusJson> {
  let last = '';
  for (;;) {
    const batch = await client.batches.get(batchId);
    const line = `${batch.status} ${Object.entries(batch.counts).map(([k, v]) => `${k}=${v}`).join(' ')} docs processed=${sum(batch, 'processed')} failed=${sum(batch, 'failed')}`;
    if (narrate && line !== last) process.stderr.write(`[batch ${batchId}] ${line}\n`);
    last = line;
    if (batch.status !== 'RUNNING') return batch;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const sum = (batch: BatchStatusJson, key: 'processed' | 'failed') => batch.collections.reduce((total, item) => total + item[key], 0);

function printBatch(batch: BatchStatusJson): void {
  printFields({ batch_id: batch.batch_id, task_id: batch.task_id, status: batch.status, mode: batch.workflow_type, error: batch.error });
  printTable(
    ['collection', 'status', 'processed', 'failed', 'task', 'reason'],
    batch.collections.map((c) => [c.name, c.status, c.processed, c.failed, c.task_id, c.reason]),
  );
}
