// `npm run test:fuzz`: schemathesis (PyPI) generates requests from
// /api/v2/openapi.json against a real stack on 127.0.0.1 and checks that no
// answer is a 5xx and every answer matches the documented schema. Stops by
// itself; exits non-zero on any finding or when fewer requests than asked ran.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startTestStack } from '../support/stack.ts';

const EXAMPLES_PER_OPERATION = Number(process.env.FUZZ_EXAMPLES ?? 80);
const MIN_REQUESTS = Number(process.env.FUZZ_MIN_REQUESTS ?? 1000);
const CHECKS = [
  'not_a_server_error',
  'response_schema_conformance',
  'content_type_conformance',
  'status_code_conformance',
];

if (spawnSync('schemathesis', ['--version']).status !== 0) {
  console.log('installing schemathesis from PyPI…');
  const pip = spawnSync('pip', ['install', '--quiet', 'schemathesis'], { stdio: 'inherit' });
  if (pip.status !== 0) process.exit(2);
}

const stack = await startTestStack({});
let exitCode: number;
try {
  // Something to find: a collection with a document, so routes have real ids to hit.
  const [collection] = await stack.sql`INSERT INTO collections (name) VALUES ('fuzz') RETURNING id`;
  await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
                  VALUES (${collection.id}, 'a.txt', ${`${collection.id}/a.txt`}, 'text/plain', 3, 'h')`;
  const origin = new URL(stack.apiUrl).origin;
  const report = path.join(os.tmpdir(), `fileintel-fuzz-${process.pid}.xml`);
  const args = [
    'run',
    `${stack.apiUrl}/openapi.json`,
    '--url',
    origin,
    '--checks',
    CHECKS.join(','),
    '--max-examples',
    String(EXAMPLES_PER_OPERATION),
    '--phases',
    'examples,coverage,fuzzing',
    '--workers',
    '2',
    '--seed',
    '20261128',
    '--suppress-health-check',
    'all',
    '--report',
    'junit',
    '--report-junit-path',
    report,
  ];
  console.log(`schemathesis ${args.join(' ')}`);
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('schemathesis', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.once('close', resolve);
  });
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  console.log(
    `\nfuzz: schemathesis exit ${code}, ${generated} generated requests (at least ${MIN_REQUESTS} wanted); JUnit report ${report}`,
  );
  exitCode = code === 0 && generated >= MIN_REQUESTS ? 0 : 1;
} finally {
  await stack.teardown();
}
process.exit(exitCode);
