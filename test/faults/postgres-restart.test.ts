import { describe, test } from 'node:test';
import { postgresRestartScenario } from './postgres-restart.ts';
import { reportFigures } from '../support/faults.ts';

// Quick version of postgres-restart.fault.ts for the default suite: 30 documents, one restart.
describe('PostgreSQL restarted mid-analysis (quick)', () => {
  test('activities retry; the analysis completes, exactly once in effect', async () => {
    reportFigures(
      'postgres-restart-quick',
      await postgresRestartScenario({ documents: 30, restarts: 1, downMs: 2_000 }),
    );
  });
});
