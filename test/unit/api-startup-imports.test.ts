// What the API process loads at start: the modules main/api.ts reaches through
// static imports (`import type` and `await import()` left out, as at run time).
// The API must not load what only a worker or the S3 backend needs: the worker
// SDK with its native bridge, the activities' libraries, the AWS SDK, the
// tracing SDK (loaded when tracing is on). Each cost the API's idle RSS
// megabytes (BENCHMARKS.md, P2).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Packages an API process must never load at start. */
const WORKER_OR_OPTIONAL_ONLY = [
  '@temporalio/worker',
  '@aws-sdk/',
  '@opentelemetry/sdk-trace-base',
  'piscina',
  'linkedom',
  'mammoth',
  'unpdf',
  'html-to-text',
  '@mozilla/readability',
];

/** Project modules that pull in a worker's whole dependency tree (light helpers under activities/ may be shared). */
const WORKER_ONLY_FILES = ['worker/worker.ts', 'activities/index.ts'];

/** The module specifiers a source file imports at evaluation (no type-only imports or exports, no dynamic imports). */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly) continue;
      const bindings = statement.importClause?.namedBindings;
      const allTypes =
        !statement.importClause?.name &&
        bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly);
      if (!allTypes) specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return specifiers;
}

/** Every project file and package reached from `entry` through static imports. */
function startupGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.join(ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  }
  return { files, packages };
}

test('the API process loads neither the worker SDK, the activities, the AWS SDK nor the tracing SDK at start', () => {
  const { files, packages } = startupGraph('main/api.ts');
  const relative = [...files].map((file) => path.relative(ROOT, file));
  assert.ok(relative.includes('api/app.ts'), 'the walk reaches the app (it follows the imports)');
  assert.ok(packages.has('@temporalio/client') && packages.has('express'), 'the walk sees packages');

  const forbidden = [...packages].filter((name) => WORKER_OR_OPTIONAL_ONLY.some((banned) => name.startsWith(banned)));
  assert.deepEqual(forbidden, [], 'packages only a worker, the S3 backend or tracing needs');
  assert.deepEqual(
    relative.filter((file) => WORKER_ONLY_FILES.includes(file)),
    [],
    'the worker and the activities are imported only when a worker runs',
  );
});

test('the walk sees a worker import when there is one (negative control)', () => {
  const { packages, files } = startupGraph('main/worker.ts');
  assert.ok(packages.has('@temporalio/worker'));
  assert.ok(files.has(path.join(ROOT, 'worker', 'worker.ts')));
});
