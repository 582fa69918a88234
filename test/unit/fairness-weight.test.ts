import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CollectionAnalysisInput } from '../../workflows/collection-analysis-contract.ts';
import { documentRoutingOf, newRun } from '../../workflows/collection-analysis/run.ts';
import { FULL_SHARE_DOCUMENTS, fairnessWeightOf } from '../../workflows/fairness-weight.ts';

test('a run weighs 1,000 / its documents, rounded, from 1 to the cap', () => {
  assert.equal(fairnessWeightOf(20, 8), 8, 'small: the cap');
  assert.equal(fairnessWeightOf(200, 8), 5);
  assert.equal(fairnessWeightOf(300, 8), 3, '3.33 rounds to 3');
  assert.equal(fairnessWeightOf(FULL_SHARE_DOCUMENTS, 8), 1);
  assert.equal(fairnessWeightOf(100_000, 8), 1, 'never below 1: a large run is never starved');
  assert.equal(fairnessWeightOf(1_999, 8), 1, '0.5 rounds up to 1');
  assert.equal(fairnessWeightOf(40, 1), 1, 'cap 1: equal shares');
  assert.equal(fairnessWeightOf(40, 1_000), 25, 'a high cap lets the size speak');
  assert.equal(fairnessWeightOf(0, 8), 8, 'nothing counted yet: the cap');
  assert.equal(fairnessWeightOf(5, 2.7), 2, 'a fractional cap is taken down to a whole weight');
  // Smaller runs never weigh less than larger ones.
  let previous = Infinity;
  for (let documents = 1; documents <= 5_000; documents += 7) {
    const weight = fairnessWeightOf(documents, 8);
    assert.ok(weight <= previous, `weight(${documents}) = ${weight} > ${previous}`);
    previous = weight;
  }
});

const input = (routing: CollectionAnalysisInput['routing']): CollectionAnalysisInput => ({
  collectionId: 'c-1',
  selection: 'pending',
  options: { build_graph: false, extract_metadata: true, generate_embeddings: true },
  ...(routing ? { routing } : {}),
});
const continuation = (total: number) => ({
  cursor: 'd-9',
  total,
  processed: 10,
  failed: 0,
  failures: [],
  runs: 1,
  runKey: 1,
});

test("a run's document routing carries its weight, kept across continue-as-new by its total", () => {
  const routing = { taskQueue: 'docs', priority: { priorityKey: 2, fairnessKey: 'c-1' }, fairnessMaxWeight: 8 };
  const run = newRun(input(routing));
  assert.deepEqual(documentRoutingOf(run), routing, 'before it has counted its documents: unweighted');
  run.state.total = 50;
  assert.deepEqual(documentRoutingOf(run)?.priority, { priorityKey: 2, fairnessKey: 'c-1', fairnessWeight: 8 });
  const next = newRun({ ...input(routing), continuation: continuation(5_000) });
  assert.deepEqual(documentRoutingOf(next)?.priority, { priorityKey: 2, fairnessKey: 'c-1', fairnessWeight: 1 });
  assert.equal(routing.priority.fairnessKey, 'c-1');
  assert.ok(
    !('fairnessWeight' in routing.priority),
    'the input routing is left as it was (continue-as-new carries it)',
  );
});

test('no weight without a fairness key, without a cap (runs started before weights), or without routing', () => {
  const unfair = { taskQueue: 'docs', priority: { priorityKey: 2 }, fairnessMaxWeight: 8 };
  assert.deepEqual(documentRoutingOf(newRun({ ...input(unfair), continuation: continuation(50) })), unfair);
  const before = { taskQueue: 'docs', priority: { priorityKey: 2, fairnessKey: 'c-1' } };
  assert.deepEqual(documentRoutingOf(newRun({ ...input(before), continuation: continuation(50) })), before);
  assert.equal(documentRoutingOf(newRun({ ...input(undefined), continuation: continuation(50) })), undefined);
});
