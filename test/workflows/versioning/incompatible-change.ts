// Build B of the versioning test: the same workflows with one more command at
// the start of every run (a timer), so B cannot replay a history made by
// build A: any workflow of A that B were handed would fail with a determinism error.
import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        await sleep(1);
        return next(input);
      },
    },
  ],
});
