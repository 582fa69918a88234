import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Sql } from '../db/pool.ts';
import { collectionsInWork, settleClosedRun, type CollectionInWork } from '../db/queries/closed-runs.ts';
import { settleClosedDocument } from '../db/queries/document-runs.ts';
import type { DocumentOutcome, InFlightDocument } from '../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../workflows/ids.ts';
import { CollectionIdKey, KindKey, WorkflowKind } from '../workflows/search-attributes.ts';

const CLOSE_EVENT = proto.temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

/** Running document workflows read per sweep; more wait for the next one. */
const MAX_DOCUMENT_WORKFLOWS_PER_SWEEP = 10_000;
/** Examples the sweep's result shows an operator. */
const MAX_EXAMPLES = 20;

export interface ClosedRunDeps {
  sql: Sql;
  /** The worker's client (Context.current().client when not given: tests call these outside a worker). */
  client?: Client;
}

/** How a workflow stands: running, or closed with the words an operator would want on the rows it left. */
export type WorkflowState = { running: true } | { running: false; status: string; reason: string };

/**
 * Runs closed from outside (an operator's terminate or reset, a timeout, a
 * lost signal) are noticed here: an analysis settles document workflows that
 * closed without reporting, and the sweeper settles collections whose
 * analysis closed while their rows still say work is in flight.
 */
export function createClosedRunActivities(deps: ClosedRunDeps) {
  const { sql } = deps;
  const clientOf = () => deps.client ?? Context.current().client;

  return {
    /**
     * Of the analysis's document workflows, the ones closed: each row still
     * `queued` or `processing` ends `failed` naming how its workflow closed
     * ("terminated by an operator (…): <reason>"); returns each closed
     * document's outcome as its row now says (the workflow may have marked it
     * before it closed). Still-running ones are left out.
     */
    async settleClosedDocumentWorkflows(input: { documents: InFlightDocument[] }): Promise<DocumentOutcome[]> {
      const client = clientOf();
      const outcomes: DocumentOutcome[] = [];
      for (const document of input.documents) {
        const state = await workflowState(client, document.workflow_id);
        if (state.running) continue;
        const row = await settleClosedDocument(sql, document.document_id, `document workflow ${state.reason}`);
        outcomes.push(
          row?.status === 'processed'
            ? { document_id: document.document_id, status: 'processed' }
            : {
                document_id: document.document_id,
                status: row?.status === 'cancelled' ? 'cancelled' : 'failed',
                error: row?.error ?? `document ${document.document_id} does not exist (deleted while processing?)`,
              },
        );
      }
      return outcomes;
    },

    /**
     * The sweep: for every collection whose rows say work is in flight and
     * whose analysis is not running, its `queued` and `processing` documents end
     * `cancelled` with the reason the analysis closed, the collection gets a
     * final status, and document workflows left running by a closed analysis
     * are cancelled. Document workflows of an older run, beside a running
     * analysis, are cancelled too.
     */
    async settleClosedRuns(): Promise<SettleClosedRunsResult> {
      const client = clientOf();
      const result: SettleClosedRunsResult = {
        collections_checked: 0,
        collections_settled: 0,
        documents_cancelled: 0,
        workflows_cancelled: 0,
        examples: [],
      };
      const documentWorkflows = await runningDocumentWorkflows(client);
      const collections = new Map((await collectionsInWork(sql)).map((row) => [row.id, row]));
      const inWork = new Set(collections.keys());
      // Collections whose rows are settled may still have document workflows of a closed run running.
      for (const id of documentWorkflows.keys()) {
        if (!collections.has(id)) {
          const [row] = await sql<CollectionInWork[]>`
            SELECT id, status, analysis_run, updated_at::text AS version FROM collections WHERE id = ${id}`;
          if (row) collections.set(id, row);
        }
      }
      for (const collection of collections.values()) {
        Context.current().heartbeat(collection.id);
        result.collections_checked++;
        let analysisId = workflowIds.collectionAnalysis(collection.id, String(collection.analysis_run));
        let analysis = await workflowState(client, analysisId);
        if (!analysis.running && analysis.status === 'NOT_FOUND' && collection.analysis_run > 1) {
          // The key moved past a run that closed from outside (a new start did that): that run left the rows.
          const previousId = workflowIds.collectionAnalysis(collection.id, String(collection.analysis_run - 1));
          const previous = await workflowState(client, previousId);
          if (!previous.running) [analysisId, analysis] = [previousId, { ...previous, status: 'NOT_FOUND' }];
        }
        const orphans = (documentWorkflows.get(collection.id) ?? []).filter(
          (workflow) => !analysis.running || workflow.runKey !== String(collection.analysis_run),
        );
        if (!analysis.running && inWork.has(collection.id)) {
          const reason = `analysis ${analysisId} ${analysis.reason}`;
          const settled = await settleClosedRun(sql, collection, reason, {
            // A run that closed without moving the key on; a key no run holds yet stays for the next run.
            advanceRunKey: analysis.status !== 'NOT_FOUND',
          });
          if (settled.settled) {
            result.collections_settled++;
            result.documents_cancelled += settled.documentsCancelled;
            if (result.examples.length < MAX_EXAMPLES)
              result.examples.push({
                collection_id: collection.id,
                status: settled.status,
                documents_cancelled: settled.documentsCancelled,
                reason,
              });
          }
        }
        for (const workflow of orphans) {
          try {
            await client.workflow.getHandle(workflow.workflowId).cancel();
            result.workflows_cancelled++;
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }
        }
      }
      return result;
    },
  };
}

export type ClosedRunActivities = ReturnType<typeof createClosedRunActivities>;

export interface SettleClosedRunsResult {
  collections_checked: number;
  collections_settled: number;
  documents_cancelled: number;
  workflows_cancelled: number;
  examples: { collection_id: string; status: string | null; documents_cancelled: number; reason: string }[];
}

/** Running document workflows by collection id, each with the run key its id ends with. */
async function runningDocumentWorkflows(client: Client) {
  const byCollection = new Map<string, { workflowId: string; runKey: string }[]>();
  let read = 0;
  const query = `${KindKey.name} = '${WorkflowKind.documentProcessing}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) {
    if (++read > MAX_DOCUMENT_WORKFLOWS_PER_SWEEP) break;
    const collectionId = execution.typedSearchAttributes.get(CollectionIdKey);
    if (!collectionId) continue;
    const runKey = execution.workflowId.split(':').at(-1) ?? '';
    const list = byCollection.get(collectionId) ?? [];
    list.push({ workflowId: execution.workflowId, runKey });
    byCollection.set(collectionId, list);
  }
  return byCollection;
}

/**
 * Whether the workflow's latest run is running, and if not, how it closed, in
 * words for the rows it left: "was terminated by an operator (<identity>):
 * <reason>", "timed out", "failed: <message>", "was cancelled", "completed
 * without reporting", "was never started".
 */
export async function workflowState(client: Client, workflowId: string): Promise<WorkflowState> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      return { running: false, status: 'NOT_FOUND', reason: 'was never started' };
    throw error;
  }
  const status = description.status.name;
  if (status === 'RUNNING') return { running: true };
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: description.runId },
    historyEventFilterType: CLOSE_EVENT,
  });
  const event = history?.events?.[0];
  const terminated = event?.workflowExecutionTerminatedEventAttributes;
  if (terminated) {
    const by = terminated.identity ? ` (${terminated.identity})` : '';
    return {
      running: false,
      status,
      reason: `was terminated by an operator${by}: ${terminated.reason || 'no reason given'}`,
    };
  }
  const failure = event?.workflowExecutionFailedEventAttributes?.failure;
  const reasons: Record<string, string> = {
    TIMED_OUT: 'timed out',
    FAILED: `failed: ${failure?.message ?? 'no message'}`,
    CANCELLED: 'was cancelled',
    COMPLETED: 'completed without reporting',
  };
  return { running: false, status, reason: reasons[status] ?? `closed (${status})` };
}
