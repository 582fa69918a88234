// The deployment files read as a person would run them (the container engine
// cannot run here; CI also validates docker-compose.yml against the
// compose-spec schema and lints the Dockerfile, see .ci/run).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { FAIRNESS_DYNAMIC_CONFIG } from '../../main/temporal-dev-server.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  user?: string;
  restart?: string;
  stop_grace_period?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const ONE_SHOTS = ['temporal-schema', 'temporal-namespace', 'object-store-init'];

test('the compose Temporal server gets the dev server’s fairness config, from the file it mounts', () => {
  const mounted = services.temporal.volumes?.find((volume) =>
    volume.startsWith('./docker/temporal-dynamic-config.yaml:'),
  );
  assert.ok(mounted, 'the dynamic config file is mounted');
  const target = mounted.split(':')[1];
  assert.equal(`/etc/temporal/${services.temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}`, target);
  const file = parse(read('docker/temporal-dynamic-config.yaml')) as Record<string, { value: unknown }[]>;
  const values = Object.fromEntries(Object.entries(file).map(([key, entries]) => [key, String(entries[0].value)]));
  assert.deepEqual(values, FAIRNESS_DYNAMIC_CONFIG);
  assert.equal(values['matching.enableFairness'], 'true');
  const [, tag] = services.temporal.image!.split(':');
  const [major, minor] = tag.split('.').map(Number);
  assert.ok(major > 1 || minor >= 29, `fairness needs server 1.29+, compose runs ${tag}`);
});

test('every image is pinned to a version; admin-tools matches the server', () => {
  for (const [name, service] of Object.entries(services)) {
    if (service.build) continue;
    assert.match(service.image ?? '', /^[\w./-]+:\d[\w.-]*$/, `${name}: ${service.image}`);
  }
  const serverTag = services.temporal.image!.split(':')[1];
  for (const name of ['temporal-schema', 'temporal-namespace']) {
    assert.equal(services[name].image, `temporalio/admin-tools:${serverTag}`);
  }
});

test('start order: each service waits for what it needs; long-running ones restart, one-shots do not loop', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      assert.ok(services[dependency], `${name} depends on ${dependency}`);
      const expected = ONE_SHOTS.includes(dependency) ? 'service_completed_successfully' : 'service_healthy';
      assert.equal(condition, expected, `${name} → ${dependency}`);
      if (expected === 'service_healthy')
        assert.ok(services[dependency].healthcheck, `${dependency} has a healthcheck`);
    }
    if (ONE_SHOTS.includes(name)) assert.match(service.restart ?? '', /^on-failure/, name);
    else assert.equal(service.restart, 'unless-stopped', name);
  }
  for (const app of ['api', 'worker', 'worker-documents']) {
    assert.deepEqual(Object.keys(services[app].depends_on ?? {}).sort(), [
      'object-store',
      'postgres',
      'temporal-namespace',
    ]);
  }
});

test('one worker per task queue, the API with a required key, and drains longer than the worker’s', () => {
  assert.deepEqual(services.worker.command?.slice(-2), ['--queues', 'workflows']);
  assert.deepEqual(services['worker-documents'].command?.slice(-2), ['--queues', 'documents']);
  assert.match(String(services.api.environment?.FILEINTEL_API_KEY), /^\$\{FILEINTEL_API_KEY:\?/);
  const drainSeconds = 10; // shutdownGraceTime in worker/worker.ts
  assert.match(read('worker/worker.ts'), new RegExp(`shutdownGraceTime: '${drainSeconds} seconds'`));
  for (const app of ['api', 'worker', 'worker-documents']) {
    const grace = Number(/^(\d+)s$/.exec(services[app].stop_grace_period ?? '')?.[1]);
    assert.ok(grace > drainSeconds, `${app}: stop_grace_period ${services[app].stop_grace_period}`);
  }
  // The compose namespace is the one the workers use.
  assert.equal(services['temporal-namespace'].environment?.TEMPORAL_NAMESPACE, loadConfig({}).temporal_namespace);
});

test('no service runs as root but the volume-preparing one-shot; the image runs as node', () => {
  for (const [name, service] of Object.entries(services)) {
    if (name === 'object-store-init') assert.equal(service.user, '0:0');
    else if (name !== 'postgres' && name !== 'temporal-ui' && !service.build)
      assert.ok(service.user && !service.user.startsWith('0'), name);
  }
  assert.match(read('Dockerfile'), /^USER 1000:1000$/m);
  assert.match(read('Dockerfile'), /^FROM node:(22|24)-bookworm-slim/m);
});

test('every secret comes from .env (required), and .env.example names each one', () => {
  const text = read('docker-compose.yml');
  const required = new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]));
  assert.deepEqual([...required].sort(), [
    'FILEINTEL_API_KEY',
    'POSTGRES_PASSWORD',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
  ]);
  assert.doesNotMatch(text, /\$\{\w+(:-|-)/, 'no secret has a default');
  const example = read('.env.example');
  for (const name of required) assert.match(example, new RegExp(`^${name}=.+$`, 'm'), name);
  assert.match(read('.dockerignore'), /^\.env$/m);
});

test('the environment compose gives each FileIntel service is a valid config (the secrets as .env.example has them)', () => {
  const example = Object.fromEntries(
    read('.env.example')
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const interpolate = (value: string | number) =>
    String(value).replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => example[name]);
  for (const name of ['api', 'worker', 'worker-documents']) {
    const env = Object.fromEntries(
      Object.entries(services[name].environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
    );
    const queues = services[name].command?.includes('--queues')
      ? { FILEINTEL_WORKER_QUEUES: services[name].command![services[name].command!.indexOf('--queues') + 1] }
      : {};
    const config = loadConfig({ ...env, ...queues });
    assert.equal(config.storage_backend, 's3', name);
    assert.equal(config.s3_endpoint, 'http://object-store:9000', name);
    assert.equal(config.s3_bucket, 'fileintel', name);
    // The bucket and key prefix the one-shot makes, and the bucket the store's healthcheck lists.
    const store = services['object-store-init'].environment ?? {};
    assert.equal(store.S3_BUCKET, config.s3_bucket, name);
    assert.equal(store.S3_PREFIX, config.s3_prefix, name);
    assert.equal(services['object-store'].healthcheck?.test.at(-1), `self:${config.s3_bucket}`);
    assert.equal(env.DATABASE_URL, `postgres://fileintel:${example.POSTGRES_PASSWORD}@postgres:5432/fileintel`);
    assert.equal(env.FILEINTEL_S3_ACCESS_KEY_ID, example.S3_ACCESS_KEY_ID);
    if (name === 'api') {
      assert.equal(config.api_host, '0.0.0.0');
      assert.equal(env.FILEINTEL_API_KEY, example.FILEINTEL_API_KEY);
    } else assert.deepEqual(config.worker_queues, [name === 'worker' ? 'workflows' : 'documents']);
  }
});
