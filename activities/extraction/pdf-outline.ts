import type { HeadingMark } from './types.ts';

/** The part of pdf.js's document proxy the outline needs. */
export interface OutlineSource {
  getOutline(): Promise<OutlineItem[] | null>;
  getDestination(name: string): Promise<unknown[] | null>;
  getPageIndex(ref: { num: number; gen: number }): Promise<number>;
}

interface OutlineItem {
  title: string;
  dest: string | unknown[] | null;
  items: OutlineItem[];
}

/** A heading's text longer than this is cut in its path. */
const MAX_HEADING_CHARS = 200;
/** Outline entries resolved at most: a broken outline cannot make a range slow. */
const MAX_ENTRIES = 20_000;

/** The PDF's outline (bookmarks) as headings with the page each points to, in outline order; [] when it has none or it cannot be read. */
export async function outlineEntries(pdf: OutlineSource): Promise<{ page: number; path: string[] }[]> {
  let outline: OutlineItem[] | null;
  try {
    outline = await pdf.getOutline();
  } catch {
    return [];
  }
  const entries: { page: number; path: string[] }[] = [];
  const walk = async (items: OutlineItem[], parents: string[]) => {
    for (const item of items) {
      if (entries.length >= MAX_ENTRIES) return;
      const title = (item.title ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_HEADING_CHARS);
      const path = title ? [...parents, title] : parents;
      const page = await pageOf(pdf, item.dest);
      if (title && page !== null) entries.push({ page, path });
      if (item.items?.length) await walk(item.items, path);
    }
  };
  await walk(outline ?? [], []);
  return entries;
}

/** The 1-based page a destination points to, or null (an external link, a broken reference). */
async function pageOf(pdf: OutlineSource, dest: OutlineItem['dest']): Promise<number | null> {
  try {
    const explicit = typeof dest === 'string' ? await pdf.getDestination(dest) : dest;
    const target = explicit?.[0];
    if (typeof target === 'number') return target + 1;
    if (target && typeof target === 'object' && 'num' in target)
      return (await pdf.getPageIndex(target as { num: number; gen: number })) + 1;
  } catch {
    // a destination pdf.js cannot resolve is no heading
  }
  return null;
}

/**
 * Heading marks for the pages of a range: each outline entry pointing to a
 * page marks where its title first appears in that page's text (the page's
 * start when it does not), and the range's first page starts under the path
 * in effect after the pages before it.
 */
export function outlineMarks(
  entries: { page: number; path: string[] }[],
  sections: { text: string; page: number | null }[],
): HeadingMark[][] {
  const byPage = new Map<number, string[][]>();
  for (const entry of entries) {
    const paths = byPage.get(entry.page);
    if (paths) paths.push(entry.path);
    else byPage.set(entry.page, [entry.path]);
  }
  const firstPage = sections[0]?.page ?? 1;
  let before: string[] = [];
  for (const entry of [...entries].sort((a, b) => a.page - b.page)) if (entry.page < firstPage) before = entry.path;
  return sections.map((section, i) => {
    const marks: HeadingMark[] = [];
    if (i === 0 && before.length > 0) marks.push({ offset: 0, path: before });
    let at = 0;
    for (const path of byPage.get(section.page ?? -1) ?? []) {
      const found = section.text.indexOf(path[path.length - 1], at);
      at = found >= 0 ? found : at;
      marks.push({ offset: at, path });
    }
    return marks;
  });
}
