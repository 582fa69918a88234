// The contract of the reembedCollection workflow, shared by the API and the activities.

/**
 * Where a re-embedding is. A run continued as new carries it whole: documents
 * already re-embedded (up to `afterId`, in id order) are never done again.
 */
export interface ReembeddingInput {
  collectionId: string;
  /** Set once begun: the provider the vectors move to, and the queue its document work runs on. */
  target?: string;
  taskQueue?: string;
  /** The collection's label before it began (its old provider), for the result. */
  previous?: string | null;
  /** Documents to re-embed when it began (processed ones). */
  total?: number;
  afterId?: string | null;
  documents?: number;
  chunks?: number;
  /** Tests lower it to see a continue-as-new; absent: HISTORY_EVENTS_PER_RUN. */
  historyEventsPerRun?: number;
}

/** What beginReembedding decided, from the worker's config and the collection's row. */
export interface ReembeddingPlan {
  target: string;
  /** The label the collection had (its vectors' provider), null when none. */
  previous: string | null;
  total: number;
  taskQueue: string;
}

/** One activity's share: documents re-embedded after `afterId`, and the last one. */
export interface ReembeddedPage {
  lastId: string | null;
  documents: number;
  chunks: number;
  more: boolean;
}

export interface ReembeddingResult {
  collection_id: string;
  status: 'completed';
  provider: string;
  dimension: number | null;
  previous_provider: string | null;
  total: number;
  processed: number;
  failed: number;
  chunks: number;
}

/**
 * The collection's `embedding_provider` while its vectors are being replaced:
 * never a provider's name, so search sees vectors of no known provider and
 * searches by text alone until every vector is the target's.
 */
export const REEMBEDDING_LABEL_PREFIX = 'reembedding:';
export const reembeddingLabel = (target: string) => `${REEMBEDDING_LABEL_PREFIX}${target}`;
