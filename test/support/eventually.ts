import assert from 'node:assert/strict';

/** Polls `probe` until `ok` holds (visibility and workflows settle asynchronously); fails naming `what`. */
export async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, attempts = 300): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what}: last seen ${JSON.stringify(last)}`);
}

/** Retries an assertion until it passes (e.g. cleanup that runs just after an answer), then rethrows its last failure. */
export async function eventuallyPasses(assertion: () => Promise<void> | void, attempts = 100, pauseMs = 50): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await assertion();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
