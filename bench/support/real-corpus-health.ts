// Samples GET /health while the corpus uploads and processes: the claim to
// check is "the API answering throughout", so every probe's latency is kept
// and the slow, failed and timed-out ones are counted.
import { createHistogram, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiHttp } from '../../api/client/http.ts';

export const HEALTH_INTERVAL_MS = 500;
export const HEALTH_TIMEOUT_MS = 30_000;
/** A probe slower than this counts as slow (the API should answer health checks at once). */
export const HEALTH_SLOW_MS = 200;

export interface HealthSummary {
  interval_ms: number;
  timeout_ms: number;
  probes: number;
  /** Answered with any HTTP status within the timeout. */
  answered: number;
  /** Answered 200 with status ok. */
  healthy: number;
  /** Answered, but not 200 (503: database or Temporal unavailable). */
  unhealthy: number;
  timed_out: number;
  /** No answer at all: refused, reset. */
  unreachable: number;
  over_200ms: number;
  /** Latency of answered probes, ms. */
  latency_ms: { p50: number; p99: number; max: number; mean: number } | null;
  /** The first few probes that were not healthy, to see when and why. */
  problems: { at: string; elapsed_s: number; outcome: string; latency_ms: number }[];
}

const MAX_PROBLEMS_KEPT = 20;

/**
 * Starts probing at once; `stop()` ends the loop after the probe in flight and
 * returns the summary. Probes run one after the other, each starting
 * HEALTH_INTERVAL_MS after the previous one started (or at once if it took
 * longer), so a stalled API is not flooded with overlapping probes.
 */
export function startHealthProbe(http: ApiHttp) {
  const histogram = createHistogram();
  const summary: HealthSummary = {
    interval_ms: HEALTH_INTERVAL_MS,
    timeout_ms: HEALTH_TIMEOUT_MS,
    probes: 0,
    answered: 0,
    healthy: 0,
    unhealthy: 0,
    timed_out: 0,
    unreachable: 0,
    over_200ms: 0,
    latency_ms: null,
    problems: [],
  };
  const started = performance.now();
  let running = true;
  const stopped = new AbortController();

  const note = (outcome: string, latency: number, at: number) => {
    if (summary.problems.length < MAX_PROBLEMS_KEPT) {
      summary.problems.push({ at: new Date(performance.timeOrigin + at).toISOString(), elapsed_s: round((at - started) / 1000), outcome, latency_ms: round(latency) });
    }
  };

  const probeOnce = async () => {
    const at = performance.now();
    summary.probes += 1;
    try {
      const response = await fetch(`${http.baseUrl}/health`, { headers: http.headers(), signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      const body = await response.text();
      const latency = performance.now() - at;
      summary.answered += 1;
      histogram.record(Math.max(1, Math.round(latency * 1000)));
      if (latency > HEALTH_SLOW_MS) summary.over_200ms += 1;
      if (response.ok) summary.healthy += 1;
      else {
        summary.unhealthy += 1;
        note(`HTTP ${response.status}: ${body.slice(0, 200)}`, latency, at);
      }
    } catch (error) {
      const latency = performance.now() - at;
      if ((error as Error).name === 'TimeoutError') {
        summary.timed_out += 1;
        summary.over_200ms += 1;
        note(`no answer within ${HEALTH_TIMEOUT_MS} ms`, latency, at);
      } else {
        summary.unreachable += 1;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        note(`unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`, latency, at);
      }
    }
    return at;
  };

  const loop = (async () => {
    while (running) {
      const at = await probeOnce();
      const wait = HEALTH_INTERVAL_MS - (performance.now() - at);
      if (running && wait > 0) await sleep(wait, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();

  /** The summary so far (latency percentiles included); the probe keeps running. */
  const snapshot = (): HealthSummary => {
    const ms = (micros: number) => round(micros / 1000);
    const latency = histogram.count > 0 ? { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) } : null;
    return { ...summary, latency_ms: latency, problems: [...summary.problems] };
  };

  return {
    snapshot,
    async stop(): Promise<HealthSummary> {
      running = false;
      stopped.abort();
      await loop;
      return snapshot();
    },
  };
}

export type HealthProbe = ReturnType<typeof startHealthProbe>;

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
