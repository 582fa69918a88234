import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { startApiChild } from '../faults/api-kill.ts';
import {
  configEnv,
  databaseUrlOf,
  forkChild,
  reportFigures,
  seedDocuments,
  sleep,
  stopChild,
  type Child,
} from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const REQUESTS = 100;
const POOL = 10;

/**
 * Each request names its own collection and the next one, so two batches
 * race for every collection but the first: one analysis wins, the other
 * item fails with the reason (already running, or nothing left to process).
 *
 * 100 batch-process requests at once against the API and worker in their own
 * processes, each with its own pool of `db_pool_size` connections, tagged by
 * application_name. pg_stat_activity is sampled every 25 ms: neither process
 * may ever hold more than its pool, and no answer or log says "too many
 * connections". Needs a real PostgreSQL (DATABASE_URL); skipped on PGlite.
 */
describe(
  `${REQUESTS} batch-process requests at once`,
  { skip: process.env.DATABASE_URL ? false : 'needs DATABASE_URL (pg_stat_activity)' },
  () => {
    let stack: TestStack;
    let api: Child;
    let worker: Child;
    const tag = `fileintel-load-${process.pid}`;
    before(async () => {
      stack = await startTestStack({
        worker: false,
        api: false,
        config: { db_pool_size: POOL, max_concurrent_activities: 8, max_parallel_collections: 3 },
      });
      const withName = (name: string) => {
        const url = new URL(databaseUrlOf(stack.sql));
        url.searchParams.set('application_name', `${tag}-${name}`);
        return url.toString();
      };
      api = await startApiChild(stack, { DATABASE_URL: withName('api') });
      worker = await forkChild('worker-child.ts', {
        DATABASE_URL: withName('worker'),
        TEMPORAL_ADDRESS: stack.temporalAddress,
        ...configEnv(stack.config),
      });
    });
    after(async () => {
      await stopChild(api, 5_000);
      await stopChild(worker);
      await stack?.teardown();
    });

    test('no "too many connections"; peak connections per process never above its pool', async () => {
      const url = api.ready.url as string;
      const ids: string[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const [{ id }] = await stack.sql`INSERT INTO collections (name) VALUES (${`flood-${i}`}) RETURNING id`;
        await seedDocuments(stack.sql, stack.storage, id, 2);
        ids.push(id);
      }
      const monitor = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      const peak: Record<string, number> = { api: 0, worker: 0 };
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const rows = await monitor<{ application_name: string; n: number }[]>`
          SELECT application_name, count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE ${tag + '-%'} GROUP BY 1`;
          for (const row of rows) {
            const name = row.application_name.slice(tag.length + 1);
            peak[name] = Math.max(peak[name] ?? 0, row.n);
          }
          samples += 1;
          await sleep(25);
        }
      })();
      try {
        const started = Date.now();
        const answers = await Promise.all(
          ids.map((id, i) =>
            request('POST', `${url}/collections/batch-process`, {
              tasks: [{ collection_id: id }, ...(i + 1 < ids.length ? [{ collection_id: ids[i + 1] }] : [])],
              workflow_type: i % 2 ? 'sequential' : 'parallel',
            }),
          ),
        );
        const answerSeconds = (Date.now() - started) / 1000;
        const statuses: Record<number, number> = {};
        for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        assert.deepEqual(statuses, { 202: REQUESTS }, JSON.stringify(answers.find((a) => a.status !== 202)?.body));
        const batchIds = answers.map((a) => a.body.data.batch_id as string);
        const finals = await eventually(
          () => Promise.all(batchIds.map((id) => request('GET', `${url}/batches/${id}`))),
          (all) => all.every((res) => res.status === 200 && res.body.data.status !== 'RUNNING'),
          'every batch ends',
          { timeoutMs: 15 * 60_000, everyMs: 2_000 },
        );
        const seconds = (Date.now() - started) / 1000;
        const batchStatuses: Record<string, number> = {};
        for (const res of finals) batchStatuses[res.body.data.status] = (batchStatuses[res.body.data.status] ?? 0) + 1;
        const itemOutcomes: Record<string, number> = {};
        const failureReasons: Record<string, number> = {};
        for (const res of finals) {
          for (const c of res.body.data.collections as { status: string; reason?: string }[]) {
            itemOutcomes[c.status] = (itemOutcomes[c.status] ?? 0) + 1;
            if (c.status !== 'completed') {
              const reason = (c.reason ?? 'none')
                .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
                .replace(/:\d+\b/g, ':<n>')
                .slice(0, 120);
              failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
            }
          }
        }
        const [{ n: processed }] = await stack.sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM documents WHERE status = 'processed'`;
        const logs =
          api.stderr() + worker.stderr() + JSON.stringify(answers) + JSON.stringify(finals.map((f) => f.body));
        const tooMany = (logs.match(/too many (clients|connections)/gi) ?? []).length;
        const figures = {
          requests: REQUESTS,
          answers: statuses,
          answer_seconds: answerSeconds,
          all_done_seconds: seconds,
          batches: batchStatuses,
          collection_items: itemOutcomes,
          item_failure_reasons: failureReasons,
          documents_processed: processed,
          too_many_connections: tooMany,
          peak_connections: peak,
          pools: { api: POOL, worker: POOL },
          samples,
        };
        reportFigures('load-batch-flood', figures);
        assert.equal(tooMany, 0, 'no "too many connections" anywhere');
        assert.ok(peak.api <= POOL && peak.worker <= POOL, `peak connections ${JSON.stringify(peak)} within the pools`);
        assert.ok(peak.api > 0 && peak.worker > 0, 'the sampler saw both processes');
        assert.equal(processed, REQUESTS * 2, 'every document processed');
      } finally {
        sampling = false;
        await sampler;
        await monitor.end();
      }
    });
  },
);
