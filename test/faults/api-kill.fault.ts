import { after, before, describe, test } from 'node:test';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { apiKillScenario } from './api-kill.ts';
import { reportFigures } from '../support/faults.ts';

describe('API SIGKILLed mid 50-file upload, then reconciliation', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ api: false, config: { staging_ttl: '1s' } });
  });
  after(() => stack?.teardown());

  test('no staged file, no row without a file, no file without a row; a retry stores each file once', async () => {
    const figures = await apiKillScenario(stack, {
      files: 50,
      fileKb: 256,
      moments: ['mid-body', 'body-sent', 'body-sent+50ms', 'mid-commit', 'mid-commit', 'mid-commit'],
    });
    reportFigures('api-kill', figures);
  });
});
