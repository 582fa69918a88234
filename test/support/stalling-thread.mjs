// A text-pool thread for test/activities/text-task-stall.test.ts, in place of
// the real tasks: `extractRange` behaves as its `file` says, `embedTexts`
// answers at once (to show a thread is free again).
import { setTimeout as sleep } from 'node:timers/promises';

const never = () => new Promise(() => {});

export async function extractRange({ progress, file }) {
  progress.postMessage({ started: true });
  progress.postMessage({ phase: 'extracting', pages_read: 3 });
  if (file === 'hangs') await never(); // a promise that never settles, as pdf.js's render did
  if (file === 'spins') for (;;); // a loop that never yields, as a runaway parser would
  // 'reports': works longer than the limit, but says so every 100 ms.
  for (let i = 0; i < 8; i++) {
    await sleep(100);
    progress.postMessage({ phase: 'extracting', pages_read: 4 + i });
  }
  return { ok: true, done: file };
}

export function embedTexts({ progress, texts }) {
  progress.postMessage({ started: true });
  return texts.map(() => [1]);
}

export function tagEntities({ progress }) {
  progress.postMessage({ started: true });
  return [];
}
