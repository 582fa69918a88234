import { describe, test } from 'node:test';
import { temporalRestartScenario } from './temporal-restart.ts';
import { reportFigures } from '../support/faults.ts';

describe('Temporal dev server stopped for 20 s during a batch, started again with its SQLite file', () => {
  test('the batch completes; every document processed exactly once in effect', async () => {
    reportFigures(
      'temporal-restart',
      await temporalRestartScenario({ collections: 3, documentsEach: 40, downMs: 20_000 }),
    );
  });
});
