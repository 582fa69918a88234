// What the run left behind, read back through the API once processing ended
// (or the run timed out): every document's final status and error, chunk and
// embedding counts, and the largest PDFs with their page counts.
import type { FileIntelClient } from '../../api/client/index.ts';
import type { ProcessingStatusJson } from '../../api/client/analysis.ts';
import type { CollectionDetailJson } from '../../api/client/collections.ts';
import { mapWithConcurrency } from '../../common/concurrency.ts';
import type { CorpusFile, ManifestEntry } from './files.ts';

type DocumentSummaryJson = CollectionDetailJson['documents'][number];

export interface DocumentsOutcome {
  total: number;
  by_status: Record<string, number>;
  /** Final status counts per file extension. */
  by_type: Record<string, Record<string, number>>;
  failed: { filename: string; status: string; error: string | null }[];
  /** Still uploaded or processing when the run ended. */
  unfinished: { filename: string; status: string }[];
}

export interface TimeoutCounts {
  /** Errors (documents' and the task's) that mention "Heartbeat timeout". */
  heartbeat_timeout: number;
  /** Errors that mention a timeout of any kind ("timeout", "timed out"), heartbeat ones included. */
  any_timeout: number;
}

export interface LargePdf {
  file: string;
  bytes: number;
  pages_in_manifest: number | null;
  page_count: number | null;
  status: string;
  chunk_count: number | null;
  embedded_chunks: number | null;
  error: string | null;
}

const DOCUMENTS_PAGE = 1_000;
/** The largest PDFs by size reported; every PDF the manifest gives 1,000+ pages is added. */
const LARGEST_PDFS = 10;
const LONG_PDF_PAGES = 1_000;

/** Every document of the collection, page by page. */
export async function listCollectionDocuments(
  client: FileIntelClient,
  collectionId: string,
): Promise<DocumentSummaryJson[]> {
  const documents: DocumentSummaryJson[] = [];
  for (let offset = 0; ; offset += DOCUMENTS_PAGE) {
    const page = await client.collections.get(collectionId, { limit: DOCUMENTS_PAGE, offset });
    documents.push(...page.documents);
    if (page.documents.length < DOCUMENTS_PAGE) return documents;
  }
}

export function summariseDocuments(
  documents: DocumentSummaryJson[],
  extensionOf: (filename: string) => string,
): DocumentsOutcome {
  const outcome: DocumentsOutcome = { total: documents.length, by_status: {}, by_type: {}, failed: [], unfinished: [] };
  for (const document of documents) {
    outcome.by_status[document.status] = (outcome.by_status[document.status] ?? 0) + 1;
    const type = (outcome.by_type[extensionOf(document.original_filename)] ??= {});
    type[document.status] = (type[document.status] ?? 0) + 1;
    if (document.status === 'failed' || document.status === 'cancelled')
      outcome.failed.push({ filename: document.original_filename, status: document.status, error: document.error });
    if (document.status === 'uploaded' || document.status === 'processing')
      outcome.unfinished.push({ filename: document.original_filename, status: document.status });
  }
  outcome.failed.sort((a, b) => a.filename.localeCompare(b.filename));
  outcome.unfinished.sort((a, b) => a.filename.localeCompare(b.filename));
  return outcome;
}

export function countTimeouts(errors: (string | null | undefined)[]): TimeoutCounts {
  const present = errors.filter((error): error is string => Boolean(error));
  return {
    heartbeat_timeout: present.filter((error) => /heartbeat timeout/i.test(error)).length,
    any_timeout: present.filter((error) => /time ?out|timed out/i.test(error)).length,
  };
}

export function chunkFigures(status: ProcessingStatusJson) {
  return {
    collection_status: status.status,
    last_error: status.last_error,
    chunks: status.chunks,
    embedded_chunks: status.embedded_chunks,
    embedding_coverage: status.embedding_coverage,
    embedding_provider: status.embedding_provider,
    graph: status.graph,
  };
}

/** The largest PDFs that were stored, and every long one, each read back for its page count and status. */
export async function largestPdfs(
  client: FileIntelClient,
  stored: { file: CorpusFile; documentId: string }[],
  manifest: Map<string, ManifestEntry>,
): Promise<LargePdf[]> {
  const pdfs = stored.filter(({ file }) => file.extension === 'pdf').sort((a, b) => b.file.size - a.file.size);
  const chosen = new Set(pdfs.slice(0, LARGEST_PDFS));
  for (const pdf of pdfs) if ((manifest.get(pdf.file.relative)?.pages ?? 0) >= LONG_PDF_PAGES) chosen.add(pdf);

  const rows = await mapWithConcurrency([...chosen], 4, async ({ file, documentId }): Promise<LargePdf> => {
    const base = {
      file: file.relative,
      bytes: file.size,
      pages_in_manifest: manifest.get(file.relative)?.pages ?? null,
    };
    try {
      const detail = await client.documents.get(documentId);
      return {
        ...base,
        page_count: detail.page_count,
        status: detail.status,
        chunk_count: detail.chunk_count,
        embedded_chunks: detail.embedded_chunks,
        error: detail.error,
      };
    } catch (error) {
      return {
        ...base,
        page_count: null,
        status: 'unknown',
        chunk_count: null,
        embedded_chunks: null,
        error: `could not read the document back: ${(error as Error).message}`,
      };
    }
  });
  return rows.sort(
    (a, b) =>
      (b.pages_in_manifest ?? b.page_count ?? 0) - (a.pages_in_manifest ?? a.page_count ?? 0) || b.bytes - a.bytes,
  );
}
