import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load.ts';

const tempFile = (text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fileintel-config-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
};

describe('configuration', () => {
  test('the default file holds every limit the design names, with the agreed values', () => {
    const config = loadConfig({});
    assert.equal(config.max_upload_batch_size, 50);
    assert.equal(config.max_file_size_mb, 100);
    assert.equal(config.max_processing_batch_size, 20);
    assert.equal(config.max_cancel_batch_size, 100);
    assert.equal(config.max_concurrent_uploads, 10);
    for (const key of [
      'page_size',
      'max_concurrent_documents',
      'max_parallel_collections',
      'chunk_size',
      'chunk_overlap',
      'db_pool_size',
    ] as const) {
      assert.ok(config[key] > 0, key);
    }
    assert.equal(config.staging_ttl, 3_600_000, 'staging_ttl 1h in milliseconds');
  });

  test('FILEINTEL_* variables override keys, parsed as YAML scalars and lists', () => {
    const config = loadConfig({
      FILEINTEL_MAX_UPLOAD_BATCH_SIZE: '7',
      FILEINTEL_STAGING_TTL: '30m',
      FILEINTEL_CALLBACK_ALLOWED_HOSTS: '[hooks.example.com, 127.0.0.1]',
      FILEINTEL_API_KEY: 'not-a-config-key',
    });
    assert.equal(config.max_upload_batch_size, 7);
    assert.equal(config.staging_ttl, 30 * 60_000);
    assert.deepEqual(config.callback_allowed_hosts, ['hooks.example.com', '127.0.0.1']);
  });

  test('FILEINTEL_CONFIG names another file', () => {
    // The default file as written (a loaded config holds durations in milliseconds, which a file must not).
    const base = YAML.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
    const file = tempFile(
      Object.entries({ ...base, staging_ttl: '2h', reconcile_interval: '5m' })
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n'),
    );
    const config = loadConfig({ FILEINTEL_CONFIG: file, FILEINTEL_PAGE_SIZE: '3' });
    assert.equal(config.staging_ttl, 7_200_000);
    assert.equal(config.page_size, 3);
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    [
      'a negative limit',
      { FILEINTEL_MAX_UPLOAD_BATCH_SIZE: '-1' },
      /max_upload_batch_size = -1 \(from FILEINTEL_MAX_UPLOAD_BATCH_SIZE\): .*>=1/,
    ],
    ['a word where a number belongs', { FILEINTEL_DB_POOL_SIZE: 'many' }, /db_pool_size = "many" .*expected number/],
    ['a fraction', { FILEINTEL_PAGE_SIZE: '2.5' }, /page_size = 2.5 .*int/],
    ['a duration without a unit', { FILEINTEL_STAGING_TTL: '60' }, /staging_ttl = 60 .*/],
    [
      'overlap not below chunk size',
      { FILEINTEL_CHUNK_SIZE: '100', FILEINTEL_CHUNK_OVERLAP: '100' },
      /chunk_overlap = 100 .*smaller than chunk_size \(100\)/,
    ],
    [
      'more activity slots than connections',
      { FILEINTEL_DB_POOL_SIZE: '4', FILEINTEL_MAX_CONCURRENT_ACTIVITIES: '8' },
      /max_concurrent_activities = 8 .*db_pool_size \(4\)/,
    ],
    ['an unknown key', { FILEINTEL_MAX_UPLOADS: '3' }, /unknown key\(s\) max_uploads/],
  ];
  for (const [what, env, message] of refusals) {
    test(`refuses ${what}, naming the key, the value and what is allowed`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  test('refuses a missing or malformed file with its path', () => {
    assert.throws(
      () => loadConfig({ FILEINTEL_CONFIG: '/nonexistent/fileintel.yaml' }),
      /cannot read config file \/nonexistent\/fileintel.yaml/,
    );
    assert.throws(() => loadConfig({ FILEINTEL_CONFIG: tempFile('- just\n- a list\n') }), /must hold a mapping/);
    assert.throws(() => loadConfig({ FILEINTEL_CONFIG: tempFile('a: [unclosed\n') }), /not valid YAML/);
  });
});
