import type { HeadingMark, PageRange } from './types.ts';

/** Where a whole text goes as it passes through a window (rendered-cache.ts keeps it for the next ranges). */
export interface TextSink {
  text(piece: string): void;
  /** A heading starts at this offset of the whole text. */
  heading(offset: number, path: string[]): void;
}

/** A range boundary falling inside a line longer than this is cut there, not at the line's end. */
const LONGEST_LINE_SEARCHED = 10_000;

/**
 * Collects the characters `range.first`..`range.last` (1-based) of a text that
 * arrives in pieces, so a document read in ranges of characters keeps only its
 * range in memory. Each boundary moves forward to the next line start (or at
 * most LONGEST_LINE_SEARCHED characters on), so a range never cuts a line and
 * range k ends exactly where range k + 1 begins. Headings outside the window
 * are remembered: the window's text starts under the path in effect there.
 * Without a range, everything is kept.
 */
export class TextWindow {
  /** Characters seen so far, in or out of the window. */
  private seen = 0;
  private state: 'before' | 'inside' | 'after';
  private readonly parts: string[] = [];
  private kept = 0;
  private readonly marks: HeadingMark[] = [];
  private path: string[] = [];
  /** Whether the last character seen ended a line (true at the start: offset 0 is a line start). */
  private atLineStart = true;
  private readonly start: number;
  private readonly end: number;

  /** `tee` receives the whole text, in and out of the window. */
  constructor(
    range?: PageRange,
    private readonly tee?: TextSink,
  ) {
    this.start = range ? Math.max(0, range.first - 1) : 0;
    this.end = range ? Math.max(this.start, range.last) : Number.POSITIVE_INFINITY;
    this.state = 'before';
    if (this.start === 0) this.enter();
  }

  /**
   * Starts the window's reading at `offset` of the text (before the range),
   * under the headings in effect there: for a text read back from where it
   * was kept, not from its beginning. Only before the first push.
   */
  resumeAt(offset: number, path: string[]): void {
    if (offset <= 0 || this.state !== 'before') return;
    this.seen = offset;
    this.path = path;
    this.atLineStart = false; // the window starts after the line start at `offset`, if it is one
  }

  /** A heading starts here: the text after it is under `path`. */
  heading(path: string[]): void {
    this.path = path;
    this.tee?.heading(this.seen, path);
    if (this.state === 'inside') this.marks.push({ offset: this.kept, path });
  }

  /** The next piece of the text, with the headings that start in it (offsets within the piece, in order). */
  push(piece: string, headings: HeadingMark[] = []): void {
    let at = 0;
    for (const mark of headings) {
      this.pushPlain(piece.slice(at, mark.offset));
      at = mark.offset;
      this.heading(mark.path);
    }
    this.pushPlain(at === 0 ? piece : piece.slice(at));
  }

  /** The whole text's length so far: after the last push, the document's extent in characters. */
  get length(): number {
    return this.seen;
  }

  /** The window's text and its headings (a first mark at 0 carries the path in effect where it starts). */
  result(): { text: string; headings: HeadingMark[] } {
    return { text: this.parts.join(''), headings: this.marks };
  }

  private pushPlain(piece: string): void {
    if (piece !== '') this.tee?.text(piece);
    let from = 0;
    while (from < piece.length) {
      if (this.state === 'after') {
        this.advance(piece, from, piece.length);
        return;
      }
      const cut = this.cutIn(piece, from, this.state === 'before' ? this.start : this.end);
      const to = cut < 0 ? piece.length : cut;
      if (this.state === 'inside') this.keep(piece.slice(from, to));
      this.advance(piece, from, to);
      from = to;
      if (cut < 0) return;
      if (this.state === 'before') this.enter();
      else this.state = 'after';
    }
  }

  /**
   * Where in `piece` (from `from` on) the cut for `boundary` falls: the first
   * position at or after it that starts a line, or boundary + LONGEST_LINE_SEARCHED;
   * -1 when it is not in this piece.
   */
  private cutIn(piece: string, from: number, boundary: number): number {
    const base = this.seen - from; // the global offset of piece[0]
    const earliest = boundary - base;
    if (earliest > piece.length) return -1;
    if (earliest <= from) {
      // The boundary is behind us: the cut is the next line start from here.
      if (from === 0 ? this.atLineStart : piece[from - 1] === '\n') return from;
    } else if (piece[earliest - 1] === '\n') return earliest;
    const searchFrom = Math.max(from, earliest);
    const latest = boundary + LONGEST_LINE_SEARCHED - base;
    const newline = piece.indexOf('\n', searchFrom);
    if (newline >= 0 && newline + 1 <= latest) return newline + 1;
    if (latest <= piece.length) {
      // Never between the halves of a surrogate pair.
      const code = piece.charCodeAt(latest);
      return code >= 0xdc00 && code <= 0xdfff ? latest + 1 : Math.max(latest, from);
    }
    return -1;
  }

  private advance(piece: string, from: number, to: number): void {
    if (to <= from) return;
    this.seen += to - from;
    this.atLineStart = piece[to - 1] === '\n';
  }

  private enter(): void {
    this.state = 'inside';
    if (this.path.length > 0) this.marks.push({ offset: 0, path: this.path });
  }

  private keep(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.kept += text.length;
  }
}

/** A whole rendered text cut to a range of its characters (see TextWindow), with its extent. */
export function windowOf(
  { text, headings }: { text: string; headings: HeadingMark[] },
  range: PageRange | undefined,
  tee?: TextSink,
): { text: string; headings: HeadingMark[]; extent: number } {
  if (!range && !tee) return { text, headings, extent: text.length };
  const window = new TextWindow(range, tee);
  window.push(text, headings);
  return { ...window.result(), extent: window.length };
}
