import {
  ActivityCancellationType,
  continueAsNew,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReembeddingActivities } from '../activities/reembedding/index.ts';
import { progressQuery, type CollectionAnalysisProgress } from './collection-analysis-contract.ts';
import type { ReembeddingInput, ReembeddingResult } from './reembedding-contract.ts';

/** Errors no retry can fix: the collection is gone, the configured provider changed, the endpoint refused. */
export const REEMBEDDING_NON_RETRYABLE = ['CollectionNotFound', 'ProviderChanged', 'OpenAiRequestRejected'];

/** Each page adds about six events: this keeps a run's history small whatever the collection's size. */
const HISTORY_EVENTS_PER_RUN = 2_000;

const bookkeeping = proxyActivities<ReembeddingActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 10,
    nonRetryableErrorTypes: REEMBEDDING_NON_RETRYABLE,
  },
});

/**
 * Replaces every vector of a collection with the configured provider's, after
 * a change of provider or dimension, so that vectors of two providers never
 * meet in one search. While it runs the collection's label names no provider
 * (search goes by text alone); the last step labels it with the new provider.
 * Documents go in id order, a page per activity; the activity heartbeats
 * after each document, so a retry (a worker killed) resumes after the last
 * one done, and the cursor crosses continue-as-new. A cancel leaves the label
 * unset (the vectors are mixed): starting again re-embeds from the start.
 */
export async function reembedCollection(input: ReembeddingInput): Promise<ReembeddingResult> {
  const state = { ...input };
  let phase: 'beginning' | 'reembedding' | 'finishing' | 'done' = state.target ? 'reembedding' : 'beginning';
  setHandler(progressQuery, (): CollectionAnalysisProgress => ({
    phase,
    total: state.total ?? 0,
    processed: state.documents ?? 0,
    failed: 0,
    in_flight: phase === 'reembedding' ? 1 : 0,
    percentage: state.total ? Math.round(((state.documents ?? 0) / state.total) * 1000) / 10 : 0,
    recent_failures: [],
  }));

  if (!state.target || !state.taskQueue) {
    const plan = await bookkeeping.beginReembedding({ collectionId: state.collectionId });
    Object.assign(state, { target: plan.target, taskQueue: plan.taskQueue, total: plan.total });
    state.previous = plan.previous;
    phase = 'reembedding';
  }

  // Document work (embedding calls, the hashing threads) runs where documents are processed.
  const { reembedDocuments } = proxyActivities<ReembeddingActivities>({
    taskQueue: state.taskQueue,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '1 minute',
    // A cancelled run closes once its activity has stopped: nothing writes vectors after it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: REEMBEDDING_NON_RETRYABLE,
    },
  });
  const budget = state.historyEventsPerRun ?? HISTORY_EVENTS_PER_RUN;
  for (;;) {
    const page = await reembedDocuments({
      collectionId: state.collectionId,
      target: state.target!,
      afterId: state.afterId ?? null,
    });
    state.afterId = page.lastId;
    state.documents = (state.documents ?? 0) + page.documents;
    state.chunks = (state.chunks ?? 0) + page.chunks;
    if (!page.more) break;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= budget) {
      // Pinned runs stay on their build; one continued as new after a deploy starts on the new current build.
      const next = info.targetWorkerDeploymentVersionChanged
        ? makeContinueAsNewFunc<typeof reembedCollection>({ initialVersioningBehavior: 'AUTO_UPGRADE' })
        : continueAsNew<typeof reembedCollection>;
      await next(state);
    }
  }

  phase = 'finishing';
  const finished = await bookkeeping.finishReembedding({ collectionId: state.collectionId, target: state.target! });
  phase = 'done';
  return {
    collection_id: state.collectionId,
    status: 'completed',
    provider: state.target!,
    dimension: finished.dimension,
    previous_provider: state.previous ?? null,
    total: state.total ?? 0,
    processed: state.documents ?? 0,
    failed: 0,
    chunks: state.chunks ?? 0,
  };
}

// Pinned to the build that started it; at a continue-as-new it moves to the deployment's current build when that changed.
setWorkflowOptions({ versioningBehavior: 'PINNED' }, reembedCollection);
