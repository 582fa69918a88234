import type { Command } from 'commander';
import type { ProcessingStatusJson } from '../../api/client/analysis.ts';
import { ApiClientError, FileIntelClient } from '../../api/client/index.ts';
import { waitClient } from '../follow.ts';
import { failUnless, oneLine, printFields, printJson, printTable } from '../output.ts';
import { followTask, followTaskCommand, printTaskOutcome, taskSucceeded } from '../task-follow.ts';

/**
 * `fileintel collections process|status` and `fileintel documents get|chunks`,
 * added to the groups the collections and documents commands create.
 */
export function registerAnalysisCommands(collections: Command, documents: Command): void {
  collections
    .command('process <collection>')
    .description(
      'analyse a collection: documents not yet processed (default), only the failed ones, or all of them (--force)',
    )
    .option('--only-failed', 'retry only the documents that failed')
    .option('--force', 'process every document again, processed ones included')
    .option('--no-embeddings', 'skip embeddings')
    .option('--no-metadata', 'skip metadata extraction')
    .option('--graph', 'build the knowledge graph')
    .option('--wait', 'follow the task to its end; exit non-zero unless it completed without errors')
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        options: {
          onlyFailed?: boolean;
          force?: boolean;
          embeddings: boolean;
          metadata: boolean;
          graph?: boolean;
          wait?: boolean;
          json?: boolean;
        },
      ) => {
        const client = new FileIntelClient();
        const started = await client.analysis
          .process(ref, {
            only_failed: Boolean(options.onlyFailed),
            force: Boolean(options.force),
            generate_embeddings: options.embeddings,
            extract_metadata: options.metadata,
            build_graph: Boolean(options.graph),
          })
          .catch((error: unknown) => {
            // Already running: say how to follow that task instead of only refusing.
            if (error instanceof ApiClientError && error.code === 'analysis_running') {
              const taskId = (error.details as { task_id?: string } | undefined)?.task_id;
              if (taskId)
                throw new ApiClientError(
                  error.status,
                  error.code,
                  `${error.message}; follow it with: ${followTaskCommand(taskId)}`,
                );
            }
            throw error;
          });
        if (!options.wait) {
          if (options.json) return printJson(started);
          return printFields({
            task_id: started.task_id,
            collection: started.collection_id,
            selection: started.selection,
            documents: started.documents,
            follow: followTaskCommand(started.task_id),
          });
        }
        if (!options.json) process.stderr.write(`task ${started.task_id}: ${started.documents} document(s)\n`);
        const final = await followTask(started.task_id, { json: Boolean(options.json) });
        if (options.json) printJson(final);
        else printTaskOutcome(final);
        failUnless(taskSucceeded(final));
      },
    );

  collections
    .command('status <collection>')
    .description(
      "a collection's processing status: documents by status, chunks, embedding coverage, graph, running task",
    )
    .option(
      '--follow',
      'follow its running analysis to the end, then show the status again; exit non-zero unless it completed without errors',
    )
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { follow?: boolean; json?: boolean }) => {
      const client = options.follow ? waitClient() : new FileIntelClient();
      const status = await client.analysis.processingStatus(ref);
      if (!options.follow || !status.running_task_id) {
        if (options.follow && !options.json) process.stderr.write(`no analysis of ${ref} is running\n`);
        return options.json ? printJson(status) : printProcessingStatus(status);
      }
      const task = await followTask(status.running_task_id, { json: Boolean(options.json) });
      const after = await client.analysis.processingStatus(ref);
      if (options.json) printJson({ ...after, task });
      else {
        printTaskOutcome(task);
        process.stdout.write('\n');
        printProcessingStatus(after);
      }
      failUnless(taskSucceeded(task));
    });

  documents
    .command('get <document>')
    .description('a document: status, error, metadata, page and chunk counts')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const doc = await new FileIntelClient().documents.get(id);
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
      const page = await new FileIntelClient().documents.chunks(id, {
        limit: Number(options.limit),
        after: options.after === undefined ? undefined : Number(options.after),
        offset: options.offset === undefined ? undefined : Number(options.offset),
      });
      if (options.json) return printJson(page);
      printTable(
        ['#', 'pages', 'tokens', 'text'],
        page.chunks.map((c) => [
          c.ordinal,
          c.page_start === null ? '' : c.page_start === c.page_end ? c.page_start : `${c.page_start}-${c.page_end}`,
          c.token_count,
          oneLine(c.text, 80),
        ]),
      );
      process.stdout.write(
        `${page.chunks.length} of ${page.total} chunk(s)${page.next_after !== null ? `; next page: --after ${page.next_after}` : ''}\n`,
      );
    });
}

function printProcessingStatus(status: ProcessingStatusJson): void {
  printFields({
    collection: status.collection_id,
    status: status.status,
    last_error: status.last_error,
    running_task: status.running_task_id,
    documents: `${status.documents.total} (${Object.entries(status.documents.by_status)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')})`,
    chunks: status.chunks,
    embeddings: `${status.embedded_chunks} of ${status.chunks} chunks (${Math.round(status.embedding_coverage * 100)}%)${status.embedding_provider ? `, ${status.embedding_provider}, dimension ${status.embedding_dimension}` : ''}`,
    graph: `${status.graph.entities} entities, ${status.graph.edges} edges`,
  });
}
