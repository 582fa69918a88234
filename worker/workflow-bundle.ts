import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOWS_PATH = path.join(ROOT, 'workflows', 'index.ts');
/**
 * Workflow interceptor modules bundled with the workflows (scripts/build.mjs
 * names the same): OpenTelemetry's (a span per workflow run, activity, child
 * and signal, exported through the worker's `exporter` sink, see
 * worker/worker.ts) and the outcome counters (worker/telemetry.ts). They add
 * no command: recorded histories replay unchanged (test/replay).
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  path.join(ROOT, 'worker', 'workflow-outcome-interceptor.ts'),
];
/**
 * The sink OpenTelemetry's workflow interceptors hand their spans to, when
 * tracing is off: it drops them. Every worker running this bundle registers
 * the `exporter` sink (a replay worker too, or the SDK logs each call as an
 * unregistered sink); worker/worker.ts puts the real exporter there when
 * tracing is on.
 */
export const WORKFLOW_SINKS_WITHOUT_TRACING = { exporter: { export: { fn: () => {} } } };
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'fileintel');
/** Written by `npm run build` (scripts/build.mjs) beside the compiled code. */
const PREBUILT = path.join(ROOT, 'workflow-bundle.js');
const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/**
 * The workflow bundle, built once per content of `workflows/` and the lock
 * file, then reused: bundling takes seconds, and every test file and start-up
 * would otherwise pay for it.
 */
export async function loadWorkflowBundle(): Promise<{ code: string }> {
  // Compiled code uses the bundle built with it; sources (tests, tsx) always bundle what is on disk.
  if (RUNNING_COMPILED && existsSync(PREBUILT)) return { code: await readFile(PREBUILT, 'utf8') };
  const hash = createHash('sha256');
  const files = (await readdir(path.join(ROOT, 'workflows'), { recursive: true }))
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const file of files) {
    hash.update(file);
    hash.update(await readFile(path.join(ROOT, 'workflows', file)));
  }
  for (const module of WORKFLOW_INTERCEPTOR_MODULES) {
    hash.update(module);
    hash.update(await readFile(module));
  }
  const lock = path.join(ROOT, 'package-lock.json');
  if (existsSync(lock)) hash.update(await readFile(lock));
  const cached = path.join(CACHE_DIR, `workflows-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(cached)) return { code: await readFile(cached, 'utf8') };

  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quietLogger,
  });
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  await writeFile(partial, code);
  await rename(partial, cached);
  return { code };
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
