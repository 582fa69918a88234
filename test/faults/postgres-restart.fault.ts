import { describe, test } from 'node:test';
import { postgresRestartScenario } from './postgres-restart.ts';
import { reportFigures } from '../support/faults.ts';

describe('PostgreSQL restarted twice in the middle of a 200-document analysis (PGlite, or a PostgreSQL server of our own)', () => {
  test('activities retry; the analysis completes, exactly once in effect', async () => {
    reportFigures('postgres-restart', await postgresRestartScenario({ documents: 200, restarts: 2, downMs: 3_000 }));
  });
});
