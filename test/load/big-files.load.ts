import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startApiChild } from '../faults/api-kill.ts';
import { filesUnder, procStats, reportFigures, sleep, stopChild, type Child } from '../support/faults.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const MB = 1024 * 1024;
const FILES = Number(process.env.LOAD_BIG_FILES ?? 20);
const FILE_MB = Number(process.env.LOAD_BIG_FILE_MB ?? 50);
const MAX_PEAK_RSS_MB = 150;
/** What streaming may add to the API's idle footprint, whatever its flags. */
const MAX_GROWTH_MB = 80;
/** The heap cap under which the absolute bar is held (the same flags as test/api/uploads-memory.test.ts). */
const CAPPED = ['--max-old-space-size=64', '--max-semi-space-size=1'];

/** One generated text file as a multipart body, never whole in memory. */
function generatedBody(boundary: string, name: string, bytes: number): ReadableStream<Uint8Array> {
  const line = Buffer.from(`${name}: a streamed line of a large text file, repeated until the file is big enough\n`);
  const block = Buffer.alloc(256 * 1024);
  for (let offset = 0; offset < block.length; offset += line.length) line.copy(block, offset);
  async function* parts() {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}.txt"\r\nContent-Type: text/plain\r\n\r\n`,
    );
    let left = bytes;
    while (left > 0) {
      const piece = block.subarray(0, Math.min(left, block.length));
      left -= piece.length;
      yield new Uint8Array(piece);
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  return ReadableStream.from(parts());
}

/**
 * 20 × 50 MB at once through the API in a child process, twice: as `npm run
 * api` starts it (no flags: V8 sizes its heap freely, and the idle process
 * under tsx is already near 150 MB, so only the growth is held), then with
 * the heap capped, where the bar (peak RSS under 150 MB) is held.
 * VmHWM is the kernel's own peak of the child's resident memory.
 */
describe(`${FILES} files of ${FILE_MB} MB at once`, () => {
  let stack: TestStack;
  let api: Child | undefined;
  before(async () => {
    stack = await startTestStack({ worker: false, api: false, config: { max_file_size_mb: FILE_MB + 1 } });
  });
  after(async () => {
    await stopChild(api, 5_000);
    await stack?.teardown();
  });

  async function flood(name: string, flags: string[]) {
    api = await startApiChild(stack, {}, flags);
    const url = api.ready.url as string;
    const pid = api.pid;
    const created = await request('POST', `${url}/collections`, { name });
    const collectionId = created.body.data.id as string;
    await request('GET', `${url}/health`);
    const before = await procStats(pid);
    let peakRss = before.vmRssKb;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, (await procStats(pid)).vmRssKb);
        await sleep(20);
      }
    })();
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: FILES }, async (_, i) => {
        const boundary = `big${i}`;
        const response = await fetch(`${url}/collections/${collectionId}/documents`, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: generatedBody(boundary, `${name}-${i}`, FILE_MB * MB),
          duplex: 'half',
        } as RequestInit);
        return {
          status: response.status,
          body: (await response.json()) as { data: { files: { size_bytes: number }[] } },
        };
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    sampling = false;
    await sampler;
    const end = await procStats(pid);
    for (const answer of answers) {
      assert.equal(answer.status, 201, JSON.stringify(answer.body).slice(0, 300));
      assert.equal(answer.body.data.files[0].size_bytes, FILE_MB * MB);
    }
    const [{ n }] = await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId}`;
    assert.equal(n, FILES);
    assert.equal((await filesUnder(`${stack.config.storage_dir}/${collectionId}`)).length, FILES);
    await stopChild(api, 5_000);
    api = undefined;
    // Remove the files so the next run does not add another gigabyte to the disk.
    await rm(`${stack.config.storage_dir}/${collectionId}`, { recursive: true, force: true });
    const figures = {
      api_node_flags: flags.join(' ') || 'none',
      files: FILES,
      file_mb: FILE_MB,
      total_mb: FILES * FILE_MB,
      seconds,
      mb_per_second: Math.round((FILES * FILE_MB) / seconds),
      api_rss_idle_mb: Math.round(before.vmRssKb / 1024),
      api_peak_rss_sampled_mb: Math.round(peakRss / 1024),
      api_vm_hwm_mb: Math.round(end.vmHwmKb / 1024),
      growth_mb: Math.round((end.vmHwmKb - before.vmRssKb) / 1024),
    };
    reportFigures(`load-big-files (${figures.api_node_flags})`, figures);
    return figures;
  }

  test(`as npm run api starts it: streaming adds less than ${MAX_GROWTH_MB} MB to the idle process`, async () => {
    const figures = await flood('big-default', []);
    assert.ok(figures.growth_mb < MAX_GROWTH_MB, `grew by ${figures.growth_mb} MB`);
  });

  test(`heap capped at 64 MB: peak resident memory (VmHWM) under ${MAX_PEAK_RSS_MB} MB`, async () => {
    const figures = await flood('big-capped', CAPPED);
    assert.ok(figures.api_vm_hwm_mb < MAX_PEAK_RSS_MB, `API peak RSS (VmHWM) ${figures.api_vm_hwm_mb} MB`);
  });
});
