import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load.ts';
import { createStorage } from '../../storage/index.ts';
import { LocalDirectoryStorage } from '../../storage/local-storage.ts';
import { S3DocumentStorage } from '../../storage/s3-storage.ts';

/** The default file with `extra` lines appended, as an operator's copy would be. */
const configFile = (extra: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fileintel-config-')), 'config.yaml');
  writeFileSync(file, `${readFileSync(DEFAULT_CONFIG_PATH, 'utf8')}\n${extra}\n`);
  return file;
};

describe('storage configuration', () => {
  test('local by default; s3 keys have their documented defaults', async () => {
    const config = loadConfig({});
    assert.deepEqual(
      [
        config.storage_backend,
        config.s3_endpoint,
        config.s3_region,
        config.s3_bucket,
        config.s3_force_path_style,
        config.s3_prefix,
      ],
      ['local', '', 'us-east-1', '', true, 'fileintel/'],
    );
    assert.ok((await createStorage(config)).storage instanceof LocalDirectoryStorage);
  });

  test('s3 without a bucket is refused naming s3_bucket; with one, the store names bucket and endpoint', async () => {
    assert.throws(
      () => loadConfig({ FILEINTEL_STORAGE_BACKEND: 's3' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /s3_bucket = "" \(from .*default\.yaml\): must be set when storage_backend is s3/);
        return true;
      },
    );
    const config = loadConfig({
      FILEINTEL_STORAGE_BACKEND: 's3',
      FILEINTEL_S3_BUCKET: 'docs',
      FILEINTEL_S3_ENDPOINT: 'http://127.0.0.1:9000',
    });
    const { storage } = await createStorage(config, {
      FILEINTEL_S3_ACCESS_KEY_ID: 'id',
      FILEINTEL_S3_SECRET_ACCESS_KEY: 'secret',
    });
    assert.ok(storage instanceof S3DocumentStorage);
    assert.equal(storage.description, "S3 bucket 'docs' at http://127.0.0.1:9000");
  });

  test('bad values name the key: backend, endpoint, prefix', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ FILEINTEL_STORAGE_BACKEND: 'ftp' }, /storage_backend = "ftp" \(from FILEINTEL_STORAGE_BACKEND\)/],
      [{ FILEINTEL_S3_ENDPOINT: 'minio:9000' }, /s3_endpoint = "minio:9000" \(from FILEINTEL_S3_ENDPOINT\)/],
      [{ FILEINTEL_S3_PREFIX: '/abs/' }, /s3_prefix = "\/abs\/" .*ending in "\/"/],
      [{ FILEINTEL_S3_PREFIX: 'no-slash' }, /s3_prefix = "no-slash"/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env), message, JSON.stringify(env));
  });

  test('secrets only from the environment: a config file holding them is refused, naming the variables to use', () => {
    const file = configFile('s3_access_key_id: AKIA0000\ns3_secret_access_key: shhh');
    assert.throws(
      () => loadConfig({ FILEINTEL_CONFIG: file }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /holds s3_access_key_id, s3_secret_access_key: secrets are read only from the environment/,
        );
        assert.match(error.message, /FILEINTEL_S3_ACCESS_KEY_ID, FILEINTEL_S3_SECRET_ACCESS_KEY/);
        assert.doesNotMatch(error.message, /AKIA0000|shhh/, 'the secret is not echoed');
        return true;
      },
    );
    // In the environment they are not config keys (no "unknown key" error).
    const config = loadConfig({ FILEINTEL_S3_ACCESS_KEY_ID: 'id', FILEINTEL_S3_SECRET_ACCESS_KEY: 'secret' });
    assert.equal(config.storage_backend, 'local');
  });

  test('one secret without the other is refused', async () => {
    const config = loadConfig({ FILEINTEL_STORAGE_BACKEND: 's3', FILEINTEL_S3_BUCKET: 'docs' });
    await assert.rejects(
      () => createStorage(config, { FILEINTEL_S3_ACCESS_KEY_ID: 'id' }),
      /set both FILEINTEL_S3_ACCESS_KEY_ID and FILEINTEL_S3_SECRET_ACCESS_KEY, or neither/,
    );
  });
});
