import type { Command } from 'commander';
import { FileIntelClient } from '../../api/client/index.ts';
import type { BatchCancelJson } from '../../api/client/tasks.ts';
import { failUnless, printFields, printJson, printTable } from '../output.ts';
import { followTask, followTaskCommand, printTaskOutcome, taskSucceeded } from '../task-follow.ts';

/** `tasks status|list|cancel|batch-cancel`. */
export function registerTaskCommands(program: Command): void {
  const tasks = program.command('tasks').description('inspect, list and cancel tasks (Temporal workflows)');

  tasks
    .command('status <task_id>')
    .description('status, progress and result of one task; --wait follows it (again) to its end')
    .option('--wait', 'follow the task to its end; exit non-zero unless it completed without errors')
    .option('--json', 'print JSON')
    .action(async (taskId: string, options: { wait?: boolean; json?: boolean }) => {
      if (options.wait) {
        const final = await followTask(taskId, { json: Boolean(options.json) });
        if (options.json) printJson(final);
        else printTaskOutcome(final);
        return failUnless(taskSucceeded(final));
      }
      const status = await new FileIntelClient().tasks.status(taskId);
      if (options.json) return printJson(status);
      printFields(
        Object.fromEntries(
          Object.entries(status).map(([key, value]) => [
            key,
            typeof value === 'object' && value !== null ? JSON.stringify(value) : value,
          ]),
        ),
      );
    });

  tasks
    .command('list')
    .description('tasks, running first, then newest closed')
    .option('--collection <c>', 'of this collection (id or name)')
    .option('--batch <b>', 'of this batch')
    .option('--status <s>', 'RUNNING (CANCELLING ones included), COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT')
    .option('--kind <k>', 'collection_analysis, document_processing, batch_process, reconcile_storage')
    .option('--limit <n>', 'how many', '50')
    .option('--page-token <t>', 'the next page, from a previous listing')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        collection?: string;
        batch?: string;
        status?: string;
        kind?: string;
        limit: string;
        pageToken?: string;
        json?: boolean;
      }) => {
        const page = await new FileIntelClient().tasks.list({
          collection: options.collection,
          batch: options.batch,
          status: options.status?.toUpperCase() as never,
          kind: options.kind as never,
          limit: Number(options.limit),
          page_token: options.pageToken,
        });
        if (options.json) return printJson(page);
        printTable(
          ['task', 'kind', 'status', 'collection', 'batch', 'started', 'closed'],
          page.tasks.map((t) => [t.task_id, t.kind, t.status, t.collection_id, t.batch_id, t.started_at, t.closed_at]),
        );
        if (page.next_page_token) process.stdout.write(`more: --page-token ${page.next_page_token}\n`);
      },
    );

  tasks
    .command('cancel <task_id>')
    .description('cancel a running task (its cleanup runs); --terminate stops it at once without cleanup')
    .option('--terminate', 'terminate instead of cancel')
    .option('--reason <text>', 'recorded with the cancel or terminate')
    .option('--wait-seconds <n>', 'wait this long for the task to close (default 5)', Number)
    .option('--json', 'print JSON')
    .action(
      async (
        taskId: string,
        options: { terminate?: boolean; reason?: string; waitSeconds?: number; json?: boolean },
      ) => {
        const result = await new FileIntelClient().tasks.cancel(taskId, {
          terminate: Boolean(options.terminate),
          reason: options.reason,
          ...(options.waitSeconds === undefined ? {} : { wait_seconds: options.waitSeconds }),
        });
        if (options.json) return printJson(result);
        printFields({
          task_id: result.task_id,
          outcome: result.outcome,
          status: result.status,
          ...(result.status === 'CANCELLING'
            ? { note: `its cleanup still runs; follow it with: ${followTaskCommand(taskId)}` }
            : {}),
        });
      },
    );

  tasks
    .command('batch-cancel [task_ids...]')
    .description('cancel many tasks: listed ids, or every running task of --batch or --collection')
    .option('--batch <b>', 'every running task of this batch')
    .option('--collection <c>', 'every running task of this collection')
    .option('--terminate', 'terminate instead of cancel')
    .option('--reason <text>', 'recorded with each cancel or terminate')
    .option('--json', 'print JSON')
    .action(
      async (
        taskIds: string[],
        options: { batch?: string; collection?: string; terminate?: boolean; reason?: string; json?: boolean },
      ) => {
        const answer = await new FileIntelClient().tasks.batchCancel({
          task_ids: taskIds.length > 0 ? taskIds : undefined,
          batch_id: options.batch,
          collection_id: options.collection,
          terminate: Boolean(options.terminate),
          reason: options.reason,
        });
        if (options.json) printJson(answer);
        else printCancelAnswer(answer);
        // An id that names no task was refused as much as one that errored.
        failUnless(answer.summary.errors === 0 && answer.summary.not_found === 0);
      },
    );
}

function printCancelAnswer(answer: BatchCancelJson): void {
  printTable(
    ['task', 'outcome', 'status', 'message'],
    answer.results.map((r) => [r.task_id, r.outcome, r.status, r.message]),
  );
  const s = answer.summary;
  process.stdout.write(
    `cancelled ${s.cancelled}, terminated ${s.terminated}, already completed ${s.already_completed}, not found ${s.not_found}, errors ${s.errors}\n`,
  );
}
