/**
 * Where each API version lives, the one place these prefixes are written: the
 * app mounts them, the envelopes' OpenAPI entries carry them, the server and
 * the typed client build their URLs from them.
 */

/** The native API (v3): our CLI and the typed client use it. */
export const API_V3_PREFIX = '/api/v3';
/** The original FileIntel contract (v2), so its CLI and scripts keep working. */
export const API_V2_PREFIX = '/api/v2';
