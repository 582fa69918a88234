// What search and the query workflow both say about a chunk: types only, so workflow code can share them.

/** Where a chunk is: its document, its place in it, and the pages and headings where the format has them. */
export interface ChunkLocation {
  documentId: string;
  documentName: string;
  ordinal: number;
  pageStart: number | null;
  pageEnd: number | null;
  /** Headings above the chunk, outermost first, where the format has them. */
  headingPath: string[] | null;
}
