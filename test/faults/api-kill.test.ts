import { after, before, describe, test } from 'node:test';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { apiKillScenario } from './api-kill.ts';
import { reportFigures } from '../support/faults.ts';

// Quick version of api-kill.fault.ts for the default suite: 10 files, one kill just as the body is sent.
describe('API SIGKILLed mid-upload (quick), then reconciliation', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ api: false, config: { staging_ttl: '1s' } });
  });
  after(() => stack?.teardown());

  test('no staged file, no row without a file, no file without a row', async () => {
    reportFigures('api-kill-quick', await apiKillScenario(stack, { files: 10, fileKb: 64, moments: ['body-sent'] }));
  });
});
