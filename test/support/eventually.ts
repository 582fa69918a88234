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
