import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { causes, innermostMessage, networkReason } from '../../common/errors.ts';

describe('the cause chain (common/errors.ts)', () => {
  test("a Temporal failure reads as the activity's own words", () => {
    const own = ApplicationFailure.nonRetryable(
      'extract: corrupt_file: the PDF has no xref table',
      'UnreadableDocument',
    );
    const activity = new ActivityFailure(
      'Activity task failed',
      'processDocument',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker',
      own,
    );
    assert.deepEqual(causes(activity), [activity, own]);
    assert.equal(innermostMessage(activity), 'extract: corrupt_file: the PDF has no xref table');
    const timeout = new TimeoutFailure('heartbeat timeout', { step: 'embeddings' }, TimeoutType.HEARTBEAT);
    const timedOut = new ActivityFailure(
      'Activity task timed out',
      'embed',
      '2',
      RetryState.TIMEOUT,
      'worker',
      timeout,
    );
    assert.ok(causes(timedOut).some((cause) => cause instanceof TimeoutFailure));
  });

  test('odd chains: none, a loop, a falsy cause, an empty message, a thrown string or nothing', () => {
    const alone = new Error('alone');
    assert.deepEqual(causes(alone), [alone]);
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    assert.deepEqual(causes(a), [a, b], 'a loop ends where it comes back');
    assert.equal(innermostMessage(new Error('outer', { cause: '' })), 'outer', 'an empty cause is no cause');
    assert.equal(
      innermostMessage(new Error('outer', { cause: new Error('') })),
      'Error: outer',
      'no words inside: the error as text',
    );
    assert.equal(innermostMessage('plain text thrown'), 'plain text thrown');
    assert.deepEqual(causes(undefined), []);
    assert.equal(innermostMessage(undefined), 'undefined');
    assert.equal(innermostMessage({ message: 42 }), '[object Object]');
  });

  test("a request's failure reads as the socket's code, else the innermost message", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    assert.equal(networkReason(new TypeError('fetch failed', { cause: refused })), 'ECONNREFUSED');
    assert.equal(
      networkReason(new TypeError('fetch failed', { cause: new Error('other side hung up') })),
      'other side hung up',
    );
    const numericCode = Object.assign(new Error('The operation was aborted due to timeout'), { code: 23 });
    assert.equal(networkReason(numericCode), 'The operation was aborted due to timeout');
  });
});
