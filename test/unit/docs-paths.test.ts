// Every repository path the README and the docs name exists. A renamed or
// removed file otherwise lives on in the docs (ARCHITECTURE once named
// api/tasks/task-id.ts long after it had gone).
//
// What counts as a path, in README.md, docs/*.md, RELIABILITY.md and
// BENCHMARKS.md, outside fenced code blocks:
// - an inline code span (`…`) of one word that starts with a top-level folder
//   of the repository and a slash (`api/routes/`, `test/support/stack.ts`);
//   in a span of several words (a command), each such word that ends in a
//   file extension (`node --import tsx main/api.ts`);
// - the target of a relative markdown link (`[x](docs/CLI.md#anchor)`),
//   resolved from the file that holds it.
// A glob (`db/migrations/*.sql`) must match its folder; what the code makes
// at run time (GENERATED) is not looked for.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Folders made at run time or by a build, never in a clone. */
const GENERATED = ['data/', 'dist/', 'node_modules/', 'bench/corpus/'];
const DOCUMENTS = [
  'README.md',
  'RELIABILITY.md',
  'BENCHMARKS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const TOP_LEVEL = new Set(
  readdirSync(ROOT).filter(
    (name) => name !== '.git' && !GENERATED.includes(`${name}/`) && statSync(path.join(ROOT, name)).isDirectory(),
  ),
);
const FILE_EXTENSION = /\.(ts|js|mjs|json|md|ya?ml|sql|py|patch|sh|tsv)$/;

interface Named {
  document: string;
  line: number;
  /** As written. */
  text: string;
  /** Relative to the repository root. */
  target: string;
}

/** The paths a markdown file names, by the rules above. */
export function pathsNamedIn(document: string, markdown: string): Named[] {
  const named: Named[] = [];
  let fenced = false;
  markdown.split('\n').forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const at = (text: string, target: string) => named.push({ document, line: index + 1, text, target });
    for (const [, span] of line.matchAll(/`([^`]+)`/g)) {
      const words = span.trim().split(/\s+/);
      for (const word of words) {
        if (words.length > 1 && !FILE_EXTENSION.test(word)) continue;
        const first = word.split('/')[0];
        if (word.includes('/') && TOP_LEVEL.has(first)) at(word, word);
      }
    }
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^([a-z]+:|#)/i.test(target)) continue;
      const file = target.split('#')[0];
      at(target, path.relative(ROOT, path.resolve(ROOT, path.dirname(document), file)));
    }
  });
  return named;
}

function exists(target: string): boolean {
  if (GENERATED.some((folder) => `${target}/`.startsWith(folder))) return true;
  const wildcard = target.search(/[*?{[]/);
  if (wildcard >= 0) {
    const folder = target.slice(0, target.lastIndexOf('/', wildcard) + 1);
    return existsSync(path.join(ROOT, folder));
  }
  return existsSync(path.join(ROOT, target));
}

describe('paths named in the README and docs', () => {
  test('the rule finds spans, commands and links, and leaves the rest', () => {
    const found = pathsNamedIn(
      'docs/X.md',
      [
        'See `api/routes/` and `node --import tsx main/api.ts` and [CLI](CLI.md#exit-status).',
        'Not paths: `/api/v3/health`, `http://x/y`, `src/fileintel/cli/`, `npm run bench -- p3`, [web](https://a/b).',
        '```sh',
        'ignored: `test/nothing-here.ts`',
        '```',
        'A glob: `db/migrations/*.sql`.',
      ].join('\n'),
    ).map((item) => item.target);
    assert.deepEqual(found, ['api/routes/', 'main/api.ts', 'docs/CLI.md', 'db/migrations/*.sql']);
  });

  test('every one exists', () => {
    const named = DOCUMENTS.flatMap((document) =>
      pathsNamedIn(document, readFileSync(path.join(ROOT, document), 'utf8')),
    );
    assert.ok(named.length > 100, `found ${named.length} paths; the rule stopped matching`);
    const missing = named.filter((item) => !exists(item.target));
    assert.deepEqual(
      missing.map((item) => `${item.document}:${item.line}: ${item.text}`),
      [],
      'paths named in the docs that do not exist',
    );
  });
});
