import type { Command } from 'commander';
import { FileIntelClient } from '../../api/client/index.ts';
import { printFields, printJson, printTable } from '../output.ts';

/** `fileintel collections …`; other files add subcommands to the group this returns. */
export function registerCollectionCommands(program: Command): Command {
  const collections = program.command('collections').description('create, list, inspect and delete collections');

  collections
    .command('create <name>')
    .description('create a collection')
    .option('-d, --description <text>', 'what the collection holds')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { description?: string; json?: boolean }) => {
      const created = await new FileIntelClient().collections.create(name, options.description);
      if (options.json) return printJson(created);
      printFields({ id: created.id, name: created.name, status: created.status });
    });

  collections
    .command('list')
    .description('list collections, newest first')
    .option('--limit <n>', 'how many', '100')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; offset: string; json?: boolean }) => {
      const page = await new FileIntelClient().collections.list({
        limit: Number(options.limit),
        offset: Number(options.offset),
      });
      if (options.json) return printJson(page);
      printTable(
        ['id', 'name', 'status', 'documents', 'created'],
        page.collections.map((c) => [c.id, c.name, c.status, c.document_count, c.created_at]),
      );
      process.stdout.write(`${page.collections.length} of ${page.total} collection(s)\n`);
    });

  collections
    .command('get <collection>')
    .description('show a collection (id or name) and its documents')
    .option('--limit <n>', 'documents to show', '100')
    .option('--offset <n>', 'documents to skip', '0')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { limit: string; offset: string; json?: boolean }) => {
      const c = await new FileIntelClient().collections.get(ref, {
        limit: Number(options.limit),
        offset: Number(options.offset),
      });
      if (options.json) return printJson(c);
      printFields({
        id: c.id,
        name: c.name,
        description: c.description,
        status: c.status,
        last_error: c.last_error,
        documents: c.document_count,
      });
      if (c.documents.length > 0) {
        printTable(
          ['id', 'file', 'type', 'bytes', 'status'],
          c.documents.map((d) => [d.id, d.original_filename, d.mime_type, d.size_bytes, d.status]),
        );
      }
    });

  collections
    .command('delete <collection>')
    .description('delete a collection with its documents and files')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const deleted = await new FileIntelClient().collections.delete(ref);
      if (options.json) return printJson(deleted);
      process.stdout.write(
        `deleted collection ${deleted.name} (${deleted.id}) and ${deleted.deleted_documents} document(s)\n`,
      );
    });

  return collections;
}
