import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makePdf, makePng, makeText } from '../fixtures/upload-files.ts';
import { runCli } from '../support/cli.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('fileintel documents upload / batch-upload (spawned CLI, real API)', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    stack = await startTestStack({ worker: false, config: { max_upload_batch_size: 2 } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-cli-upload-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await stack?.teardown();
  });

  const cli = (args: string[]) => runCli(stack.apiUrl, args);
  const newCollection = async (name: string) =>
    (await request('POST', `${stack.apiUrl}/collections`, { name })).body.data.id as string;
  const rows = async (collection: string) =>
    (
      await stack.sql<
        { original_filename: string }[]
      >`SELECT original_filename FROM documents WHERE collection_id = ${collection} ORDER BY original_filename`
    ).map((r) => r.original_filename);
  const folder = async (name: string, files: [string, Buffer][]) => {
    const root = path.join(dir, name);
    for (const [file, bytes] of files) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), bytes);
    }
    return root;
  };

  test('all good: plain progress lines (no TTY), a table with totals, exit 0; --pattern and --recursive select files', async () => {
    const collection = await newCollection('cli-good');
    const root = await folder('good', [
      ['a.txt', makeText('a')],
      ['b.pdf', await makePdf('b')],
      ['c.md', makeText('c')],
      ['notes.csv', makeText('skip me')],
      ['program.exe', makePng()],
      ['sub/d.txt', makeText('d')],
    ]);
    const run = await cli(['documents', 'batch-upload', collection, root, '--concurrency', '2', '--no-process']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^\[1\/3\] stored /m);
    assert.match(run.stderr, /^\[3\/3\] stored /m);
    assert.match(run.stdout, /a\.txt.*stored/);
    assert.match(
      run.stdout,
      /total 3: 3 stored, 0 duplicate, 0 rejected, 0 failed, 0 not sent, 2 skipped \(extension not accepted: notes\.csv, program\.exe\)/,
    );
    assert.match(
      run.stdout,
      /program\.exe.*skipped.*unsupported_extension: not sent: \.exe is not an accepted extension \(accepted: \.pdf/,
    );
    assert.deepEqual(await rows(collection), ['a.txt', 'b.pdf', 'c.md']);

    const recursive = await cli([
      'documents',
      'batch-upload',
      collection,
      root,
      '--recursive',
      '--pattern',
      '*.txt',
      '--no-process',
      '--json',
    ]);
    assert.equal(recursive.code, 0, recursive.stderr);
    const json = JSON.parse(recursive.stdout);
    assert.deepEqual(
      json.files.map((f: { filename: string; outcome: string }) => [f.filename, f.outcome]),
      [
        ['a.txt', 'duplicate'],
        ['d.txt', 'stored'],
      ],
    );
    assert.equal(json.counts.stored, 1);
    assert.equal(json.counts.duplicate, 1);
    assert.equal(recursive.stderr, '');
    const skipped = JSON.parse(
      (await cli(['documents', 'batch-upload', collection, root, '--no-process', '--json'])).stdout,
    ).skipped;
    assert.deepEqual(
      skipped.map((f: { path: string; reason: string }) => [path.basename(f.path), f.reason]),
      [
        ['notes.csv', 'unsupported_extension'],
        ['program.exe', 'unsupported_extension'],
      ],
    );
  });

  test('--continue-on-error: good files stored, the bad one reported, exit 1; a re-run stores only what is missing', async () => {
    const collection = await newCollection('cli-continue');
    const root = await folder('continue', [
      ['1.txt', makeText('one')],
      ['2.pdf', makePng()],
      ['3.txt', makeText('three')],
      ['4.txt', makeText('four')],
    ]);
    const run = await cli([
      'documents',
      'batch-upload',
      collection,
      root,
      '--concurrency',
      '1',
      '--continue-on-error',
      '--no-process',
      '--json',
    ]);
    assert.equal(run.code, 1);
    const json = JSON.parse(run.stdout);
    assert.deepEqual(
      json.files.map((f: { outcome: string }) => f.outcome),
      ['stored', 'rejected', 'stored', 'stored'],
    );
    assert.equal(json.files[1].reason, 'type_mismatch');
    assert.deepEqual(await rows(collection), ['1.txt', '3.txt', '4.txt']);

    await writeFile(path.join(root, '2.pdf'), await makePdf('fixed'));
    const rerun = await cli([
      'documents',
      'batch-upload',
      collection,
      root,
      '--continue-on-error',
      '--no-process',
      '--json',
    ]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const again = JSON.parse(rerun.stdout);
    assert.deepEqual([again.counts.stored, again.counts.duplicate], [1, 3]);
    assert.deepEqual(await rows(collection), ['1.txt', '2.pdf', '3.txt', '4.txt']);
  });

  test('--rollback-on-failure: a failing file removes everything this run stored, exit 1', async () => {
    const collection = await newCollection('cli-rollback');
    const root = await folder('rollback', [
      ['a.txt', makeText('ra')],
      ['b.txt', makeText('rb')],
      ['c.pdf', makeText('not a pdf')],
    ]);
    const run = await cli([
      'documents',
      'batch-upload',
      collection,
      root,
      '--concurrency',
      '1',
      '--rollback-on-failure',
      '--no-process',
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /rolled_back/);
    assert.match(run.stdout, /type_mismatch/);
    assert.match(run.stdout, /2 rolled back/);
    assert.deepEqual(await rows(collection), []);
  });

  test('single upload starting analysis, and errors with a non-zero exit', async () => {
    const collection = await newCollection('cli-single');
    const root = await folder('single', [['one.pdf', await makePdf('single')]]);
    const run = await cli(['documents', 'upload', 'cli-single', path.join(root, 'one.pdf')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /one\.pdf.*stored/);
    assert.match(run.stdout, new RegExp(`analysis task collection-analysis:${collection}:`));
    assert.deepEqual(await rows(collection), ['one.pdf']);

    const missing = await cli(['documents', 'upload', 'cli-single', path.join(root, 'nope.pdf')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing was sent.*nope\.pdf: does not exist/);

    const both = await cli([
      'documents',
      'batch-upload',
      'cli-single',
      root,
      '--continue-on-error',
      '--rollback-on-failure',
    ]);
    assert.equal(both.code, 2, 'a usage error');
    assert.match(both.stderr, /exclude each other/);

    const noCollection = await cli(['documents', 'batch-upload', 'no-such', root, '--no-process']);
    assert.equal(noCollection.code, 1);
    assert.match(noCollection.stdout, /not_found/);
  });
});
