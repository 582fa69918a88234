import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileIntelClient } from '../../api/client/index.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const DOCUMENTS: Record<string, string> = {
  'chevaux.txt':
    "Les chevaux de la ferme mangent de l'avoine et du foin. Pendant l'été, les chevaux restent dans les prés " +
    'près de la rivière. Le palefrenier nettoie les écuries chaque matin et prépare les selles pour la promenade.',
  'koshki.txt':
    'Кошки любят спать на тёплых подоконниках. Зимой кошки редко выходят из дома, а летом они охотятся ' +
    'на мышей в саду. Хозяйка кормит кошек рыбой и молоком каждый вечер.',
  'daemon.txt':
    'The daemon refuses to start when its port is already taken by another service. Check the logs, ' +
    'stop the other service, and start the daemon again; its configuration lives in the system directory.',
};

describe('search through the real pipeline: upload, process, POST /collections/{c}/search, the CLI', () => {
  let stack: TestStack;
  let client: FileIntelClient;
  let dir: string;
  const ids: Record<string, string> = {};
  let searchUrl: string;

  before(async () => {
    stack = await startTestStack();
    client = new FileIntelClient({ baseUrl: stack.apiUrl });
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-search-'));
    const paths = await Promise.all(
      Object.entries(DOCUMENTS).map(async ([name, text]) => {
        await writeFile(path.join(dir, name), text);
        return path.join(dir, name);
      }),
    );
    await client.collections.create('languages');
    await client.collections.create('no-vectors');
    await client.uploads.uploadDocumentsBatch('languages', paths, { process: {} });
    await client.uploads.uploadDocumentsBatch('no-vectors', [paths[2]], { process: { generate_embeddings: false } });
    for (const name of ['languages', 'no-vectors']) {
      await eventually(
        () => client.collections.get(name),
        (c) => c.status === 'completed',
        `collection ${name} processed`,
        { timeoutMs: 120_000 },
      );
    }
    for (const document of (await client.collections.get('languages')).documents)
      ids[document.original_filename] = document.id;
    searchUrl = `${stack.apiUrl}/collections/languages/search`;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await stack?.teardown();
  });

  test('the metadata step set each document’s text-search configuration from its detected language', async () => {
    const rows = await stack.sql<{ original_filename: string; language: string; config: string }[]>`
      SELECT original_filename, metadata->'analysis'->>'language' AS language, text_search_config::text AS config
      FROM documents ORDER BY original_filename`;
    const byName = Object.fromEntries(rows.map((row) => [row.original_filename, [row.language, row.config]]));
    assert.deepEqual(byName['chevaux.txt'], ['fra', 'french']);
    assert.deepEqual(byName['koshki.txt'], ['rus', 'russian']);
  });

  test('a French and a Russian document are found in their own language by inflected forms', async () => {
    const french = await client.search('languages', 'cheval', { mode: 'text' });
    assert.deepEqual(
      french.hits.map((hit) => hit.document_id),
      [ids['chevaux.txt']],
    );
    assert.match(french.hits[0].snippet, /«chevaux»/);
    const russian = await client.search('languages', 'кошка рыба', { mode: 'text' });
    assert.deepEqual(
      russian.hits.map((hit) => hit.document_id),
      [ids['koshki.txt']],
    );
    assert.match(russian.hits[0].snippet, /«рыбой»/);
  });

  test('hybrid (the default) answers ranked chunks with every field, vectors by pgvector or exact cosine', async () => {
    const res = await request('POST', searchUrl, { query: 'daemon port taken', k: 2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const answer = res.body.data;
    assert.equal(answer.mode, 'hybrid');
    assert.ok(['pgvector_hnsw', 'exact_cosine'].includes(answer.vector_search));
    assert.equal(answer.hits.length, 2);
    const [top] = answer.hits;
    assert.equal(top.document_id, ids['daemon.txt']);
    assert.equal(top.document_name, 'daemon.txt');
    assert.equal(top.ordinal, 0);
    assert.deepEqual(top.heading_path, [], 'plain text: under no heading');
    assert.ok(top.scores.text > 0 && top.scores.vector > 0 && top.scores.fused > 0);
    const vector = await client.search('languages', 'daemon port taken', { mode: 'vector', k: 1 });
    assert.equal(vector.hits[0].document_id, ids['daemon.txt']);
    const language = await client.search('languages', 'daemon', { filters: { metadata: { language: 'rus' } } });
    assert.ok(language.hits.every((hit) => hit.document_id === ids['koshki.txt']));
  });

  test('refusals: unknown collection 404, empty query and bad fields 400, vectors of a collection without any 422', async () => {
    const refused = async (url: string, body: unknown, status: number, code: string) => {
      const res = await request('POST', url, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.success, false);
      assert.equal(res.body.error.code, code);
      return res.body.error;
    };
    await refused(`${stack.apiUrl}/collections/nope/search`, { query: 'x' }, 404, 'not_found');
    await refused(searchUrl, { query: '  ' }, 400, 'empty_query');
    await refused(searchUrl, {}, 400, 'validation_error');
    await refused(searchUrl, { query: 'x', mode: 'fuzzy' }, 400, 'validation_error');
    await refused(searchUrl, { query: 'x', extra: 1 }, 400, 'validation_error');
    await refused(searchUrl, { query: 'x', filters: { document_ids: ['not-a-uuid'] } }, 400, 'validation_error');
    const tooMany = await refused(searchUrl, { query: 'x', k: 101 }, 400, 'limit_exceeded');
    assert.deepEqual(tooMany.details, { limit: 'search_max_k', allowed: 100, actual: 101 });
    await refused(searchUrl, { query: 'x', filters: { page_from: 4, page_to: 1 } }, 400, 'bad_page_range');
    const missing = '00000000-0000-4000-8000-000000000000';
    await refused(searchUrl, { query: 'x', filters: { document_ids: [missing] } }, 404, 'not_found');
    const plain = `${stack.apiUrl}/collections/no-vectors/search`;
    const noVectors = await refused(plain, { query: 'daemon', mode: 'vector' }, 422, 'no_embeddings');
    assert.match(noVectors.message, /no embeddings/);
    const hybrid = await request('POST', plain, { query: 'daemon' });
    assert.equal(hybrid.body.data.mode, 'text');
    assert.equal(hybrid.body.data.vector_search, 'none');
    assert.equal(hybrid.body.data.hits.length, 1);
  });

  test('fileintel search: a readable table, --json for scripts, usage errors exit 2', async () => {
    const table = await runCli(stack.apiUrl, ['search', 'languages', 'daemon port', '-k', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /daemon\.txt/);
    assert.match(table.stdout, /«daemon»/);
    assert.match(table.stdout, /2 hit\(s\), hybrid, vectors by (pgvector hnsw|exact cosine)/);
    const json = await runCli(stack.apiUrl, ['search', 'languages', 'cheval', '--mode', 'text', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).hits[0].document_name, 'chevaux.txt');
    const usage = await runCli(stack.apiUrl, ['search', 'languages', 'x', '--pages', 'many']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--pages must be a page or a range/);
    const missing = await runCli(stack.apiUrl, ['search', 'nope', 'x']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /collection 'nope' not found \(not_found, HTTP 404\)/);
  });
});
