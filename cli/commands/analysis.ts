import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { TaskStatusJson } from '../../api/client/analysis.ts';
import { FileIntelClient } from '../../api/client/index.ts';
import { printFields, printJson, printTable } from '../output.ts';

const POLL_MS = 1_000;

/**
 * `fileintel collections process|status` and `fileintel documents get|chunks`,
 * added to the groups the collections and documents commands create.
 */
export function registerAnalysisCommands(collections: Command, documents: Command): void {
  collections
    .command('process <collection>')
    .description('analyse a collection: documents not yet processed (default), only the failed ones, or all of them (--force)')
    .option('--only-failed', 'retry only the documents that failed')
    .option('--force', 'process every document again, processed ones included')
    .option('--no-embeddings', 'skip embeddings')
    .option('--no-metadata', 'skip metadata extraction')
    .option('--graph', 'build the knowledge graph')
    .option('--wait', 'follow the task to its end; exit non-zero unless it completed without errors')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { onlyFailed?: boolean; force?: boolean; embeddings: boolean; metadata: boolean; graph?: boolean; wait?: boolean; json?: boolean }) => {
      const client = new FileIntelClient();
      const started = await client.analysis.process(ref, {
        only_failed: Boolean(options.onlyFailed),
        force: Boolean(options.force),
        generate_embeddings: options.embeddings,
        extract_metadata: options.metadata,
        build_graph: Boolean(options.graph),
      });
      if (!options.wait) {
        if (options.json) return printJson(started);
        return printFields({ task_id: started.task_id, collection: started.collection_id, selection: started.selection, documents: started.documents });
      }
      if (!options.json) process.stderr.write(`task ${started.task_id}: ${started.documents} document(s)\n`);
      const final = await followTask(client, started.task_id, !options.json);
      if (options.json) printJson(final);
      else printOutcome(final);
      if (final.status !== 'COMPLETED') process.exitCode = 1;
    });

  collections
    .command('status <collection>')
    .description("a collection's processing status: documents by status, chunks, embedding coverage, graph, running task")
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const status = await new FileIntelClient().analysis.processingStatus(ref);
      if (options.json) return printJson(status);
      printFields({
        collection: status.collection_id,
        status: status.status,
        last_error: status.last_error,
        running_task: status.running_task_id,
        documents: `${status.documents.total} (${Object.entries(status.documents.by_status).map(([s, n]) => `${s} ${n}`).join(', ')})`,
        chunks: status.chunks,
        embeddings: `${status.embedded_chunks} of ${status.chunks} chunks (${Math.round(status.embedding_coverage * 100)}%)${status.embedding_provider ? `, ${status.embedding_provider}, dimension ${status.embedding_dimension}` : ''}`,
        graph: `${status.graph.entities} entities, ${status.graph.edges} edges`,
      });
    });

  documents
    .command('get <document>')
    .description('a document: status, error, metadata, page and chunk counts')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const doc = await new FileIntelClient().analysis.document(id);
      if (options.json) return printJson(doc);
      const analysis = (doc.metadata.analysis ?? {}) as Record<string, unknown>;
      printFields({
        id: doc.id,
        file: doc.original_filename,
        type: doc.mime_type,
        status: doc.processing_step && doc.status === 'processing' ? `processing (${doc.processing_step})` : doc.status,
        error: doc.error,
        pages: doc.page_count,
        chunks: `${doc.chunk_count} (${doc.embedded_chunks} with embeddings)`,
        title: analysis.title as string | undefined,
        authors: ((analysis.authors as string[] | undefined) ?? []).join('; '),
        language: analysis.language as string | undefined,
        keywords: ((analysis.keywords as string[] | undefined) ?? []).join(', '),
        doi: analysis.doi as string | undefined,
      });
    });

  documents
    .command('chunks <document>')
    .description("a page of a document's chunks; --after takes the cursor the previous page printed")
    .option('--limit <n>', 'chunks per page', '20')
    .option('--after <ordinal>', 'chunks after this ordinal (cursor)')
    .option('--offset <n>', 'skip this many chunks (instead of --after)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { limit: string; after?: string; offset?: string; json?: boolean }) => {
      const page = await new FileIntelClient().analysis.chunks(id, {
        limit: Number(options.limit),
        after: options.after === undefined ? undefined : Number(options.after),
        offset: options.offset === undefined ? undefined : Number(options.offset),
      });
      if (options.json) return printJson(page);
      printTable(
        ['#', 'pages', 'tokens', 'text'],
        page.chunks.map((c) => [c.ordinal, c.page_start === null ? '' : c.page_start === c.page_end ? c.page_start : `${c.page_start}-${c.page_end}`, c.token_count, oneLine(c.text, 80)]),
      );
      process.stdout.write(`${page.chunks.length} of ${page.total} chunk(s)${page.next_after !== null ? `; next page: --after ${page.next_after}` : ''}\n`);
    });
}

/** Polls the task until it closes: a bar on a terminal, a line per change otherwise, nothing with --json. */
async function followTask(client: FileIntelClient, taskId: string, show: boolean): Promise<TaskStatusJson> {
  const tty = show && process.stderr.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ stream: process.stderr, format: '{bar} {percentage}% | {done}/{total} documents | {failed} failed | {phase}' }, cliProgress.Presets.shades_classic) : undefined;
  let lastLine = '';
  bar?.start(100, 0, { done: 0, total: 0, failed: 0, phase: 'starting' });
  try {
    for (;;) {
      const status = await client.analysis.taskStatus(taskId);
      const p = status.progress;
      if (p) {
        bar?.update(p.percentage, { done: p.processed + p.failed, total: p.total, failed: p.failed, phase: p.phase });
        const line = `${p.phase}: ${p.processed + p.failed}/${p.total} done, ${p.failed} failed, ${p.in_flight} in flight`;
        if (show && !tty && line !== lastLine) process.stderr.write(line + '\n');
        lastLine = line;
      }
      if (status.status !== 'RUNNING') return status;
      await sleep(POLL_MS);
    }
  } finally {
    bar?.stop();
  }
}

function printOutcome(status: TaskStatusJson): void {
  const result = status.result as { processed?: number; failed?: number; total?: number; failures?: { filename: string; error: string }[] } | null;
  printFields({ task_id: status.task_id, status: status.status, processed: result?.processed, failed: result?.failed, total: result?.total, error: status.error });
  if (result?.failures?.length) printTable(['file', 'error'], result.failures.map((f) => [f.filename, oneLine(f.error, 100)]));
}

const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
};
