import type { HeadingMark, TextSection } from '../extraction/index.ts';
import { isLowSurrogate, sentenceRanges, type Range } from './sentences.ts';
import { countTokens, decode, encode } from './tokenizer.ts';

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
  /** The headings this chunk's own text starts under, outermost first ([] when the text has none). */
  headingPath: string[];
}

const SECTION_SEPARATOR = '\n\n';
/** A heading below the top level starts a new chunk once the current one holds this share of chunkSize. */
const FULL_ENOUGH = 0.5;
/** A top-level heading starts a new chunk unless the current one is a section that holds less than this share (a run of tiny sections shares chunks). */
const NOT_TINY = 0.2;
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * Cuts a document into chunks along sentence boundaries: sentences are added
 * while the chunk stays within `chunkSize`; a sentence longer than that is cut
 * at word boundaries; each chunk after the first begins with about `overlap`
 * characters of the previous one (starting on a word). No chunk exceeds
 * `maxTokens` tokens. Each chunk keeps the page range its characters came from
 * and the heading path its own text starts under.
 *
 * Sections: a chunk does not run on into a new top-level section (the
 * shallowest heading level that occurs more than once) unless it is a tiny
 * section of its own (NOT_TINY: tiny sections share a chunk rather than make
 * tiny chunks), and
 * ends before any other heading once it is reasonably full (FULL_ENOUGH); a
 * chunk that starts at a heading takes no overlap from the section before.
 *
 * Time is linear in the text: every search is bounded by a chunk's length and
 * each chunk is tokenized a bounded number of times.
 */
export function chunkSections(sections: TextSection[], limits: ChunkingLimits): Chunk[] {
  const { text, pageAt, marks } = joinSections(sections);
  const units = sentenceUnits(text, Math.max(1, limits.chunkSize - limits.overlap), marks);
  const starts = sectionStarts(units, marks);
  const top = topLevel(marks);
  /** Whether unit k starts a section the chunk whose own text begins with unit i should end before. */
  const breaksBefore = (k: number, i: number) => {
    if (starts[k] === 0) return false;
    const held = units[k].start - units[i].start;
    // A top section ends the chunk, unless the chunk is a tiny section of its own (tiny sections share a chunk).
    if (starts[k] <= top) return starts[i] === 0 || held >= NOT_TINY * limits.chunkSize;
    return held >= FULL_ENOUGH * limits.chunkSize;
  };
  const pathAt = headingPathAt(marks);
  const tokensIn = lastCounted();
  /** Whether the chunk [from, to) would stay within the cap; it is stored trimmed, so the trimmed text is counted. */
  const fits = (from: number, to: number) => tokensIn(trimmedText(text, from, to)) <= limits.maxTokens;
  const chunks: Chunk[] = [];
  let i = 0;
  /** The previous chunk's own text, where the next chunk's overlap comes from. */
  let previous: Range | undefined;
  while (i < units.length) {
    const ownStart = units[i].start;
    let start =
      previous === undefined || limits.overlap === 0 || starts[i] > 0
        ? ownStart
        : overlapStart(text, previous, limits.overlap, ownStart);
    let j = i;
    while (j + 1 < units.length && units[j + 1].end - start <= limits.chunkSize && !breaksBefore(j + 1, i)) j++;
    // The token cap: give back whole sentences first, as few as need be.
    if (j > i && !fits(start, units[j].end)) j = lastFitting(i, j - 1, (k) => fits(start, units[k].end));
    let end = units[j].end;
    let next = j + 1;
    if (!fits(start, end)) {
      // Still over with one sentence: cut it by tokens. The overlap stays if the cut still moves past it.
      let cut = start < ownStart ? tokenCapEnd(text, start, end, limits.maxTokens) : ownStart;
      if (cut <= ownStart) {
        start = ownStart;
        cut = fits(start, end) ? end : tokenCapEnd(text, start, end, limits.maxTokens);
      }
      end = cut;
      if (end < units[j].end) {
        units[j] = { start: end, end: units[j].end };
        starts[j] = 0; // the rest of a sentence starts no section
        next = j; // the rest of this sentence starts the next chunk
      }
    }
    const { start: charStart, end: charEnd } = trimmedRange(text, start, end);
    if (charEnd > charStart) {
      const chunkText = text.slice(charStart, charEnd);
      chunks.push({
        ordinal: chunks.length,
        text: chunkText,
        tokenCount: tokensIn(chunkText),
        charStart,
        charEnd,
        ownStart: Math.max(ownStart, charStart),
        pageStart: pageAt(charStart),
        pageEnd: pageAt(charEnd - 1),
        headingPath: pathAt(Math.max(ownStart, charStart)),
      });
    }
    previous = { start: ownStart, end };
    i = next;
  }
  return chunks;
}

/** The sections joined into one text, a lookup from an offset to its page, and the heading marks at their offsets in the joined text. */
function joinSections(sections: TextSection[]): {
  text: string;
  pageAt: (offset: number) => number | null;
  marks: HeadingMark[];
} {
  const starts: number[] = [];
  const marks: HeadingMark[] = [];
  const pages: (number | null)[] = [];
  const parts: string[] = [];
  let length = 0;
  for (const section of sections) {
    if (length > 0) {
      parts.push(SECTION_SEPARATOR);
      length += SECTION_SEPARATOR.length;
    }
    starts.push(length);
    pages.push(section.page);
    for (const mark of section.headings ?? []) marks.push({ offset: length + mark.offset, path: mark.path });
    parts.push(section.text);
    length += section.text.length;
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
  return { text: parts.join(''), pageAt, marks };
}

/**
 * For each unit, the depth of the shallowest heading that starts at it or in the
 * blank text before it (0: none), so the chunker knows where sections begin.
 * One pass: marks and units are both in order.
 */
function sectionStarts(units: Range[], marks: HeadingMark[]): number[] {
  const depths = new Array<number>(units.length).fill(0);
  let m = 0;
  for (let k = 0; k < units.length; k++) {
    while (m < marks.length && marks[m].offset <= units[k].start) {
      const depth = marks[m].path.length;
      if (depth > 0 && (depths[k] === 0 || depth < depths[k])) depths[k] = depth;
      m++;
    }
  }
  return depths;
}

/** The top level of a document's sections: the shallowest heading depth that occurs more than once (a lone title above them does not count). */
function topLevel(marks: HeadingMark[]): number {
  const seen = new Map<number, string>();
  let top = Number.POSITIVE_INFINITY;
  for (const { path } of marks) {
    const depth = path.length;
    if (depth === 0 || depth >= top) continue;
    const key = path.join('\u0000');
    const earlier = seen.get(depth);
    if (earlier === undefined) seen.set(depth, key);
    else if (earlier !== key) top = depth;
  }
  return top === Number.POSITIVE_INFINITY ? 0 : top;
}

/** The heading path in effect at an offset; offsets must be asked in increasing order (a pointer walks the marks once). */
function headingPathAt(marks: HeadingMark[]): (offset: number) => string[] {
  let m = 0;
  let path: string[] = [];
  return (offset) => {
    while (m < marks.length && marks[m].offset <= offset) path = marks[m++].path;
    return path;
  };
}

/**
 * Sentence ranges (blank text dropped), also cut where a heading starts; a
 * sentence longer than `maxChars` is cut between words.
 */
function sentenceUnits(text: string, maxChars: number, marks: HeadingMark[]): Range[] {
  const units: Range[] = [];
  let m = 0;
  for (const sentence of sentenceRanges(text)) {
    for (const piece of cutAtMarks(sentence, marks, m)) {
      m = piece.nextMark;
      pushSentence(text, piece, maxChars, units);
    }
  }
  return units;
}

/** A sentence cut at the heading marks inside it; `nextMark` is the first mark not yet passed. */
function cutAtMarks(sentence: Range, marks: HeadingMark[], from: number): (Range & { nextMark: number })[] {
  let m = from;
  while (m < marks.length && marks[m].offset <= sentence.start) m++;
  const pieces: (Range & { nextMark: number })[] = [];
  let start = sentence.start;
  while (m < marks.length && marks[m].offset < sentence.end) {
    if (marks[m].offset > start) {
      pieces.push({ start, end: marks[m].offset, nextMark: m });
      start = marks[m].offset;
    }
    m++;
  }
  pieces.push({ start, end: sentence.end, nextMark: m });
  return pieces;
}

function pushSentence(text: string, { start: first, end }: Range, maxChars: number, units: Range[]): void {
  if (!/\S/.test(text.slice(first, end))) return;
  let start = first;
  while (end - start > maxChars) {
    // The last space within reach (searched in a slice: an unbounded lastIndexOf walks back through the whole text).
    const space = text.slice(start + 1, start + maxChars + 1).lastIndexOf(' ');
    let cut = space >= 0 ? start + 1 + space : start + maxChars;
    if (space < 0 && isLowSurrogate(text, cut) && cut - 1 > start) cut--;
    units.push({ start, end: cut });
    start = cut;
  }
  units.push({ start, end });
}

/**
 * About `overlap` characters before `end`, starting on a word (after a space,
 * or where the word segmenter finds one begin in text without spaces, such
 * as Thai or Japanese), never before the previous chunk's own text. No
 * overlap when no word begins in it (a long run of one character).
 */
function overlapStart(text: string, previous: Range, overlap: number, ownStart: number): number {
  const end = previous.end;
  const from = Math.max(previous.start, end - overlap);
  const space = text.slice(from, end).indexOf(' ');
  return Math.min(space >= 0 ? from + space + 1 : wordStartFrom(text, from, end), ownStart);
}

/** Characters the word segmenter sees on either side of the overlap, to know the words at its edges. */
const WORD_CONTEXT = 32;

/** The first word boundary at or after `from` and before `end`; `end` if there is none. */
function wordStartFrom(text: string, from: number, end: number): number {
  const context = Math.max(0, from - WORD_CONTEXT);
  for (const { index } of wordSegmenter.segment(text.slice(context, end + WORD_CONTEXT))) {
    if (context + index >= end) break;
    if (context + index >= from) return context + index;
  }
  return end;
}

/** The largest k in [low, high] for which `fits(k)` holds (fits grows false as k grows); `low` if none does. */
function lastFitting(low: number, high: number, fits: (k: number) => boolean): number {
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * Where a chunk starting at `start` must end to hold at most `maxTokens`
 * tokens once trimmed: after its first `maxTokens` tokens, on a whole
 * character, less if re-encoding that text gives more. At least one
 * character past the leading whitespace, so the chunker always moves on.
 */
function tokenCapEnd(text: string, start: number, end: number, maxTokens: number): number {
  const from = trimmedRange(text, start, end).start;
  const tail = text.slice(from, end);
  const tokens = encode(tail);
  let keep = maxTokens;
  for (;;) {
    // A cut inside a multi-byte character decodes to U+FFFD; drop it.
    const length = decode(tokens.slice(0, Math.max(0, keep))).replace(/\uFFFD+$/, '').length;
    if (length === 0) return from + String.fromCodePoint(tail.codePointAt(0)!).length;
    const count = countTokens(tail.slice(0, length).trimEnd());
    if (count <= maxTokens) return from + length;
    keep -= count - maxTokens;
  }
}

/** The range [start, end) without the whitespace at its ends (what String.prototype.trim drops). */
function trimmedRange(text: string, start: number, end: number): Range {
  const slice = text.slice(start, end);
  const from = start + slice.length - slice.trimStart().length;
  return { start: from, end: Math.max(from, start + slice.trimEnd().length) };
}

function trimmedText(text: string, start: number, end: number): string {
  return text.slice(start, end).trim();
}

/** countTokens that remembers its last answer: a chunk's text is counted when fitted and again when stored. */
function lastCounted(): (text: string) => number {
  let last: string | undefined;
  let count = 0;
  return (text) => {
    if (text !== last) {
      last = text;
      count = countTokens(text);
    }
    return count;
  };
}
