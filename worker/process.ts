/** Small helpers shared by the process entry points. */

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set (or use \`npm start\`, which starts embedded services)`);
    process.exit(2);
  }
  return value;
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n[fileintel] ${signal}: stopping…`);
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
}
