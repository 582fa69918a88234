// The FileIntel worker alone in a child process (as `npm run worker` runs it,
// minus migrations and the Schedule), so a benchmark can read its memory from
// /proc. Parent talks over IPC: it sends 'stop' or 'stats' (answered with the
// event loop's delay and CPU time since 'stats-reset'); this sends {ready}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../config/load.ts';
import { startServices } from '../../main/services.ts';

const services = await startServices({
  config: loadConfig(),
  database: { url: process.env.DATABASE_URL! },
  temporalAddress: process.env.TEMPORAL_ADDRESS!,
  worker: true,
});
const { worker, running } = services.worker!;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpuSince = process.cpuUsage();
process.on('message', (message) => {
  if (message === 'stats-reset') {
    loop.reset();
    cpuSince = process.cpuUsage();
    process.send!({ reset: true });
  } else if (message === 'stats') {
    const cpu = process.cpuUsage(cpuSince);
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    process.send!({
      eventLoopDelayMs: {
        mean: ms(loop.mean),
        p50: ms(loop.percentile(50)),
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
      },
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    });
  } else if (message === 'stop' && worker.getState() === 'RUNNING') {
    worker.shutdown();
  }
});
process.send!({ ready: true });
try {
  await running;
} finally {
  await services.stop();
  process.exit(0);
}
