// The corpus on disk: its files (recursively), split into those the API
// accepts by extension and the rest, and what MANIFEST.tsv says about each
// (page counts from pdfinfo, source package), so the report can name them.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const MANIFEST_NAME = 'MANIFEST.tsv';

export interface CorpusFile {
  path: string;
  /** Relative to the corpus directory, with / separators. */
  relative: string;
  extension: string;
  size: number;
}

export interface ManifestEntry {
  type: string;
  bytes: number;
  pages: number | null;
  source: string;
}

/** Every regular file below `dir` (hidden ones and the manifest left out), sorted by path. */
export async function listCorpus(
  dir: string,
  allowedExtensions: string[],
): Promise<{ accepted: CorpusFile[]; skipped: CorpusFile[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const accepted: CorpusFile[] = [];
  const skipped: CorpusFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, full).split(path.sep).join('/');
    if (relative === MANIFEST_NAME || relative.split('/').some((part) => part.startsWith('.'))) continue;
    const extension = path.extname(entry.name).slice(1).toLowerCase();
    const file = { path: full, relative, extension, size: (await stat(full)).size };
    (allowedExtensions.includes(extension) ? accepted : skipped).push(file);
  }
  const byPath = (a: CorpusFile, b: CorpusFile) => a.relative.localeCompare(b.relative);
  return { accepted: accepted.sort(byPath), skipped: skipped.sort(byPath) };
}

/**
 * MANIFEST.tsv by relative path: a header line, then
 * path, type, bytes, pages (empty when unknown), source package.
 */
export async function readManifest(dir: string): Promise<Map<string, ManifestEntry>> {
  const file = path.join(dir, MANIFEST_NAME);
  const manifest = new Map<string, ManifestEntry>();
  if (!existsSync(file)) return manifest;
  const lines = (await readFile(file, 'utf8')).split('\n').slice(1);
  for (const line of lines) {
    if (!line.trim()) continue;
    const [relative, type, bytes, pages, source] = line.split('\t');
    manifest.set(relative, { type, bytes: Number(bytes), pages: pages ? Number(pages) : null, source: source ?? '' });
  }
  return manifest;
}
