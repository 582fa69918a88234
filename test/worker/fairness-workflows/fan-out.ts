// A workflow for test/worker/fairness-weights.test.ts: schedules its activities
// under two fairness keys at the weights it is given, all at once, so they
// queue together on a task queue no worker polls yet.
import { proxyActivities } from '@temporalio/workflow';

export interface FanOutInput {
  taskQueue: string;
  keys: { key: string; weight: number; activities: number }[];
}

export async function fanOut(input: FanOutInput): Promise<void> {
  const calls: Promise<void>[] = [];
  for (const { key, weight, activities } of input.keys) {
    const { record } = proxyActivities<{ record(key: string): Promise<void> }>({
      taskQueue: input.taskQueue,
      startToCloseTimeout: '1 minute',
      priority: { fairnessKey: key, fairnessWeight: weight },
    });
    for (let i = 0; i < activities; i++) calls.push(record(key));
  }
  await Promise.all(calls);
}
