import type { Command } from 'commander';
import { ApiClientError, FileIntelClient } from '../../api/client/index.ts';
import type { QueryOptions } from '../../api/client/query.ts';
import type { QueryResult } from '../../workflows/query-contract.ts';
import { failUnless, oneLine, printFields, printJson, printTable, UsageError } from '../output.ts';
import { followTask, followTaskCommand, printTaskOutcome, taskSucceeded } from '../task-follow.ts';

const MODES = ['hybrid', 'text', 'vector'];

interface QueryFlags {
  document?: string;
  k?: string;
  mode: string;
  format: string;
  chunks?: boolean;
  json?: boolean;
}

/**
 * `fileintel query COLLECTION "question"`: starts a query task, waits for its
 * answer and prints it with its sources; `fileintel collections reembed`.
 */
export function registerQueryCommands(program: Command, collections: Command): void {
  program
    .command('query <collection> <question>')
    .description(
      'ask a question of a collection (or one document): the answer from the chat endpoint, or the best passages (extractive), with sources by document and page',
    )
    .option('--document <id-or-name>', 'ask about this document only')
    .option('-k, --k <n>', "passages to retrieve (default: the server's query_default_k)")
    .option('--mode <mode>', MODES.join(', '), 'hybrid')
    .option('--format <format>', 'default, single_paragraph, table, list, json, essay, markdown', 'default')
    .option('--chunks', "include each passage's whole text")
    .option('--json', 'print the task as JSON')
    .action(async (collection: string, question: string, flags: QueryFlags) => {
      const started = await new FileIntelClient().query.ask(collection, question, queryOptions(flags));
      if (!flags.json) process.stderr.write(`task ${started.task_id}\n`);
      const final = await followTask(started.task_id, { json: Boolean(flags.json) });
      if (flags.json) printJson(final);
      else if (taskSucceeded(final)) printAnswer(final.result as QueryResult);
      else printTaskOutcome(final);
      failUnless(taskSucceeded(final));
    });

  collections
    .command('reembed <collection>')
    .description("replace a collection's vectors with the configured embedding provider's (after a provider change)")
    .option('--force', "even when its vectors are the configured provider's")
    .option('--wait', 'follow the task to its end; exit non-zero unless it completed')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { force?: boolean; wait?: boolean; json?: boolean }) => {
      const started = await new FileIntelClient().query
        .reembed(ref, { force: Boolean(options.force) })
        .catch((error: unknown) => {
          const taskId = (error as ApiClientError).details as { task_id?: string } | undefined;
          if (error instanceof ApiClientError && error.code === 'reembedding_running' && taskId?.task_id)
            throw new ApiClientError(
              error.status,
              error.code,
              `${error.message}; follow it with: ${followTaskCommand(taskId.task_id)}`,
            );
          throw error;
        });
      if (!options.wait) {
        if (options.json) return printJson(started);
        return printFields({ ...started, follow: followTaskCommand(started.task_id) });
      }
      const final = await followTask(started.task_id, { json: Boolean(options.json) });
      if (options.json) printJson(final);
      else printTaskOutcome(final);
      failUnless(taskSucceeded(final));
    });
}

function queryOptions(flags: QueryFlags): QueryOptions {
  if (!MODES.includes(flags.mode))
    throw new UsageError(`--mode must be one of ${MODES.join(', ')}, not '${flags.mode}'`);
  const options: QueryOptions = {
    mode: flags.mode as QueryOptions['mode'],
    answer_format: flags.format as QueryOptions['answer_format'],
    include_cited_chunks: Boolean(flags.chunks),
  };
  if (flags.document) options.document_id = flags.document;
  if (flags.k !== undefined) {
    if (!/^\d+$/.test(flags.k)) throw new UsageError(`--k must be a whole number, not '${flags.k}'`);
    options.k = Number(flags.k);
  }
  return options;
}

function printAnswer(result: QueryResult): void {
  const label =
    result.answer_type === 'generated'
      ? `answer (${result.model})`
      : 'answer (extractive: no language model configured)';
  process.stdout.write(`${label}:\n${result.answer}\n\n`);
  printTable(
    ['#', 'source', 'score', 'snippet'],
    result.sources.map((source) => [
      source.number,
      oneLine(source.citation, 50),
      source.similarity_score.toFixed(4),
      oneLine(source.text, 100),
    ]),
  );
  if (result.retrieval.notice) process.stderr.write(`note: ${result.retrieval.notice}\n`);
}
