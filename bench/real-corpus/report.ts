// The real-corpus run's report: its JSON shape (written whole to --out) and
// the text summary printed to stdout.
import type { BatchOutcome } from '../../api/client/uploads.ts';
import type { HealthSummary } from './health.ts';
import type { DocumentsOutcome, LargePdf, TimeoutCounts, chunkFigures } from './outcome.ts';

export interface RealCorpusReport {
  run: {
    started_at: string;
    finished_at: string | null;
    api: string;
    corpus_dir: string;
    collection: { id: string; name: string } | null;
    timeout_min: number;
    /** The step the --timeout cut short, if any. */
    stopped_by_timeout: 'upload' | 'processing' | null;
    /** Why the run could not go on (API unreachable, collection refused…). */
    aborted: string | null;
  };
  corpus: {
    accepted_files: number;
    accepted_bytes: number;
    by_type: Record<string, { files: number; bytes: number }>;
    /** Files whose extension the API does not accept: not sent. */
    skipped: string[];
    manifest_entries: number;
  };
  upload: {
    elapsed_s: number;
    mb_sent: number;
    mb_per_s: number;
    counts: Record<BatchOutcome, number> & { total: number };
    /** Every file not stored: refused, failed or not sent, with the reason. */
    refused: { file: string; outcome: BatchOutcome; reason: string | null; message: string | null }[];
  } | null;
  processing: {
    task_id: string;
    documents_taken: number;
    elapsed_s: number;
    final_status: string;
    task_error: string | null;
    last_progress: unknown;
    polls: number;
    poll_errors: number;
    last_poll_error: string | null;
  } | null;
  documents: DocumentsOutcome | null;
  timeouts: TimeoutCounts | null;
  chunks: ReturnType<typeof chunkFigures> | null;
  health: HealthSummary | null;
  largest_pdfs: LargePdf[];
  verdict: { passed: boolean; problems: string[] };
}

export function emptyReport(run: { api: string; corpusDir: string; timeoutMin: number }): RealCorpusReport {
  return {
    run: {
      started_at: new Date().toISOString(),
      finished_at: null,
      api: run.api,
      corpus_dir: run.corpusDir,
      collection: null,
      timeout_min: run.timeoutMin,
      stopped_by_timeout: null,
      aborted: null,
    },
    corpus: { accepted_files: 0, accepted_bytes: 0, by_type: {}, skipped: [], manifest_entries: 0 },
    upload: null,
    processing: null,
    documents: null,
    timeouts: null,
    chunks: null,
    health: null,
    largest_pdfs: [],
    verdict: { passed: false, problems: [] },
  };
}

/**
 * The brief's bar: every readable document processed, no heartbeat timeout,
 * the API answering throughout (no probe timed out or went unanswered).
 */
export function judge(report: RealCorpusReport): RealCorpusReport['verdict'] {
  const problems: string[] = [];
  if (report.run.aborted) problems.push(`run aborted: ${report.run.aborted}`);
  if (report.run.stopped_by_timeout) problems.push(`stopped by --timeout during ${report.run.stopped_by_timeout}`);
  const refused = report.upload?.refused.length ?? 0;
  if (refused > 0) problems.push(`${refused} file(s) not stored`);
  const documents = report.documents;
  if (documents) {
    const notProcessed = documents.total - (documents.by_status.processed ?? 0);
    if (notProcessed > 0) problems.push(`${notProcessed} of ${documents.total} document(s) not processed`);
  }
  if (report.timeouts && report.timeouts.heartbeat_timeout > 0)
    problems.push(`${report.timeouts.heartbeat_timeout} heartbeat timeout error(s)`);
  const health = report.health;
  if (health && health.timed_out + health.unreachable + health.unhealthy > 0) {
    problems.push(
      `health: ${health.timed_out} timed out, ${health.unreachable} unreachable, ${health.unhealthy} unhealthy of ${health.probes} probes`,
    );
  }
  return { passed: problems.length === 0, problems };
}

export function formatReport(report: RealCorpusReport, outFile: string): string {
  const lines: string[] = [];
  const add = (line = '') => lines.push(line);
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

  add(`FileIntel real-corpus run — ${report.run.started_at} → ${report.run.finished_at ?? '(unfinished)'}`);
  add(
    `  API ${report.run.api}; corpus ${report.run.corpus_dir}; collection ${report.run.collection ? `${report.run.collection.name} (${report.run.collection.id})` : '—'}`,
  );
  if (report.run.aborted) add(`  ABORTED: ${report.run.aborted}`);
  if (report.run.stopped_by_timeout)
    add(`  STOPPED by --timeout (${report.run.timeout_min} min) during ${report.run.stopped_by_timeout}`);

  const types = Object.entries(report.corpus.by_type).map(
    ([type, { files, bytes }]) => `${type} ${files} (${mb(bytes)})`,
  );
  add();
  add(
    `Corpus: ${report.corpus.accepted_files} files, ${mb(report.corpus.accepted_bytes)}${types.length > 0 ? `: ${types.join(', ')}` : ''}`,
  );
  const skipped = report.corpus.skipped;
  if (skipped.length > 0)
    add(
      `  skipped (extension not accepted): ${skipped.length}: ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', …' : ''}`,
    );

  if (report.upload) {
    const counts = report.upload.counts;
    add();
    add(
      `Upload: ${report.upload.mb_sent} MB in ${report.upload.elapsed_s} s (${report.upload.mb_per_s} MB/s); ${counts.stored} stored, ${counts.duplicate} duplicate, ${counts.rejected} rejected, ${counts.failed} failed, ${counts.not_sent} not sent`,
    );
    for (const file of report.upload.refused)
      add(`  ${file.outcome}: ${file.file}: ${file.reason ?? ''}${file.message ? ` — ${file.message}` : ''}`);
  }

  if (report.processing) {
    const processing = report.processing;
    add();
    add(
      `Processing: task ${processing.task_id}, ${processing.documents_taken} documents, ${processing.elapsed_s} s, final status ${processing.final_status}`,
    );
    if (processing.task_error) add(`  task error: ${processing.task_error}`);
    add(
      `  ${processing.polls} status polls, ${processing.poll_errors} failed${processing.last_poll_error ? ` (last: ${processing.last_poll_error})` : ''}`,
    );
  }

  if (report.documents) {
    const documents = report.documents;
    add();
    add(
      `Documents: ${documents.total}; ${Object.entries(documents.by_status)
        .map(([status, n]) => `${status} ${n}`)
        .join(', ')}`,
    );
    for (const [type, statuses] of Object.entries(documents.by_type))
      add(
        `  ${type}: ${Object.entries(statuses)
          .map(([status, n]) => `${status} ${n}`)
          .join(', ')}`,
      );
    if (documents.failed.length > 0) add(`  failed (${documents.failed.length}):`);
    for (const failure of documents.failed)
      add(`    ${failure.filename} [${failure.status}]: ${failure.error ?? '(no error recorded)'}`);
    if (documents.unfinished.length > 0)
      add(
        `  unfinished (${documents.unfinished.length}): ${documents.unfinished.map((d) => `${d.filename} [${d.status}]`).join(', ')}`,
      );
  }
  if (report.timeouts)
    add(
      `Timeout errors: ${report.timeouts.heartbeat_timeout} "Heartbeat timeout", ${report.timeouts.any_timeout} mentioning a timeout`,
    );

  if (report.chunks) {
    const chunks = report.chunks;
    add(
      `Chunks: ${chunks.chunks}, embedded ${chunks.embedded_chunks} (coverage ${(chunks.embedding_coverage * 100).toFixed(1)}%, ${chunks.embedding_provider ?? 'no provider'}); graph ${chunks.graph.entities} entities, ${chunks.graph.edges} edges; collection ${chunks.collection_status}`,
    );
  }

  if (report.health) {
    const health = report.health;
    const latency = health.latency_ms
      ? `p50 ${health.latency_ms.p50} ms, p99 ${health.latency_ms.p99} ms, max ${health.latency_ms.max} ms`
      : 'no answer';
    add();
    add(
      `Health (GET /health every ${health.interval_ms} ms, ${health.timeout_ms / 1000} s timeout): ${health.probes} probes, ${health.answered} answered (${health.healthy} ok, ${health.unhealthy} unhealthy), ${health.timed_out} timed out, ${health.unreachable} unreachable`,
    );
    add(`  latency ${latency}; ${health.over_200ms} over 200 ms`);
    for (const span of health.problems) {
      const when = span.probes === 1 ? `at ${span.from_s} s` : `${span.from_s}–${span.to_s} s, ${span.probes} probes`;
      add(`  ${when}: ${span.outcome} (max ${span.max_latency_ms} ms)`);
    }
  }

  if (report.largest_pdfs.length > 0) {
    add();
    add('Largest PDFs:');
    for (const pdf of report.largest_pdfs) {
      const pages = pdf.page_count ?? pdf.pages_in_manifest;
      add(
        `  ${pdf.file}: ${mb(pdf.bytes)}, ${pages ?? '?'} pages${pdf.pages_in_manifest !== null && pdf.page_count !== null && pdf.page_count !== pdf.pages_in_manifest ? ` (manifest ${pdf.pages_in_manifest})` : ''}, ${pdf.status}, ${pdf.chunk_count ?? '?'} chunks${pdf.error ? ` — ${pdf.error}` : ''}`,
      );
    }
  }

  add();
  add(report.verdict.passed ? 'VERDICT: passed' : `VERDICT: not passed — ${report.verdict.problems.join('; ')}`);
  add(`JSON report: ${outFile}`);
  return lines.join('\n') + '\n';
}
