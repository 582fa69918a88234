// A stand-in child for test/e2e/supervisor.test.ts, driven by CHILD_MODE:
//   serve        says hello, reports ready, stops on SIGTERM (exit 0)
//   crash        says hello, reports ready, exits CHILD_EXIT_CODE soon after
//   crash-early  exits CHILD_EXIT_CODE before it is ready
//   stubborn     reports ready and ignores SIGTERM
import { notifySupervisor } from '../../main/process.ts';

const mode = process.env.CHILD_MODE;
const exitCode = Number(process.env.CHILD_EXIT_CODE ?? 3);
const keepAlive = setInterval(() => {}, 60_000);

console.log(`hello from ${mode} (pid ${process.pid})`);
console.error('a line on stderr');
if (mode === 'crash-early') process.exit(exitCode);
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
else {
  process.on('SIGTERM', () => {
    clearInterval(keepAlive);
    console.log('bye');
    process.exit(0);
  });
}
notifySupervisor({ pid: process.pid, mode });
if (mode === 'crash') setTimeout(() => process.exit(exitCode), 50);
