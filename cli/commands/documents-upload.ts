import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import picomatch from 'picomatch';
import { FileIntelClient } from '../../api/client/index.ts';
import type { BatchUploadResult, UploadBatchOptions } from '../../api/client/uploads.ts';
import { failUnless, printJson, printTable, UsageError } from '../output.ts';
import { uploadReporter } from '../progress.ts';
import { followTask, taskSucceeded } from '../task-follow.ts';

interface UploadFlags {
  process: boolean;
  wait?: boolean;
  json?: boolean;
}

interface BatchUploadFlags extends UploadFlags {
  pattern: string;
  recursive?: boolean;
  concurrency?: string;
  continueOnError?: boolean;
  rollbackOnFailure?: boolean;
}

/** A file of the directory the CLI does not send, and why. */
interface SkippedFile {
  path: string;
  reason: 'unsupported_extension';
  message: string;
}

/** `fileintel documents …`; the group is returned so other files add their subcommands to it. */
export function registerDocumentCommands(program: Command): Command {
  const documents = program.command('documents').description('upload and manage documents');

  documents
    .command('upload <collection> <file>')
    .description('upload one document to a collection (id or name)')
    .option('--no-process', 'do not start analysis after the upload')
    .option('--wait', 'follow the analysis task to its end')
    .option('--json', 'print JSON')
    .action(async (collection: string, file: string, flags: UploadFlags) => {
      const client = new FileIntelClient();
      const reporter = uploadReporter({ json: Boolean(flags.json), stream: process.stderr });
      const result = await client.uploads.uploadDocument(collection, file, {
        process: flags.process ? {} : false,
        onProgress: (progress) => reporter.progress(progress),
        onFileResult: (done, progress) => reporter.fileDone(done, progress),
      });
      reporter.stop();
      await finish(result, flags, []);
    });

  documents
    .command('batch-upload <collection> <directory>')
    .description('upload the documents of a directory, several at once, with progress')
    .option(
      '--pattern <glob>',
      'only files matching this glob (matched against the name, or the relative path when it has a /)',
      '*',
    )
    .option('--recursive', 'include sub-directories')
    .option('--concurrency <n>', "files in flight at once (default: the server's max_concurrent_uploads)")
    .option('--no-process', 'do not start analysis after the upload')
    .option('--wait', 'follow the analysis task to its end')
    .option('--continue-on-error', 'upload every file and report the failures at the end')
    .option('--rollback-on-failure', 'when any file fails, delete every document this run stored')
    .option('--json', 'print JSON')
    .action(async (collection: string, directory: string, flags: BatchUploadFlags) => {
      if (flags.continueOnError && flags.rollbackOnFailure)
        throw new UsageError('--continue-on-error and --rollback-on-failure exclude each other');
      const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
      if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
        throw new UsageError(`--concurrency must be a whole number from 1 to 256, not '${flags.concurrency}'`);
      }
      const client = new FileIntelClient();
      const limits = await client.uploads.limits();
      const { matched, skipped } = await listDocuments(
        directory,
        flags.pattern,
        Boolean(flags.recursive),
        limits.allowed_extensions,
      );
      if (matched.length === 0)
        throw new Error(
          `no file in ${directory} matches '${flags.pattern}' with an accepted extension (${limits.allowed_extensions.join(', ')})`,
        );

      const reporter = uploadReporter({ json: Boolean(flags.json), stream: process.stderr });
      const options: UploadBatchOptions = {
        concurrency,
        atomic: Boolean(flags.rollbackOnFailure),
        stopOnFailure: !flags.continueOnError,
        process: flags.process ? {} : false,
        onProgress: (progress) => reporter.progress(progress),
        onFileResult: (done, progress) => reporter.fileDone(done, progress),
      };
      let result: BatchUploadResult;
      try {
        result = await client.uploads.uploadDocumentsBatch(collection, matched, options);
      } finally {
        reporter.stop();
      }

      const rolledBack: string[] = [];
      if (flags.rollbackOnFailure && failedCount(result) > 0) {
        for (const file of result.files) {
          if (file.outcome !== 'stored' || !file.document_id) continue;
          await client.documents.delete(file.document_id);
          rolledBack.push(file.document_id);
          file.outcome = 'rejected';
          file.reason = 'rolled_back';
          file.message = 'stored, then deleted: another file of this run failed (--rollback-on-failure)';
        }
      }
      await finish(result, flags, skipped, rolledBack);
    });

  return documents;
}

function failedCount(result: BatchUploadResult): number {
  return result.files.filter(
    (file) => file.outcome === 'rejected' || file.outcome === 'failed' || file.outcome === 'not_sent',
  ).length;
}

/** The files of `directory` the glob selects; other extensions are skipped (listed with the reason, not sent). */
async function listDocuments(directory: string, pattern: string, recursive: boolean, allowedExtensions: string[]) {
  const entries = await readdir(directory, { recursive, withFileTypes: true });
  const isMatch = picomatch(pattern, { dot: false, basename: !pattern.includes('/') });
  const matched: string[] = [];
  const skipped: SkippedFile[] = [];
  const accepted = allowedExtensions.map((e) => `.${e}`).join(', ');
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(directory, full).split(path.sep).join('/');
    if (relative.split('/').some((part) => part.startsWith('.')) || !isMatch(relative)) continue;
    const extension = path.extname(entry.name).slice(1).toLowerCase();
    if (allowedExtensions.includes(extension)) matched.push(full);
    else {
      const what = extension ? `.${extension} is not an accepted extension` : 'the name has no extension';
      skipped.push({
        path: full,
        reason: 'unsupported_extension',
        message: `not sent: ${what} (accepted: ${accepted})`,
      });
    }
  }
  return { matched: matched.sort(), skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)) };
}

/** Table (or JSON) listing every file with its outcome, skipped ones included; totals, the analysis task, and the exit status. */
async function finish(
  result: BatchUploadResult,
  flags: UploadFlags,
  skipped: SkippedFile[],
  rolledBack: string[] = [],
) {
  const counts = { ...result.counts, rolled_back: rolledBack.length, skipped: skipped.length };
  const analysis =
    flags.wait && result.task_id ? await followTask(result.task_id, { json: Boolean(flags.json) }) : undefined;

  if (flags.json) {
    printJson({
      files: result.files,
      skipped,
      counts,
      task_id: result.task_id,
      processing: result.processing,
      ...(analysis ? { analysis } : {}),
    });
  } else {
    printTable(
      ['file', 'outcome', 'document', 'reason'],
      [
        ...result.files.map((file) => [
          file.path,
          file.outcome,
          file.document_id,
          file.reason ? `${file.reason}${file.message ? `: ${file.message}` : ''}` : '',
        ]),
        ...skipped.map((file) => [file.path, 'skipped', '', `${file.reason}: ${file.message}`]),
      ],
    );
    const parts = ['stored', 'duplicate', 'rejected', 'failed', 'not_sent'].map(
      (key) => `${counts[key as 'stored']} ${key.replace('_', ' ')}`,
    );
    if (rolledBack.length > 0) parts.push(`${rolledBack.length} rolled back`);
    if (skipped.length > 0)
      parts.push(
        `${skipped.length} skipped (extension not accepted: ${skipped.map((file) => path.basename(file.path)).join(', ')})`,
      );
    process.stdout.write(`total ${result.counts.total}: ${parts.join(', ')}\n`);
    if (result.processing.requested) {
      process.stdout.write(
        result.task_id
          ? `analysis task ${result.task_id}\n`
          : `analysis not started: ${result.processing.reason ?? 'nothing to process'}\n`,
      );
    }
    if (analysis) {
      const p = analysis.progress;
      process.stdout.write(
        `analysis finished: ${analysis.status}${p ? ` (${p.processed} processed, ${p.failed} failed of ${p.total})` : ''}${analysis.error ? `: ${analysis.error}` : ''}\n`,
      );
    }
  }
  // Skipped files were never asked for (the directory held them); refused and failed ones were.
  failUnless(failedCount(result) === 0 && (!analysis || taskSucceeded(analysis)));
}
