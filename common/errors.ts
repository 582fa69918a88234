/*
 * Walking an error's cause chain, for every layer: workflows (this file is in
 * their bundle, so it imports nothing from Node), activities, the API and the
 * CLI. Temporal nests the reason of a failure in `cause` (a workflow failure
 * wraps an activity failure wraps the activity's own error), and fetch puts
 * the socket error in `cause` of its "fetch failed".
 */

/** Deeper than any real chain; stops a chain that loops back on itself. */
const MAX_DEPTH = 100;

/** The error, then what caused it, then what caused that, outermost first. */
export function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < MAX_DEPTH;) {
    if (chain.includes(current)) break;
    chain.push(current);
    // A falsy cause ('' or 0) ends the chain, as no cause does.
    current = (typeof current === 'object' && (current as { cause?: unknown }).cause) || undefined;
  }
  return chain;
}

/** The innermost error's message (an activity's own words, not "Activity task failed"); the error as text when it has none. */
export function innermostMessage(error: unknown): string {
  const innermost = causes(error).at(-1) as { message?: unknown } | undefined;
  return (typeof innermost?.message === 'string' && innermost.message) || String(error);
}

/** Why a request got no answer: the innermost error code in the chain (ECONNREFUSED, ECONNRESET…), else the innermost message. */
export function networkReason(error: unknown): string {
  const coded = causes(error).findLast((cause) => typeof (cause as { code?: unknown }).code === 'string');
  return coded ? (coded as { code: string }).code : innermostMessage(error);
}
