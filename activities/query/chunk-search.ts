import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';

export interface ChunkSearchRequest {
  collectionId: string;
  query: string;
  k: number;
  mode: string;
  filters?: { documentIds?: string[]; pageFrom?: number; pageTo?: number; metadata?: Record<string, string> };
}

export interface ChunkHit {
  documentId: string;
  documentName: string;
  ordinal: number;
  pageStart: number | null;
  pageEnd: number | null;
  headingPath: string[] | null;
  text: string;
  snippet: string;
  scores: Record<string, number | null>;
}

export interface ChunkSearchAnswer {
  mode: string;
  vectorSearch: string | null;
  hits: ChunkHit[];
}

/**
 * Full-text search over the processed chunks of a collection: any of the
 * question's words (`simple` configuration), ranked by ts_rank. Text only:
 * the answer says no vector search was used.
 */
export async function searchChunks(
  sql: Sql,
  _settings: Config,
  request: ChunkSearchRequest,
): Promise<ChunkSearchAnswer> {
  const words = [...new Set(request.query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 64);
  if (words.length === 0) return { mode: 'text', vectorSearch: null, hits: [] };
  const tsquery = words.join(' | ');
  const documentIds = request.filters?.documentIds ?? null;
  const rows = await sql<
    {
      document_id: string;
      original_filename: string;
      ordinal: number;
      page_start: number | null;
      page_end: number | null;
      text: string;
      rank: number;
    }[]
  >`
    SELECT c.document_id, d.original_filename, c.ordinal, c.page_start, c.page_end, c.text,
           ts_rank(to_tsvector('simple', c.text), to_tsquery('simple', ${tsquery}))::float8 AS rank
    FROM chunks c JOIN documents d ON d.id = c.document_id
    WHERE d.collection_id = ${request.collectionId} AND d.status = 'processed'
      AND (${documentIds}::uuid[] IS NULL OR d.id = ANY(${documentIds}::uuid[]))
      AND to_tsvector('simple', c.text) @@ to_tsquery('simple', ${tsquery})
    ORDER BY rank DESC, c.document_id, c.ordinal
    LIMIT ${request.k}`;
  return {
    mode: 'text',
    vectorSearch: null,
    hits: rows.map((row) => ({
      documentId: row.document_id,
      documentName: row.original_filename,
      ordinal: row.ordinal,
      pageStart: row.page_start,
      pageEnd: row.page_end,
      headingPath: null,
      text: row.text,
      snippet: row.text.slice(0, 300),
      scores: { text: row.rank },
    })),
  };
}
