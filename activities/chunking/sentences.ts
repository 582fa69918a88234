export interface Range {
  start: number;
  end: number;
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Intl.Segmenter spends time proportional to the whole string on every
 * sentence it yields (1 MB of text took 16 s, 10 KB windows of it 40 ms), so
 * it only ever sees windows of at most this many characters.
 */
const WINDOW = 4_096;

/**
 * The sentences of `text`, in order, covering it. A window ends after a line
 * break where it has one (a line break always ends a sentence); otherwise its
 * last sentence, which may go on past the window, is read again at the start
 * of the next. A sentence longer than a whole window ends at its last space in
 * the window (the chunker cuts such sentences between words anyway).
 */
export function* sentenceRanges(text: string): Generator<Range> {
  let at = 0;
  while (at < text.length) {
    let stop = Math.min(text.length, at + WINDOW);
    if (isLowSurrogate(text, stop)) stop--; // never between the halves of a character
    let complete = stop === text.length;
    if (!complete) {
      const lineBreak = text.slice(at, stop).lastIndexOf('\n');
      if (lineBreak >= 0) {
        stop = at + lineBreak + 1;
        complete = true;
      }
    }
    const window = text.slice(at, stop);
    const found: Range[] = [];
    for (const { index, segment } of sentenceSegmenter.segment(window))
      found.push({ start: at + index, end: at + index + segment.length });
    if (!complete) {
      if (found.length > 1) found.pop();
      else {
        const space = window.lastIndexOf(' ');
        found[0].end = space > 0 ? at + space + 1 : stop;
      }
    }
    yield* found;
    at = found[found.length - 1].end;
  }
}

export function isLowSurrogate(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff;
}
