import type { Command } from 'commander';
import { FileIntelClient } from '../../api/client/index.ts';
import type { SearchOptions } from '../../api/client/search.ts';
import { oneLine, printJson, printTable, UsageError } from '../output.ts';

interface SearchFlags {
  k?: string;
  mode: string;
  document?: string[];
  pages?: string;
  language?: string;
  meta?: string[];
  json?: boolean;
}

const MODES = ['hybrid', 'text', 'vector'];
const SNIPPET_CHARS = 160;

/** `fileintel search COLLECTION "question"`: ranked chunks as a table, or the API's answer with --json. */
export function registerSearchCommand(program: Command): void {
  program
    .command('search <collection> <query>')
    .description("search a collection's chunks: full text, vectors, or both fused (hybrid)")
    .option('-k, --k <n>', "hits to show (default: the server's search_default_k)")
    .option('--mode <mode>', `${MODES.join(', ')}`, 'hybrid')
    .option('--document <id...>', 'only these documents')
    .option('--pages <from-to>', 'only chunks overlapping these pages, e.g. 3-10 or 7')
    .option('--language <code>', 'only documents in this language (ISO 639-3, e.g. fra)')
    .option('--meta <field=value...>', 'only documents whose metadata field has this value')
    .option('--json', 'print JSON')
    .action(async (collection: string, query: string, flags: SearchFlags) => {
      const answer = await new FileIntelClient().search(collection, query, searchOptions(flags));
      if (flags.json) return printJson(answer);
      if (answer.notice) process.stderr.write(`note: ${answer.notice}\n`);
      printTable(
        ['#', 'score', 'document', 'pages', 'chunk', 'snippet'],
        answer.hits.map((hit, index) => [
          index + 1,
          hit.scores.fused.toFixed(4),
          oneLine(hit.document_name, 40) + (hit.heading_path ? `\n${oneLine(hit.heading_path.join(' › '), 40)}` : ''),
          pages(hit.page_start, hit.page_end),
          hit.ordinal,
          oneLine(hit.snippet, SNIPPET_CHARS),
        ]),
      );
      const vectors = answer.vector_search === 'none' ? '' : `, vectors by ${answer.vector_search.replace('_', ' ')}`;
      process.stdout.write(`${answer.hits.length} hit(s), ${answer.mode}${vectors}\n`);
    });
}

function searchOptions(flags: SearchFlags): SearchOptions {
  if (!MODES.includes(flags.mode))
    throw new UsageError(`--mode must be one of ${MODES.join(', ')}, not '${flags.mode}'`);
  const options: SearchOptions = { mode: flags.mode as SearchOptions['mode'] };
  if (flags.k !== undefined) {
    if (!/^\d+$/.test(flags.k)) throw new UsageError(`--k must be a whole number, not '${flags.k}'`);
    options.k = Number(flags.k);
  }
  const filters: NonNullable<SearchOptions['filters']> = {};
  if (flags.document) filters.document_ids = flags.document;
  if (flags.pages) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(flags.pages);
    if (!range) throw new UsageError(`--pages must be a page or a range such as 3-10, not '${flags.pages}'`);
    filters.page_from = Number(range[1]);
    filters.page_to = Number(range[2] ?? range[1]);
  }
  const metadata: Record<string, string> = {};
  for (const pair of flags.meta ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--meta takes field=value, not '${pair}'`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (flags.language) metadata.language = flags.language;
  if (Object.keys(metadata).length > 0) filters.metadata = metadata;
  if (Object.keys(filters).length > 0) options.filters = filters;
  return options;
}

function pages(start: number | null, end: number | null): string {
  if (start === null) return '';
  return end === null || end === start ? String(start) : `${start}-${end}`;
}
