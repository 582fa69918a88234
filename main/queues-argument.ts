/**
 * The `--queues workflows,documents` (or `--queues=…`) argument of `npm run
 * worker`, as FILEINTEL_WORKER_QUEUES would give it: config validation then
 * names an unknown queue. Undefined when absent; any other argument is refused.
 */
export class WorkerArgumentError extends Error {
  override name = 'WorkerArgumentError';
}

export function queuesArgument(argv: readonly string[]): string | undefined {
  let queues: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--queues') {
      queues = argv[++i];
      if (queues === undefined || queues.startsWith('--'))
        throw new WorkerArgumentError('--queues needs a list, e.g. --queues workflows,documents');
    } else if (arg.startsWith('--queues=')) {
      queues = arg.slice('--queues='.length);
    } else {
      throw new WorkerArgumentError(
        `unknown argument ${JSON.stringify(arg)}; the worker takes --queues workflows,documents`,
      );
    }
  }
  if (queues !== undefined && queues.trim() === '')
    throw new WorkerArgumentError('--queues needs a list, e.g. --queues workflows,documents');
  return queues;
}
