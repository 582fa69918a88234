import assert from 'node:assert/strict';

export interface Patience {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 100 ms). */
  everyMs?: number;
}

/**
 * Polls `probe` until `ok` holds and returns the value that passed: visibility,
 * workflows, cleanup after an answer and restarted servers all settle
 * asynchronously. A probe that throws counts as "not yet" (a server still
 * starting, an assertion inside the probe). When time is up it fails naming
 * `what` with the last value seen, or rethrows the probe's last error.
 * An assertion alone is a probe with `ok` = `() => true`.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  ok: (value: T) => boolean,
  what: string,
  { timeoutMs = 60_000, everyMs = 100 }: Patience = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  if (last && 'error' in last) throw last.error;
  assert.fail(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(last?.value)}`);
}
