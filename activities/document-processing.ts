import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ensureApplicationFailure } from '@temporalio/common';
import { innermostMessage } from '../common/errors.ts';
import type { Config } from '../config/schema.ts';
import type { Sql } from '../db/pool.ts';
import {
  documentExcerpt,
  eachChunk,
  insertChunks,
  replaceMentions,
  storeEmbeddings,
  type MentionInsert,
} from '../db/queries/chunks.ts';
import {
  AttemptSupersededError,
  cancelUnlessTakenOver,
  ClaimConflictError,
  claimDocument,
  committedRanges,
  fencedWrite,
  insertRange,
  markProcessed,
  markProcessedByAttempt,
  markUnfinished,
  mergeDocumentMetadata,
  recordExtractionFacts,
  settleFailedGroup,
  type AttemptFence,
  type ClaimedDocument,
  type RangeRecord,
} from '../db/queries/document-runs.ts';
import type { DocumentStorage } from '../storage/document-storage.ts';
import type { ProcessingOptions, UnitDocument } from '../workflows/collection-analysis-contract.ts';
import { createEmbeddingProvider } from './embeddings/provider.ts';
import { HashingEmbeddingProvider } from './embeddings/hashing.ts';
import { formatOf, UnreadableDocumentError, type FileProperties, type PageRange } from './extraction/index.ts';
import { buildMetadata } from './metadata/build.ts';
import { TextAnalyzer, type TextAnalysisPartial } from './metadata/text-analysis.ts';
import { createTextWorkPool, ThreadOutOfMemoryError, type TextWork } from './text-work/pool.ts';
import type { TextTasks } from './text-work/tasks.ts';

export interface DocumentProcessingDeps {
  config: Config;
  sql: Sql;
  storage: DocumentStorage;
  /** The worker-thread pool for CPU work; one is made from config when not given. */
  textWork?: TextWork;
}

export interface DocumentRef {
  documentId: string;
}

/** The steps of one document, in order; a failure is reported as "<step>: <reason>". */
export type DocumentStep = 'extract' | 'metadata' | 'embeddings' | 'graph';

/** What each heartbeat carries: the step it came from, so a timed-out attempt still says where it was. */
export interface StepHeartbeat {
  step: DocumentStep;
  progress?: unknown;
}

/** What the extraction step leaves in documents.metadata.extraction, for the steps after it. */
export interface ExtractionRecord {
  format: string;
  encoding?: string;
  page_unit: 'page' | 'chapter' | null;
  file_properties: FileProperties;
  word_count: number;
  char_count: number;
  chunk_count: number;
  /** Code points removed because PostgreSQL refuses them (NUL) or they are not text. */
  removed_characters: number;
  /** Ranges the text was extracted and committed in (pages for a long PDF; 1 otherwise). */
  ranges: number;
}

/** What is known of a document after its first range: kept so a resumed attempt need not read it again. */
type ExtractionFacts = Pick<ExtractionRecord, 'format' | 'encoding' | 'page_unit' | 'file_properties'>;

/** One step of one attempt: who may write, and how it reports. */
interface StepAttempt {
  step: DocumentStep;
  fence: AttemptFence;
  signal: AbortSignal;
  /** Heartbeats with progress; never throws (thread reports call it from an event listener). */
  beat(progress?: unknown): void;
  /** Heartbeats, and stops the step when the workflow asked for cancellation. */
  checkpoint(progress?: unknown): void;
}

/** Characters of a document's start a chat model reads for metadata. */
const LLM_EXCERPT_CHARS = 8_000;

/**
 * The per-document steps. Each claims the document for its attempt, and every
 * write checks that claim in the same transaction: an attempt that timed out,
 * was cancelled or was superseded writes nothing more. Extraction commits a
 * long PDF range by range, so a retry resumes at the first range not yet
 * committed. CPU work runs in the worker-thread pool; this event loop only
 * awaits, heartbeats and answers cancels.
 */
export function createDocumentProcessingActivities(deps: DocumentProcessingDeps) {
  const { config, sql, storage } = deps;
  const textWork = deps.textWork ?? createTextWorkPool(config);
  const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };

  /**
   * One step's attempt. `group` is set inside a group activity: each document
   * gets a claim of its own (the document id joins the run key), and the
   * group's heartbeat carries what it finished along with the step.
   */
  /** Who may write the document: this attempt of this activity (a retry of it resumes what it committed; any other activity starts afresh). */
  function fenceOf(documentId: string, group?: GroupScope): AttemptFence {
    const { workflowExecution, activityId, attempt } = Context.current().info;
    const run = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}`;
    return { documentId, run: group ? `${run}/${documentId}` : run, attempt };
  }

  function attemptAt(step: DocumentStep, documentId: string, group?: GroupScope): StepAttempt {
    const context = Context.current();
    const beat = (progress?: unknown) =>
      context.heartbeat(group ? group.details({ step, progress }) : ({ step, progress } satisfies StepHeartbeat));
    return {
      step,
      fence: fenceOf(documentId, group),
      signal: context.cancellationSignal,
      beat,
      checkpoint(progress) {
        beat(progress);
        if (context.cancellationSignal.aborted) throw new CancelledFailure('document processing cancelled');
      },
    };
  }

  async function claim(at: StepAttempt, options: { fresh: boolean }): Promise<ClaimedDocument> {
    let row: ClaimedDocument | undefined;
    try {
      row = await claimDocument(sql, at.fence, at.step, options);
    } catch (error) {
      if (!(error instanceof ClaimConflictError)) throw error;
      if (!(await isCurrentRun())) throw new AttemptSupersededError(at.fence);
      row = await claimDocument(sql, at.fence, at.step, { ...options, takeOver: true });
    }
    if (!row)
      throw ApplicationFailure.nonRetryable(
        `document ${at.fence.documentId} does not exist (deleted while processing?)`,
        'DocumentNotFound',
      );
    return row;
  }

  /**
   * Whether this activity's workflow run is its workflow's current run (not
   * reset or terminated since). Asked of Temporal only when a claim meets a row
   * another workflow run holds; without a client (a mock environment), it is.
   */
  async function isCurrentRun(): Promise<boolean> {
    const context = Context.current();
    const execution = context.info.workflowExecution;
    if (!execution) return true;
    let client;
    try {
      client = context.client;
    } catch {
      return true;
    }
    try {
      const description = await client.workflow.getHandle(execution.workflowId).describe();
      return description.runId === execution.runId && description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** A task in the thread pool, its reports turned into heartbeats; a cancel stops the thread at once. */
  async function inThread<Name extends keyof TextTasks>(
    at: StepAttempt,
    name: Name,
    input: Omit<Parameters<TextTasks[Name]>[0], 'progress'>,
    where: object = {},
  ) {
    try {
      return await textWork.run(name, input, {
        signal: at.signal,
        onProgress: (progress) => at.beat({ ...where, ...progress }),
      });
    } catch (error) {
      at.checkpoint(where);
      throw error;
    }
  }

  const requireExtraction = (row: ClaimedDocument): ExtractionRecord => {
    const extraction = (row.metadata as { extraction?: ExtractionRecord }).extraction;
    if (!extraction)
      throw ApplicationFailure.nonRetryable(`document ${row.id} has not been extracted yet`, 'DocumentNotFound');
    return extraction;
  };

  /**
   * Extracts and chunks the stored file, committing each range (its chunks
   * and its record) in one fenced transaction before the next; resumes after
   * the ranges this activity's earlier attempts committed.
   */
  async function extract(documentId: string, at: StepAttempt): Promise<{ chunks: number; pages: number | null }> {
    const row = await claim(at, { fresh: true });
    if (!(await storage.exists(row.storage_key))) {
      throw ApplicationFailure.nonRetryable(
        `missing_file: the stored file ${row.storage_key} of ${row.original_filename} is missing`,
        'UnreadableDocument',
      );
    }
    const paged = formatOf(row.mime_type, row.original_filename) === 'pdf';
    const done = await committedRanges(sql, documentId);
    let facts = done.length > 0 ? (row.metadata as { extraction?: ExtractionFacts }).extraction : undefined;
    let pageCount = done.length > 0 ? row.page_count : null;
    let nextOrdinal = done.reduce((sum, range) => sum + range.chunk_count, 0);

    // One local copy (on the s3 backend) serves every range of this attempt; it is removed however the attempt ends.
    await storage.withLocalFile(row.storage_key, async (file) => {
      for (
        let index = done.length;
        index === 0 || (paged && index * config.pdf_pages_per_range < (pageCount ?? 0));
        index++
      ) {
        const pages: PageRange | null = paged
          ? { first: index * config.pdf_pages_per_range + 1, last: (index + 1) * config.pdf_pages_per_range }
          : null;
        const where = pages
          ? {
              range: index + 1,
              ranges: pageCount ? Math.ceil(pageCount / config.pdf_pages_per_range) : undefined,
              first_page: pages.first,
            }
          : {};
        at.checkpoint(where);
        const outcome = await inThread(
          at,
          'extractRange',
          { file, mimeType: row.mime_type, filename: row.original_filename, pages, limits },
          where,
        );
        if (!outcome.ok) throw new UnreadableDocumentError(outcome.reason, outcome.message);
        pageCount = outcome.pageCount;
        const chunks = outcome.chunks;
        const range: RangeRecord = {
          range_index: index,
          page_start: pages ? pages.first : null,
          page_end: pages ? Math.min(pages.last, pageCount ?? pages.last) : null,
          first_ordinal: nextOrdinal,
          chunk_count: chunks.length,
          word_count: outcome.wordCount,
          char_count: outcome.charCount,
          removed_characters: outcome.removedCharacters,
          analysis: outcome.analysis as unknown as Record<string, unknown>,
          attempt: at.fence.attempt,
        };
        facts ??= {
          format: outcome.format,
          encoding: outcome.encoding,
          page_unit: outcome.pageUnit,
          file_properties: outcome.properties,
        };
        const firstFacts = index === 0 ? facts : undefined;
        await fencedWrite(sql, at.fence, async (tx) => {
          await insertChunks(
            tx,
            documentId,
            chunks.map((chunk) => ({
              ordinal: range.first_ordinal + chunk.ordinal,
              text: chunk.text,
              token_count: chunk.tokenCount,
              page_start: chunk.pageStart,
              page_end: chunk.pageEnd,
              metadata: { char_start: chunk.charStart, char_end: chunk.charEnd, own_start: chunk.ownStart },
            })),
          );
          await insertRange(tx, documentId, range);
          if (firstFacts) await recordExtractionFacts(tx, documentId, pageCount, firstFacts);
        });
        nextOrdinal += chunks.length;
        at.checkpoint({ ...where, committed: true });
      }
    });

    const ranges = await committedRanges(sql, documentId);
    const sum = (key: 'chunk_count' | 'word_count' | 'char_count' | 'removed_characters') =>
      ranges.reduce((total, range) => total + range[key], 0);
    if (sum('chunk_count') === 0) {
      throw new UnreadableDocumentError(
        'no_text',
        `no text could be extracted from ${row.original_filename} (empty, or scanned images without a text layer)`,
      );
    }
    const record: ExtractionRecord = {
      ...facts!,
      word_count: sum('word_count'),
      char_count: sum('char_count'),
      chunk_count: sum('chunk_count'),
      removed_characters: sum('removed_characters'),
      ranges: ranges.length,
    };
    await fencedWrite(sql, at.fence, (tx) => mergeDocumentMetadata(tx, documentId, { extraction: record }));
    return { chunks: record.chunk_count, pages: pageCount };
  }

  /** Title, authors, dates, language, keywords, counts, DOI; from the file, the text (analysed per range) and (when configured) a chat model. */
  async function metadata(documentId: string, at: StepAttempt): Promise<{ fields: string[] }> {
    const row = await claim(at, { fresh: false });
    const extraction = requireExtraction(row);
    const ranges = await committedRanges(sql, documentId);
    const analyzer = TextAnalyzer.fromPartials(ranges.map((range) => range.analysis as unknown as TextAnalysisPartial));
    at.checkpoint();
    const analysis = await buildMetadata({
      config,
      filename: row.original_filename,
      extraction,
      pageCount: row.page_count,
      analysis: analyzer.result(),
      excerpt: () => documentExcerpt(sql, documentId, LLM_EXCERPT_CHARS),
    });
    await fencedWrite(sql, at.fence, (tx) => mergeDocumentMetadata(tx, documentId, { analysis }));
    return { fields: Object.keys(analysis.field_sources) };
  }

  /** A vector for every chunk: the hashing provider in the thread pool, a remote one `embedding_batch_size` chunks per call. */
  async function embeddings(
    documentId: string,
    at: StepAttempt,
  ): Promise<{ embedded: number; provider: string; dimension: number }> {
    await claim(at, { fresh: false });
    const provider = createEmbeddingProvider(config);
    let embedded = 0;
    for await (const page of eachChunk(sql, documentId, provider.batchSize * 4)) {
      const texts = page.map((chunk) => chunk.text);
      let vectors: number[][];
      if (provider instanceof HashingEmbeddingProvider) {
        vectors = await inThread(at, 'embedTexts', { texts, dimension: provider.dimension }, { embedded });
      } else {
        vectors = [];
        for (let i = 0; i < texts.length; i += provider.batchSize) {
          vectors.push(...(await provider.embed(texts.slice(i, i + provider.batchSize))));
          at.checkpoint({ embedded: embedded + vectors.length });
        }
      }
      await fencedWrite(sql, at.fence, (tx) =>
        storeEmbeddings(
          tx,
          documentId,
          page.map((chunk, k) => ({ ordinal: chunk.ordinal, embedding: vectors[k] })),
        ),
      );
      embedded += page.length;
      at.checkpoint({ embedded });
    }
    return { embedded, provider: provider.name, dimension: provider.dimension };
  }

  /** People, organisations, places and key terms per chunk (tagged in the thread pool), replacing the document's earlier mentions. */
  async function entities(documentId: string, at: StepAttempt): Promise<{ mentions: number }> {
    const row = await claim(at, { fresh: false });
    const mentions: MentionInsert[] = [];
    for await (const page of eachChunk(sql, documentId)) {
      const found = await inThread(
        at,
        'tagEntities',
        { texts: page.map((chunk) => chunk.text) },
        { mentions: mentions.length },
      );
      page.forEach((chunk, i) => {
        for (const entity of found[i])
          mentions.push({ chunk_ordinal: chunk.ordinal, kind: entity.kind, name: entity.name });
      });
      at.checkpoint({ mentions: mentions.length });
    }
    await fencedWrite(sql, at.fence, (tx) => replaceMentions(tx, row.collection_id, documentId, mentions));
    return { mentions: mentions.length };
  }

  /**
   * Runs one step: a heartbeat (and cancellation check) first, its failure
   * made plain (see failureAtStep) and, inside processDocument, named after
   * the step (a step that is its own activity is named by the workflow).
   */
  async function atStep<T>(
    step: DocumentStep,
    run: (documentId: string, at: StepAttempt) => Promise<T>,
    documentId: string,
    named = true,
    group?: GroupScope,
  ): Promise<T> {
    const at = attemptAt(step, documentId, group);
    try {
      at.checkpoint('starting');
      return await run(documentId, at);
    } catch (error) {
      throw failureAtStep(step, error, named ? `${step}: ` : '');
    }
  }

  /** One document of a group, to its final mark; a cancel or an error a retry may fix is thrown. */
  async function groupDocument(
    document: UnitDocument,
    options: ProcessingOptions,
    group: GroupScope,
  ): Promise<GroupDocumentOutcome> {
    try {
      await allSteps(document.id, options, group);
      await markProcessedByAttempt(sql, fenceOf(document.id, group));
      return { document_id: document.id, filename: document.filename, status: 'processed' };
    } catch (error) {
      if (error instanceof AttemptSupersededError) throw failureAtStep('graph', error);
      // A superseded attempt stops without a mark: the attempt that owns the document marks it.
      const superseded = error instanceof ApplicationFailure && error.type === 'AttemptSuperseded';
      if (
        superseded ||
        error instanceof CancelledFailure ||
        !(error instanceof ApplicationFailure) ||
        !error.nonRetryable
      )
        throw error;
      await markUnfinished(sql, document.id, 'failed', error.message);
      return {
        document_id: document.id,
        filename: document.filename,
        status: 'failed',
        error: error.message.slice(0, 2_000),
      };
    }
  }

  /** Every step the options ask for, in order; extraction's result. */
  async function allSteps(
    documentId: string,
    options: ProcessingOptions,
    group?: GroupScope,
  ): Promise<{ chunks: number; pages: number | null }> {
    const extracted = await atStep('extract', extract, documentId, true, group);
    if (options.extract_metadata) await atStep('metadata', metadata, documentId, true, group);
    if (options.generate_embeddings) await atStep('embeddings', embeddings, documentId, true, group);
    if (options.build_graph) await atStep('graph', entities, documentId, true, group);
    return extracted;
  }

  return {
    /**
     * Every step of one document in one activity (one server round trip
     * instead of four): extract and chunk, then metadata, embeddings and
     * graph entities as the options ask. Each step marks the row with its
     * name as it starts and heartbeats as it goes; a failure says
     * "<step>: <reason>" and keeps its type, so unreadable files still fail
     * at once. A retry resumes extraction at its first uncommitted range and
     * reruns the later steps, each replacing what it wrote before.
     */
    async processDocument({
      documentId,
      options,
    }: DocumentRef & { options: ProcessingOptions }): Promise<{ chunks: number; pages: number | null }> {
      return allSteps(documentId, options);
    },

    /**
     * Small documents one after the other in one activity (no workflow of
     * their own: no start, tasks and result per document). Each document is
     * claimed on its own, runs every step as processDocument does and gets its
     * row marked here: `processed`, or `failed` with "<step>: <reason>" when
     * no retry can fix it; one document failing fails only that document. A
     * heartbeat after each document carries what the group finished, so a
     * retry skips those. A cancel leaves the documents not finished
     * `cancelled` (unless another run took them over). Any other error fails the attempt (it is retried), naming
     * the document it happened on.
     */
    async processDocumentGroup({
      documents,
      options,
    }: {
      documents: UnitDocument[];
      options: ProcessingOptions;
    }): Promise<GroupResult> {
      const context = Context.current();
      const finished: GroupDocumentOutcome[] = [
        ...((context.info.heartbeatDetails as GroupHeartbeat | undefined)?.finished ?? []),
      ];
      const done = new Set(finished.map((outcome) => outcome.document_id));
      let current: UnitDocument | undefined;
      // Every step heartbeats as it starts and as it goes (a small document's steps are short), so a cancel reaches the group within the worker's heartbeat throttle.
      const group: GroupScope = {
        details: (step) => ({ ...step, document_id: current?.id, filename: current?.filename, finished }),
      };
      try {
        for (const document of documents) {
          if (done.has(document.id)) continue;
          if (context.cancellationSignal.aborted) throw new CancelledFailure('document group cancelled');
          current = document;
          finished.push(await groupDocument(document, options, group));
          current = undefined;
          // The next document starts with extraction; this heartbeat names the one just finished.
          context.heartbeat(group.details({ step: 'extract', progress: { finished: document.id } }));
        }
        return { outcomes: finished };
      } catch (error) {
        if (error instanceof CancelledFailure || context.cancellationSignal.aborted) {
          const finishedIds = new Set(finished.map((outcome) => outcome.document_id));
          // Only what this activity still holds: a run that took over (after a reset) keeps its documents.
          const { workflowExecution, activityId } = context.info;
          const runPrefix = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}/`;
          for (const document of documents) {
            if (!finishedIds.has(document.id)) await cancelUnlessTakenOver(sql, document.id, runPrefix);
          }
          throw error instanceof CancelledFailure ? error : new CancelledFailure('document group cancelled');
        }
        throw groupFailure(error, current, documents);
      }
    },

    /** A group whose activity failed for good: documents it finished keep their outcome, the others fail with its reason. */
    async settleFailedGroup({
      documents,
      runPrefix,
      error,
    }: {
      documents: UnitDocument[];
      runPrefix: string;
      error: string;
    }): Promise<GroupResult> {
      const states = new Map(
        (
          await settleFailedGroup(
            sql,
            documents.map((document) => document.id),
            runPrefix,
            error,
          )
        ).map((row) => [row.id, row]),
      );
      return {
        outcomes: documents.map((document) => {
          const state = states.get(document.id);
          return state?.status === 'processed'
            ? { document_id: document.id, filename: document.filename, status: 'processed' as const }
            : {
                document_id: document.id,
                filename: document.filename,
                status: 'failed' as const,
                error: state?.error ?? `document ${document.id} does not exist (deleted while processing?)`,
              };
        }),
      };
    },

    // The steps one activity each: histories recorded before processDocument, and the bare loop of bench/p1, call these.
    extractAndChunkDocument: ({ documentId }: DocumentRef) => atStep('extract', extract, documentId, false),
    extractDocumentMetadata: ({ documentId }: DocumentRef) => atStep('metadata', metadata, documentId, false),
    embedDocumentChunks: ({ documentId }: DocumentRef) => atStep('embeddings', embeddings, documentId, false),
    extractDocumentEntities: ({ documentId }: DocumentRef) => atStep('graph', entities, documentId, false),

    markDocumentProcessed: ({ documentId }: DocumentRef) => markProcessed(sql, documentId),

    /** Keeps processing_step, so the row says which step failed; this run's chunks go. */
    markDocumentFailed: ({ documentId, error }: DocumentRef & { error: string }) =>
      markUnfinished(sql, documentId, 'failed', error),

    markDocumentCancelled: ({ documentId }: DocumentRef) =>
      markUnfinished(sql, documentId, 'cancelled', 'processing was cancelled'),
  };
}

export type DocumentProcessingActivities = ReturnType<typeof createDocumentProcessingActivities>;

/** How a document of a group ended. */
export interface GroupDocumentOutcome {
  document_id: string;
  filename: string;
  status: 'processed' | 'failed';
  error?: string;
}

export interface GroupResult {
  outcomes: GroupDocumentOutcome[];
}

/** A group's heartbeat: the step of the document at work, and every document finished so far (a retry skips them). */
export interface GroupHeartbeat extends StepHeartbeat {
  document_id?: string;
  filename?: string;
  finished: GroupDocumentOutcome[];
}

interface GroupScope {
  details(step: StepHeartbeat): GroupHeartbeat;
}

/**
 * A group attempt's failure: its message names the document it happened on
 * (id and filename), its details list the group's documents, so the Web UI
 * shows which documents a failed group held.
 */
function groupFailure(
  error: unknown,
  current: UnitDocument | undefined,
  documents: UnitDocument[],
): ApplicationFailure {
  const original = ensureApplicationFailure(error);
  const where = current ? `document ${current.id} (${current.filename})` : 'between documents';
  const failure = ApplicationFailure.create({
    message: `group of ${documents.length} document(s), at ${where}: ${original.message}`,
    type: original.type ?? undefined,
    nonRetryable: original.nonRetryable ?? undefined,
    details: [{ document_id: current?.id ?? null, filename: current?.filename ?? null, documents }],
    category: original.category ?? undefined,
  });
  if (original.stack) failure.stack = original.stack;
  return failure;
}

/** PostgreSQL's classes of errors about the data itself (22: data exception, 54: program limit): the same text fails again. */
const REFUSED_DATA = /^(22|54)/;

/**
 * A step's error as processDocument reports it: "<step>: <reason>" (`prefix`), the
 * reason being the innermost message (what the workflow showed when each step
 * was its own activity), with the error's type, retryability and stack kept.
 * Errors no retry can fix become non-retryable and say so: an unreadable
 * file, text the database refuses, a range too big for a thread's memory, an
 * attempt that lost its claim. A cancelled attempt fails as a cancellation,
 * whatever its step was doing when the cancel arrived.
 */
export function failureAtStep(step: DocumentStep, error: unknown, prefix = `${step}: `): unknown {
  if (error instanceof CancelledFailure) return error;
  if (Context.current().cancellationSignal.aborted)
    return new CancelledFailure(`${step}: document processing cancelled`);
  const nonRetryable = (message: string, type: string) =>
    ApplicationFailure.create({ message: prefix + message, type, nonRetryable: true });
  if (error instanceof UnreadableDocumentError)
    return nonRetryable(`${error.reason}: ${error.message}`, 'UnreadableDocument');
  if (error instanceof ThreadOutOfMemoryError) return nonRetryable(`too_large: ${error.message}`, 'UnreadableDocument');
  if (error instanceof AttemptSupersededError) return nonRetryable(error.message, 'AttemptSuperseded');
  const code = (error as { code?: unknown }).code;
  if ((error as Error).name === 'PostgresError' && typeof code === 'string' && REFUSED_DATA.test(code)) {
    return nonRetryable(
      `the database refused the document's text and would refuse it again (${code}): ${(error as Error).message}`,
      'DatabaseRefusedText',
    );
  }
  const original = ensureApplicationFailure(error);
  const failure = ApplicationFailure.create({
    message: prefix + innermostMessage(error),
    type: original.type ?? undefined,
    nonRetryable: original.nonRetryable ?? undefined,
    details: original.details ?? undefined,
    nextRetryDelay: original.nextRetryDelay,
    category: original.category ?? undefined,
  });
  if (original.stack) failure.stack = original.stack;
  return failure;
}
