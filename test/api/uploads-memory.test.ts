import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const MB = 1024 * 1024;
/** The child API's heap cap; every file below is larger. */
const HEAP_LIMIT_MB = 64;
/** Size of each of the three files; UPLOAD_MEMORY_TEST_MB=100 for the 3 × 100 MB. */
const FILE_MB = Number(process.env.UPLOAD_MEMORY_TEST_MB ?? 72);
/** RSS may grow by buffers and sockets, never by anything near the bytes uploaded. */
const MAX_RSS_GROWTH_MB = 48;

const here = path.dirname(fileURLToPath(import.meta.url));

/** A multipart body generated on the fly: three text files of FILE_MB each, never whole in memory. */
function generatedBody(boundary: string, files: number, bytesEach: number): ReadableStream<Uint8Array> {
  const line = Buffer.from('streamed line of a large text file, repeated until the file is big enough\n');
  const block = Buffer.alloc(256 * 1024);
  for (let offset = 0; offset < block.length; offset += line.length) line.copy(block, offset);
  async function* parts() {
    for (let i = 0; i < files; i++) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big-${i}.txt"\r\nContent-Type: text/plain\r\n\r\nfile ${i}\n`,
      );
      let left = bytesEach - `file ${i}\n`.length;
      while (left > 0) {
        const piece = block.subarray(0, Math.min(left, block.length));
        left -= piece.length;
        yield new Uint8Array(piece);
      }
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="process_immediately"\r\n\r\nfalse\r\n--${boundary}--\r\n`,
    );
  }
  return ReadableStream.from(parts());
}

describe(`API memory stays flat: 3 × ${FILE_MB} MB through an API with a ${HEAP_LIMIT_MB} MB heap`, () => {
  let stack: TestStack;
  let child: ChildProcess;
  let url: string;
  const ask = async (message: string) => {
    child.send(message);
    const [answer] = await once(child, 'message');
    return answer as { rss: number; peakRss: number; heapLimit: number };
  };

  before(async () => {
    stack = await startTestStack({
      worker: false,
      api: false,
      config: { max_file_size_mb: FILE_MB + 1, max_upload_request_mb: 4 * (FILE_MB + 1) },
    });
    // The child reaches the test's own database (and schema, kept in `connection`) the way the pool does.
    const options = stack.sql.options as unknown as {
      host: string[];
      port: number[];
      database: string;
      user: string;
      connection?: Record<string, string>;
    };
    const databaseUrl = new URL(`postgres://${options.user}@${options.host[0]}:${options.port[0]}/${options.database}`);
    for (const [key, value] of Object.entries(options.connection ?? {}))
      databaseUrl.searchParams.set(key, String(value));
    child = fork(path.join(here, '../fixtures/upload-api-child.ts'), {
      execArgv: [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--max-semi-space-size=1', '--expose-gc', '--import', 'tsx'],
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl.toString(),
        TEMPORAL_ADDRESS: stack.temporalAddress,
        FILEINTEL_STORAGE_DIR: stack.config.storage_dir,
        FILEINTEL_STAGING_DIR: stack.config.staging_dir,
        FILEINTEL_MAX_FILE_SIZE_MB: String(FILE_MB + 1),
        FILEINTEL_MAX_UPLOAD_REQUEST_MB: String(4 * (FILE_MB + 1)),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the API child exited (${code}) before it listened`);
    });
    const [ready] = await Promise.race([once(child, 'message'), exited]);
    url = (ready as { url: string }).url;
  });
  after(async () => {
    if (child?.connected) {
      child.send('stop');
      await once(child, 'exit');
    }
    await stack?.teardown();
  });

  test('the files are stored whole and the API process grows by far less than one file', async () => {
    const created = await request('POST', `${url}/collections`, { name: 'big' });
    assert.equal(created.status, 201);
    const collection = created.body.data.id;
    const start = await ask('reset').then(() => ask('peak'));
    assert.ok(start.heapLimit < FILE_MB * MB, 'every file is larger than the heap limit');

    const boundary = 'fileintelMemoryTest';
    const response = await fetch(`${url}/collections/${collection}/upload-and-process`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: generatedBody(boundary, 3, FILE_MB * MB),
      duplex: 'half',
    } as RequestInit);
    const body = (await response.json()) as { data: { counts: unknown; files: { size_bytes: number }[] } };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(body.data.counts, { total: 3, stored: 3, duplicate: 0, rejected: 0 });
    for (const stored of body.data.files) assert.equal(stored.size_bytes, FILE_MB * MB);

    const end = await ask('peak');
    const growthMb = (end.peakRss - start.rss) / MB;
    assert.ok(
      growthMb < MAX_RSS_GROWTH_MB,
      `peak RSS grew by ${growthMb.toFixed(1)} MB while ${3 * FILE_MB} MB streamed through`,
    );
  });
});
