import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.ts';

/** How often a registration that lost a race with another replica is looked at again before giving up. */
const REGISTRATION_ATTEMPTS = 5;

/**
 * Registers FileIntel's search attributes (SEARCH_ATTRIBUTE_KEYS) on the namespace when they are
 * missing, so a fresh cluster (docker-compose, production) needs no manual
 * step. The dev server gets them from its start flags already.
 *
 * Several replicas may start at once (`docker compose up --scale worker=3`):
 * each lists, finds the same keys missing, and adds them. Whatever a losing
 * replica is told (AlreadyExists from servers that answer so, or a namespace
 * update that lost to the other one), the list is read again: when every key is
 * there, registration succeeded, whoever did it; keys still missing are added
 * again; only an error that persists (REGISTRATION_ATTEMPTS times) is thrown.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const operator = client.connection.operatorService;
  let lastError: unknown;
  for (let attempt = 1; attempt <= REGISTRATION_ATTEMPTS; attempt++) {
    const { customAttributes } = await operator.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_KEYS.filter((key) => !(key.name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    try {
      await operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
        ),
      });
      return;
    } catch (error) {
      lastError = error;
      // A racing replica's registration may land a moment later: look again after a short pause.
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  if (SEARCH_ATTRIBUTE_KEYS.every((key) => key.name in (customAttributes ?? {}))) return;
  throw lastError;
}
