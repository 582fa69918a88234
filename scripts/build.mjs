// `npm run build`: the runtime compiled to dist/ so production runs plain `node`
// with no TypeScript loader resident (tsx alone held ~33 MB of the API's RSS).
// Steps: tsc (incremental), the files the code reads beside itself, and the
// workflow bundle prebuilt so a worker never bundles at start.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const BUILD_STAMP = path.join(DIST, '.build-stamp');

/** Read at run time relative to the module that reads them (import.meta.url). */
const ASSETS = [
  'config/default.yaml',
  'db/migrations',
  'activities/text-work/thread.mjs',
  'activities/extraction/ocr/tesseract-thread.mjs',
];

execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
for (const asset of ASSETS) {
  await cp(path.join(ROOT, asset), path.join(DIST, asset), { recursive: true });
}

const noop = () => {};
const logger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
// The same interceptor modules as worker/workflow-bundle.ts's WORKFLOW_INTERCEPTOR_MODULES.
const workflowInterceptorModules = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  path.join(ROOT, 'worker/workflow-outcome-interceptor.ts'),
];
const { code } = await bundleWorkflowCode({
  workflowsPath: path.join(ROOT, 'workflows/index.ts'),
  workflowInterceptorModules,
  logger,
});
await mkdir(DIST, { recursive: true });
await writeFile(`${DIST}/workflow-bundle.js.tmp`, code);
await rename(`${DIST}/workflow-bundle.js.tmp`, `${DIST}/workflow-bundle.js`);
await writeFile(BUILD_STAMP, `${new Date().toISOString()}\n`);
console.log('[fileintel] built dist/');
