// P2: 20 files of 50 MB through the CLI into the production API process
// (`npm run api`: dist/main/api.js under plain node, no heap cap): its peak
// resident memory from /proc/<pid>/status, and bytes per second against `cp`
// of the same files onto the same disk. Goals: peak < 150 MB; at least half of
// cp's speed. The same API run from sources through tsx is measured beside it.
import { execFile, execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_PATH } from '../config/load.ts';
import { corpusFiles, largeTextFiles } from './corpus.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { runCli } from '../test/support/cli.ts';
import { log, procMemory, round, rssSampler, seconds, startBenchStack } from './support/stack.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILE_MB = 50;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const count = quick ? 2 : 20;
  const dir = await largeTextFiles({ count, mb: FILE_MB });
  const files = await corpusFiles(dir);
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const stack = await startBenchStack({ api: false, worker: false });
  const api = await apiCommand();
  const startChild = async (entry: string, execArgv: string[]) => {
    const child = fork(entry, {
      execArgv: [...execArgv, ...api.flags],
      env: {
        ...process.env,
        ...api.env,
        FILEINTEL_CONFIG: process.env.FILEINTEL_CONFIG ?? DEFAULT_CONFIG_PATH,
        ...stack.configEnv,
        FILEINTEL_API_PORT: '0',
        // Its metrics listener on a free port too: the two API children run side by side (config's 9464 is fixed).
        FILEINTEL_API_METRICS_ADDRESS: '127.0.0.1:0',
        DATABASE_URL: stack.databaseUrl(stack.poolNames.api),
        TEMPORAL_ADDRESS: stack.temporalAddress,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const [ready] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the API child exited (${code}) before it listened`);
      }),
    ]);
    return { child, url: (ready as { url: string }).url };
  };
  const children: ChildProcess[] = [];
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
    const { child, url: apiUrl } = await startChild(path.join(ROOT, 'dist/main/api.js'), []);
    const pid = child.pid!;
    await runCli(apiUrl, ['collections', 'create', 'p2-large']);
    const idle = await procMemory(pid);

    // cp before and after the upload; their mean is the reference.
    const cp = async () => {
      const target = path.join(stack.config.data_dir, `cp-${Date.now()}`);
      const t0 = performance.now();
      await promisify(execFile)('cp', ['-r', dir, target]);
      const took = performance.now() - t0;
      await rm(target, { recursive: true, force: true });
      return took;
    };
    const cpBefore = await cp();

    log(`p2: uploading ${count} × ${FILE_MB} MB through the CLI`);
    const sampler = rssSampler(pid, 20);
    const t0 = performance.now();
    const cli = await runCli(apiUrl, ['documents', 'batch-upload', 'p2-large', dir, '--no-process', '--json']);
    const uploadMs = performance.now() - t0;
    const sampledPeak = sampler.stop();
    if (cli.code !== 0) throw new Error(`CLI failed (${cli.code}): ${cli.stderr.slice(-2_000)}`);
    const answer = JSON.parse(cli.stdout) as { counts: { stored: number; total: number } };
    if (answer.counts.stored !== count)
      throw new Error(`stored ${answer.counts.stored} of ${count}: ${cli.stdout.slice(0, 2_000)}`);
    const after = await procMemory(pid);
    const cpAfter = await cp();

    const cpMs = (cpBefore + cpAfter) / 2;
    const fromSources = await sourcesVariant(startChild, dir, count);
    const uploadMbps = bytes / 1e6 / (uploadMs / 1000);
    const cpMbps = bytes / 1e6 / (cpMs / 1000);
    log(
      `p2: upload ${seconds(uploadMs)} s (${uploadMbps.toFixed(0)} MB/s), cp ${seconds(cpMs)} s (${cpMbps.toFixed(0)} MB/s), API VmHWM ${after.hwmMb.toFixed(1)} MB`,
    );
    return {
      figures: { p2_peak_rss_mb: round(after.hwmMb, 1), p2_speed_vs_cp: round(uploadMbps / cpMbps) },
      details: {
        files: count,
        file_mb: FILE_MB,
        bytes,
        api_rss_idle_mb: round(idle.rssMb, 1),
        api_rss_idle_anon_mb: round(idle.anonMb, 1),
        api_rss_idle_file_mb: round(idle.fileMb, 1),
        api_rss_peak_sampled_mb: round(sampledPeak, 1),
        api_vmhwm_mb: round(after.hwmMb, 1),
        upload_ms: round(uploadMs, 0),
        upload_mb_per_s: round(uploadMbps, 1),
        cp_ms: [round(cpBefore, 0), round(cpAfter, 0)],
        cp_mb_per_s: round(cpMbps, 1),
        api_from_sources_through_tsx: fromSources,
      },
      notes: [
        `API RSS idle ${idle.rssMb.toFixed(1)} MB (anonymous ${idle.anonMb.toFixed(1)}, file-backed ${idle.fileMb.toFixed(1)}), highest sampled during the upload ${sampledPeak.toFixed(1)} MB, VmHWM (lifetime peak) ${after.hwmMb.toFixed(1)} MB; ` +
          `upload ${uploadMbps.toFixed(0)} MB/s vs cp ${cpMbps.toFixed(0)} MB/s (mean of a cp before and after; page cache warm for both)`,
        `the same API from sources through tsx (development): idle ${fromSources.idle_rss_mb} MB, VmHWM ${fromSources.vmhwm_mb} MB after the same upload, ${fromSources.upload_mb_per_s} MB/s`,
      ],
    };
  } finally {
    for (const child of children) {
      if (child.exitCode === null) {
        const exit = once(child, 'exit');
        child.kill('SIGTERM');
        await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await stack.teardown();
  }
}

/** The environment and node flags of `npm run api` (package.json), so the bench measures the production command. */
async function apiCommand(): Promise<{ env: Record<string, string>; flags: string[] }> {
  const { scripts } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = scripts.api!.split(/\s+/);
  const env = Object.fromEntries(
    words.filter((word) => /^[A-Z_]+=/.test(word)).map((word) => word.split('=', 2) as [string, string]),
  );
  return { env, flags: words.filter((word) => word.startsWith('--')) };
}

/** The same API from its TypeScript sources through tsx (as in development and tests): what the loader costs. */
async function sourcesVariant(
  startChild: (entry: string, execArgv: string[]) => Promise<{ child: ChildProcess; url: string }>,
  dir: string,
  count: number,
) {
  const { child, url } = await startChild(path.join(ROOT, 'main/api.ts'), ['--import', 'tsx']);
  await runCli(url, ['collections', 'create', 'p2-sources']);
  const idle = await procMemory(child.pid!);
  const t0 = performance.now();
  const cli = await runCli(url, ['documents', 'batch-upload', 'p2-sources', dir, '--no-process', '--json']);
  const ms = performance.now() - t0;
  if (cli.code !== 0)
    throw new Error(`CLI failed against the API from sources (${cli.code}): ${cli.stderr.slice(-2_000)}`);
  const stored = (JSON.parse(cli.stdout) as { counts: { stored: number } }).counts.stored;
  if (stored !== count) throw new Error(`the API from sources stored ${stored} of ${count}`);
  const after = await procMemory(child.pid!);
  const bytes = (await corpusFiles(dir)).reduce((sum, file) => sum + file.size, 0);
  return {
    idle_rss_mb: round(idle.rssMb, 1),
    vmhwm_mb: round(after.hwmMb, 1),
    upload_mb_per_s: round(bytes / 1e6 / (ms / 1000), 1),
  };
}
