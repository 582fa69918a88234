/** Small helpers shared by the process entry points. */
import type { ReadyMessage } from './supervisor.ts';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set (or use \`npm start\`, which starts embedded services)`);
    process.exit(2);
  }
  return value;
}

/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at
 * once. Under `npm start` also when the launcher goes away (its IPC channel
 * closes), so a launcher killed outright leaves no process behind.
 */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (reason: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    // After a terminal's ^C, start a fresh line; under the launcher the line is prefixed anyway.
    console.log(`${process.send ? '' : '\n'}[fileintel] ${reason}: stopping…`);
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error('[fileintel] error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  if (process.send) {
    process.on('disconnect', () => {
      // Nobody reads our output any more: writing it must not fail the stop (EPIPE).
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      handler('launcher gone');
    });
  }
}

/** Tells the launcher (main/supervisor.ts) this process serves now; nothing when run on its own. */
export function notifySupervisor(details: Omit<ReadyMessage, 'type'> = {}): void {
  process.send?.({ type: 'ready', ...details } satisfies ReadyMessage);
}
