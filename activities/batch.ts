import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { refuseCallbackUrl } from '../config/callback-policy.ts';
import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import { markCollectionsCancelled } from '../db/queries/collections.ts';

export interface BatchActivityDeps {
  config: Config;
  sql: Sql;
}

const CALLBACK_TIMEOUT_MS = 10_000;

export function createBatchActivities({ config, sql }: BatchActivityDeps) {
  return {
    /** After a batch cancel: whatever is still marked processing in these collections ends cancelled. */
    async markCollectionsCancelled(input: { collectionIds: string[] }): Promise<number> {
      if (input.collectionIds.length === 0) return 0;
      return markCollectionsCancelled(sql, input.collectionIds);
    },

    /** POSTs the batch result; retried by Temporal on network errors and 5xx/429. */
    async postBatchCallback(input: { url: string; body: unknown }): Promise<number> {
      // Checked again here: config may have changed since the request was accepted.
      const refused = refuseCallbackUrl(input.url, config.callback_allowed_hosts);
      if (refused) throw ApplicationFailure.nonRetryable(`callback refused: ${refused}`, 'CallbackRefused');
      heartbeat();
      const response = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'FileIntel-batch-callback' },
        body: JSON.stringify(input.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
      if (response.ok) return response.status;
      if (response.status >= 500 || response.status === 429)
        throw new Error(`callback answered HTTP ${response.status}`);
      throw ApplicationFailure.nonRetryable(`callback answered HTTP ${response.status}`, 'CallbackRefused');
    },
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
