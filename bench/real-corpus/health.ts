// Samples GET /health while the corpus uploads and processes: the claim to
// check is "the API answering throughout", so every probe's latency is kept
// and the slow, failed and timed-out ones are counted.
import { createHistogram, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiHttp } from '../../api/client/http.ts';
import { networkReason } from '../../common/errors.ts';

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
  /**
   * Probes that were not healthy, consecutive ones with the same outcome as
   * one span (an API down for minutes is one line, not thousands).
   */
  problems: { at: string; from_s: number; to_s: number; probes: number; outcome: string; max_latency_ms: number }[];
  /** Seconds since the last answered probe when the summary was taken (0 if the last one answered). */
  unanswered_for_s: number;
}

const MAX_PROBLEM_SPANS_KEPT = 50;

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
    unanswered_for_s: 0,
  };
  const started = performance.now();
  let lastAnswered = started;
  let lastProbeOk = true;
  let running = true;
  const stopped = new AbortController();

  const note = (outcome: string, latency: number, at: number) => {
    const elapsed = round((at - started) / 1000);
    const last = summary.problems.at(-1);
    if (last && !lastProbeOk && last.outcome === outcome) {
      last.to_s = elapsed;
      last.probes += 1;
      last.max_latency_ms = Math.max(last.max_latency_ms, round(latency));
    } else if (summary.problems.length < MAX_PROBLEM_SPANS_KEPT) {
      summary.problems.push({
        at: new Date(performance.timeOrigin + at).toISOString(),
        from_s: elapsed,
        to_s: elapsed,
        probes: 1,
        outcome,
        max_latency_ms: round(latency),
      });
    }
    lastProbeOk = false;
  };

  const probeOnce = async () => {
    const at = performance.now();
    summary.probes += 1;
    try {
      const response = await fetch(`${http.baseUrl}/health`, {
        headers: http.headers(),
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      const body = await response.text();
      const latency = performance.now() - at;
      summary.answered += 1;
      lastAnswered = performance.now();
      histogram.record(Math.max(1, Math.round(latency * 1000)));
      if (latency > HEALTH_SLOW_MS) summary.over_200ms += 1;
      if (response.ok) {
        summary.healthy += 1;
        lastProbeOk = true;
      } else {
        summary.unhealthy += 1;
        note(`HTTP ${response.status}: ${errorMessage(body)}`, latency, at);
      }
    } catch (error) {
      const latency = performance.now() - at;
      if ((error as Error).name === 'TimeoutError') {
        summary.timed_out += 1;
        summary.over_200ms += 1;
        note(`no answer within ${HEALTH_TIMEOUT_MS} ms`, latency, at);
      } else {
        summary.unreachable += 1;
        note(`unreachable: ${networkReason(error)}`, latency, at);
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
    const latency =
      histogram.count > 0
        ? {
            p50: ms(histogram.percentile(50)),
            p99: ms(histogram.percentile(99)),
            max: ms(histogram.max),
            mean: ms(histogram.mean),
          }
        : null;
    return {
      ...summary,
      latency_ms: latency,
      problems: summary.problems.map((span) => ({ ...span })),
      unanswered_for_s: round((performance.now() - lastAnswered) / 1000),
    };
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

/** The envelope's error message (without its timestamp, so equal failures group into one span). */
function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // not JSON: the raw start of the body says more than nothing
  }
  return body.slice(0, 200);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
