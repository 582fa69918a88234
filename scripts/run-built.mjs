// `npm start`, `npm run worker`, `npm run api`: builds dist/ when a source is
// newer than the last build (or there is none), then runs the entry point
// named by the argument (e.g. main/launcher) from dist/ with plain node.
import { execFileSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [
  'main',
  'api',
  'cli',
  'common',
  'config',
  'db',
  'storage',
  'workflows',
  'activities',
  'worker',
  'package-lock.json',
];

async function newestSourceMs() {
  let newest = 0;
  for (const source of SOURCES) {
    const top = path.join(ROOT, source);
    const info = await stat(top);
    if (!info.isDirectory()) {
      newest = Math.max(newest, info.mtimeMs);
      continue;
    }
    for (const entry of await readdir(top, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run-built.mjs <entry point, e.g. main/launcher>');
  process.exit(2);
}
// The entry reads its own arguments (e.g. --queues) as if it were the script.
process.argv.splice(1, 2, path.join(ROOT, 'dist', `${entry}.js`));

const built = await stat(path.join(ROOT, 'dist/.build-stamp')).then(
  (info) => info.mtimeMs,
  () => 0,
);
if (built < (await newestSourceMs())) {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}
await import(process.argv[1]);
