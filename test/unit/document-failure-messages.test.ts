import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { processFailureOf } from '../../workflows/document-processing.ts';

/** processDocument's failure as the workflow receives it: an ActivityFailure around the attempt's own failure. */
const activityFailure = (cause: Error) =>
  new ActivityFailure(
    'Activity task failed',
    'processDocument',
    '1',
    RetryState.MAXIMUM_ATTEMPTS_REACHED,
    'worker',
    cause,
  );

describe("a document's failure says what happened, in words a user understands", () => {
  test('a heartbeat timeout names the step it was in, how long it made no progress, and its last progress', () => {
    const timeout = new TimeoutFailure(
      'activity Heartbeat timeout',
      { step: 'extract', progress: { range: 12, ranges: 16, first_page: 1101 } },
      TimeoutType.HEARTBEAT,
    );
    assert.equal(
      processFailureOf(activityFailure(timeout)),
      'extract: timeout: extract made no progress for 60 s (last progress: {"range":12,"ranges":16,"first_page":1101})',
    );
  });

  test('a timeout before the first heartbeat is taken as extraction, with no progress to show', () => {
    const timeout = new TimeoutFailure('activity Heartbeat timeout', undefined, TimeoutType.HEARTBEAT);
    assert.equal(processFailureOf(activityFailure(timeout)), 'extract: timeout: extract made no progress for 60 s');
  });

  test("a step's own failure keeps its words: unreadable file, refused text", () => {
    for (const message of [
      'extract: corrupt_file: the PDF cannot be parsed: Invalid PDF structure.',
      "graph: the database refused the document's text and would refuse it again (22P05): unsupported Unicode escape sequence",
    ]) {
      assert.equal(
        processFailureOf(activityFailure(ApplicationFailure.nonRetryable(message, 'UnreadableDocument'))),
        message,
      );
    }
  });

  test('a start-to-close timeout is not called "no progress": it says what the server said', () => {
    const timeout = new TimeoutFailure(
      'activity StartToClose timeout',
      { step: 'graph', progress: { mentions: 40 } },
      TimeoutType.START_TO_CLOSE,
    );
    assert.equal(processFailureOf(activityFailure(timeout)), 'graph: activity StartToClose timeout');
  });
});
