// P2: 20 files of 50 MB through the CLI into an API running in its own process
// (test/fixtures/upload-api-child.ts, no heap cap): the API's peak resident
// memory from /proc/<pid>/status, and bytes per second against `cp` of the same
// files onto the same disk. Goals: peak < 150 MB; at least half of cp's speed.
import { execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { corpusFiles, largeTextFiles } from './corpus.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { runCli } from '../test/support/cli.ts';
import { log, procMemory, round, rssSampler, seconds, startBenchStack } from './support/stack.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FILE_MB = 50;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const count = quick ? 2 : 20;
  const dir = await largeTextFiles({ count, mb: FILE_MB });
  const files = await corpusFiles(dir);
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const stack = await startBenchStack({ api: false, worker: false });
  const child = fork(path.join(here, '../test/fixtures/upload-api-child.ts'), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ...stack.configEnv,
      DATABASE_URL: stack.databaseUrl(stack.poolNames.api),
      TEMPORAL_ADDRESS: stack.temporalAddress,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [ready] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the API child exited (${code}) before it listened`);
      }),
    ]);
    const apiUrl = (ready as { url: string }).url;
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
    if (answer.counts.stored !== count) throw new Error(`stored ${answer.counts.stored} of ${count}: ${cli.stdout.slice(0, 2_000)}`);
    const after = await procMemory(pid);
    const cpAfter = await cp();

    const cpMs = (cpBefore + cpAfter) / 2;
    const uploadMbps = bytes / 1e6 / (uploadMs / 1000);
    const cpMbps = bytes / 1e6 / (cpMs / 1000);
    log(`p2: upload ${seconds(uploadMs)} s (${uploadMbps.toFixed(0)} MB/s), cp ${seconds(cpMs)} s (${cpMbps.toFixed(0)} MB/s), API VmHWM ${after.hwmMb.toFixed(1)} MB`);
    return {
      figures: { p2_peak_rss_mb: round(after.hwmMb, 1), p2_speed_vs_cp: round(uploadMbps / cpMbps) },
      details: {
        files: count,
        file_mb: FILE_MB,
        bytes,
        api_rss_idle_mb: round(idle.rssMb, 1),
        api_rss_peak_sampled_mb: round(sampledPeak, 1),
        api_vmhwm_mb: round(after.hwmMb, 1),
        upload_ms: round(uploadMs, 0),
        upload_mb_per_s: round(uploadMbps, 1),
        cp_ms: [round(cpBefore, 0), round(cpAfter, 0)],
        cp_mb_per_s: round(cpMbps, 1),
      },
      notes: [
        `API RSS idle ${idle.rssMb.toFixed(1)} MB, highest sampled during the upload ${sampledPeak.toFixed(1)} MB, VmHWM (lifetime peak) ${after.hwmMb.toFixed(1)} MB; ` +
          `upload ${uploadMbps.toFixed(0)} MB/s vs cp ${cpMbps.toFixed(0)} MB/s (mean of a cp before and after; page cache warm for both)`,
      ],
    };
  } finally {
    if (child.connected) {
      const exit = once(child, 'exit');
      child.send('stop');
      await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await stack.teardown();
  }
}
