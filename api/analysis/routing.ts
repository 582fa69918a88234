import type { Config } from '../../config/schema.ts';
import type { BatchRouting } from '../../workflows/batch-process-contract.ts';
import type { DocumentRouting } from '../../workflows/collection-analysis-contract.ts';

/**
 * Where an analysis's document work runs and how it shares the document slots:
 * the document task queue; the collection id as fairness key (fairness on), so
 * collections in flight share the slots instead of queueing behind each other,
 * a small run's share the larger (its weight: workflows/fairness-weight.ts);
 * a single-collection run (interactive) before the collections of a batch (bulk).
 */
export function documentRouting(config: Config, collectionId: string, kind: 'interactive' | 'batch'): DocumentRouting {
  const priorityKey = kind === 'interactive' ? config.interactive_priority : config.batch_priority;
  return {
    taskQueue: config.document_task_queue,
    priority: { priorityKey, ...(config.fairness ? { fairnessKey: collectionId } : {}) },
    ...(config.fairness ? { fairnessMaxWeight: config.fairness_max_weight } : {}),
  };
}

/** A batch's routing: each collection gets its own fairness key inside the batch workflow. */
export function batchRouting(config: Config): BatchRouting {
  return {
    taskQueue: config.document_task_queue,
    priorityKey: config.batch_priority,
    fairness: config.fairness,
    fairnessMaxWeight: config.fairness_max_weight,
  };
}
