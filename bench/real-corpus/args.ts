// Command-line options of bench/real-corpus/run.ts. The run only ever talks to a
// FileIntel on this machine: a corpus run against a remote service would be a
// different measurement (network in the figures) and could send documents away.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface RealCorpusOptions {
  dir: string;
  apiUrl: string;
  collection: string;
  out: string;
  timeoutMs: number;
  /** Files in flight at once while uploading. */
  concurrency: number;
  /** Milliseconds between two task-status polls. */
  pollMs: number;
  /** Also build the entity graph (POST …/process build_graph). */
  buildGraph: boolean;
}

export const USAGE = `usage: npm run bench:corpus -- --dir DIR [--api URL] [--collection NAME] [--out FILE]
                            [--timeout MINUTES] [--concurrency N] [--poll SECONDS] [--graph]
  --dir          the corpus (searched recursively; MANIFEST.tsv read when present)
  --api          FileIntel API on 127.0.0.1 (default http://127.0.0.1:8000/api/v3)
  --collection   name of the collection to create (default real-corpus-<date>)
  --out          JSON report (default <tmpdir>/fileintel-real-corpus-<date>.json)
  --timeout      the whole run stops after this many minutes (default 90)
  --concurrency  files in flight while uploading (default 4)
  --poll         seconds between task-status polls (default 3)
  --graph        also build the entity graph (off by default, as POST /process)`;

const LOCAL_HOST = '127.0.0.1';

export function parseRealCorpusArgs(argv: string[], now = new Date()): RealCorpusOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      api: { type: 'string', default: `http://${LOCAL_HOST}:8000/api/v3` },
      collection: { type: 'string' },
      out: { type: 'string' },
      timeout: { type: 'string', default: '90' },
      concurrency: { type: 'string', default: '4' },
      poll: { type: 'string', default: '3' },
      graph: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  if (!values.dir) throw new UsageError('--dir is required');

  let api: URL;
  try {
    api = new URL(values.api);
  } catch {
    throw new UsageError(`--api is not a URL: ${values.api}`);
  }
  if (api.hostname !== LOCAL_HOST) throw new UsageError(`--api must point at ${LOCAL_HOST}, not ${api.hostname}`);

  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    dir: path.resolve(values.dir),
    apiUrl: api.toString().replace(/\/+$/, ''),
    collection: values.collection ?? `real-corpus-${stamp}`,
    out: path.resolve(values.out ?? path.join(os.tmpdir(), `fileintel-real-corpus-${stamp}.json`)),
    timeoutMs: positiveNumber('--timeout', values.timeout) * 60_000,
    concurrency: Math.round(positiveNumber('--concurrency', values.concurrency)),
    pollMs: positiveNumber('--poll', values.poll) * 1_000,
    buildGraph: values.graph,
  };
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, not '${text}'`);
  return value;
}

/** A bad command line: the message (if any) and the usage are printed, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
