import path from 'node:path/posix';
import { XMLParser } from 'fast-xml-parser';
import { htmlToText } from './html.ts';
import { BoundedZip } from './bounded-zip.ts';
import type { ArchiveLimits } from '../../common/archive-limits.ts';
import {
  cleanProperties,
  isoDate,
  UnreadableDocumentError,
  type ExtractedDocument,
  type PageRange,
  type TextSection,
} from './types.ts';

const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '' });
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
/** dc:* elements may be text or `{#text, id, ...}`. */
const textOf = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'object'
      ? textOf((value as Record<string, unknown>)['#text'])
      : String(value);

/**
 * The chapters of an epub in reading order (the OPF spine), each one a "page"
 * numbered by its place in the spine, and its Dublin Core metadata. With
 * `range`, only those chapters are read (a long book is committed a few
 * chapters at a time); `pageCount` is still the book's. Each chapter's
 * heading path starts afresh, so a range needs no chapter before it.
 */
export async function extractEpub(
  bytes: Uint8Array,
  onChapter?: () => void,
  range?: PageRange,
  limits?: ArchiveLimits,
): Promise<ExtractedDocument> {
  let zip: BoundedZip;
  try {
    zip = await BoundedZip.open(bytes, limits);
  } catch (error) {
    if (error instanceof UnreadableDocumentError) throw error;
    throw new UnreadableDocumentError(
      'corrupt_file',
      `the epub is not a valid zip archive: ${(error as Error).message}`,
    );
  }
  const container = await zip.file('META-INF/container.xml')?.async('string');
  if (!container) throw new UnreadableDocumentError('corrupt_file', 'the epub has no META-INF/container.xml');
  const rootfile = list(xml.parse(container)?.container?.rootfiles?.rootfile)[0] as
    { 'full-path'?: string } | undefined;
  const opfPath = rootfile?.['full-path'];
  const opfText = opfPath ? await zip.file(opfPath)?.async('string') : undefined;
  if (!opfPath || !opfText)
    throw new UnreadableDocumentError('corrupt_file', 'the epub names no readable package (OPF) file');

  const opf = xml.parse(opfText)?.package ?? {};
  const manifest = new Map<string, string>();
  for (const item of list(opf.manifest?.item) as { id: string; href: string }[]) manifest.set(item.id, item.href);
  const spine = list(opf.spine?.itemref) as { idref: string }[];
  if (spine.length === 0)
    throw new UnreadableDocumentError('corrupt_file', 'the epub has an empty spine (no chapters)');

  const sections: TextSection[] = [];
  const base = path.dirname(opfPath);
  const first = Math.max(1, range?.first ?? 1);
  const last = Math.min(spine.length, range?.last ?? spine.length);
  for (let chapter = first; chapter <= last; chapter++) {
    const href = manifest.get(spine[chapter - 1].idref);
    const file = href ? zip.file(path.normalize(path.join(base, decodeURIComponent(href)))) : null;
    if (file) {
      const { text, headings } = htmlToText(await file.async('string'));
      const fresh = headings[0]?.offset === 0 ? headings : [{ offset: 0, path: [] }, ...headings];
      if (text.trim()) sections.push({ text, page: chapter, headings: fresh });
    }
    onChapter?.();
  }

  const meta = opf.metadata ?? {};
  return {
    format: 'epub',
    sections,
    pageCount: spine.length,
    extent: spine.length,
    pageUnit: 'chapter',
    properties: cleanProperties({
      title: textOf(list(meta.title)[0]),
      authors: list(meta.creator)
        .map(textOf)
        .filter((name): name is string => !!name),
      created: isoDate(textOf(list(meta.date)[0])),
      language: textOf(list(meta.language)[0]),
      subject: textOf(list(meta.subject)[0]),
    }),
  };
}
