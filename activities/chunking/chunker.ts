import type { TextSection } from '../extraction/index.ts';
import { tokenizer } from './tokenizer.ts';

export interface ChunkingLimits {
  /** Characters per chunk, about (overlap included). */
  chunkSize: number;
  /** Characters of the previous chunk's end repeated at the start of the next. */
  overlap: number;
  /** Hard cap, in tokens of the real tokenizer. */
  maxTokens: number;
}

export interface Chunk {
  ordinal: number;
  text: string;
  tokenCount: number;
  /** Offsets in the document's joined text (sections separated by a blank line). */
  charStart: number;
  charEnd: number;
  /** Where the overlap ends and this chunk's own text begins. */
  ownStart: number;
  pageStart: number | null;
  pageEnd: number | null;
}

const SECTION_SEPARATOR = '\n\n';
const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Cuts a document into chunks along sentence boundaries: sentences are added
 * while the chunk stays within `chunkSize`; a sentence longer than that is cut
 * at word boundaries; each chunk after the first begins with about `overlap`
 * characters of the previous one (starting on a word). No chunk exceeds
 * `maxTokens` tokens. Each chunk keeps the page range its characters came from.
 */
export function chunkSections(sections: TextSection[], limits: ChunkingLimits): Chunk[] {
  const { text, pageAt } = joinSections(sections);
  const units = sentenceUnits(text, Math.max(1, limits.chunkSize - limits.overlap));
  const chunks: Chunk[] = [];
  let i = 0;
  let previousEnd = -1;
  while (i < units.length) {
    const ownStart = units[i].start;
    let start = previousEnd < 0 || limits.overlap === 0 ? ownStart : overlapStart(text, previousEnd, limits.overlap, ownStart);
    let j = i;
    while (j + 1 < units.length && units[j + 1].end - start <= limits.chunkSize) j++;
    let end = units[j].end;
    let chunkText = text.slice(start, end);
    let tokens = tokenizer().encode(chunkText);
    // The token cap: give back whole sentences first, then cut by tokens.
    while (tokens.length > limits.maxTokens && j > i) {
      j--;
      end = units[j].end;
      chunkText = text.slice(start, end);
      tokens = tokenizer().encode(chunkText);
    }
    if (tokens.length > limits.maxTokens && start < ownStart) {
      // Still over with one sentence: the overlap goes first, so the cut below always moves forward.
      start = ownStart;
      chunkText = text.slice(start, end);
      tokens = tokenizer().encode(chunkText);
    }
    if (tokens.length > limits.maxTokens) {
      chunkText = tokenizer().decode(tokens.slice(0, limits.maxTokens));
      // A cut inside a multi-byte character decodes to U+FFFD; drop it.
      chunkText = chunkText.replace(/\uFFFD+$/, '');
      end = start + chunkText.length;
      tokens = tokenizer().encode(chunkText);
      units[j] = { start: end, end: units[j].end };
      if (units[j].start >= units[j].end) j++;
      else j--; // the rest of this unit starts the next chunk
    }
    const trimmed = chunkText.trim();
    if (trimmed) {
      const lead = chunkText.length - chunkText.trimStart().length;
      chunks.push({
        ordinal: chunks.length,
        text: trimmed,
        tokenCount: trimmed === chunkText ? tokens.length : tokenizer().encode(trimmed).length,
        charStart: start + lead,
        charEnd: start + lead + trimmed.length,
        ownStart: Math.max(ownStart, start + lead),
        pageStart: pageAt(start + lead),
        pageEnd: pageAt(Math.max(start + lead, start + lead + trimmed.length - 1)),
      });
    }
    previousEnd = end;
    i = j + 1;
  }
  return chunks;
}

/** The sections joined into one text, and a lookup from an offset to its page. */
function joinSections(sections: TextSection[]): { text: string; pageAt: (offset: number) => number | null } {
  const starts: number[] = [];
  const pages: (number | null)[] = [];
  let text = '';
  for (const section of sections) {
    if (text) text += SECTION_SEPARATOR;
    starts.push(text.length);
    pages.push(section.page);
    text += section.text;
  }
  const pageAt = (offset: number) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return pages[low] ?? null;
  };
  return { text, pageAt };
}

/** Sentence ranges (blank text dropped); a sentence longer than `maxChars` is cut between words. */
function sentenceUnits(text: string, maxChars: number): { start: number; end: number }[] {
  const units: { start: number; end: number }[] = [];
  for (const { index, segment } of sentenceSegmenter.segment(text)) {
    if (!/\S/.test(segment)) continue;
    const end = index + segment.length;
    let start = index;
    while (end - start > maxChars) {
      let cut = text.lastIndexOf(' ', start + maxChars);
      if (cut <= start) cut = start + maxChars;
      units.push({ start, end: cut });
      start = cut;
    }
    units.push({ start, end });
  }
  return units;
}

/** About `overlap` characters before `end`, starting at a word boundary, never before the previous chunk's own text. */
function overlapStart(text: string, end: number, overlap: number, ownStart: number): number {
  let start = Math.max(0, end - overlap);
  const space = text.indexOf(' ', start);
  if (space >= 0 && space < end) start = space + 1;
  return Math.min(start, ownStart);
}
