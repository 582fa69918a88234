// compromise's isSentence (methods.one.tokenize.isSentence: whether a piece its
// sentence splitter cut off is a sentence, or is to be joined to the next one)
// with the same answers, found by reading the piece's end instead of running
// end-anchored regexes over the whole piece (V8 tries them at every position)
// and splitting it into words for the last one: 4 % of entitiesOf's time.
// The steps follow compromise's src/1-one/tokenize/methods/01-sentences/
// is-sentence.js (v14.17, pinned in package.json; MIT licensed);
// test/unit/compromise-is-sentence.test.ts compares the two.
import nlp from 'compromise';

const HAS_LETTER = /\p{L}/u;
const isAsciiLetter = (code: number) => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
const SPACE = 0x20;
const DOT = 0x2e;

/** Whether `piece` looks like a sentence to compromise: a drop-in for its isSentence. */
export function isSentence(piece: string, abbreviations: Record<string, unknown>): boolean {
  if (!HAS_LETTER.test(piece)) return false;
  // the end without its spaces (compromise's regexes end in ` *$`: spaces only)
  let end = piece.length;
  while (end > 0 && piece.charCodeAt(end - 1) === SPACE) end--;
  const last = end > 0 ? piece.charCodeAt(end - 1) : -1;
  // an acronym's letter at the end, "F.B.I." or "n.s.a": /[ .][A-Z]\.? *$/i
  const letterAt = last === DOT ? end - 2 : end - 1;
  if (letterAt >= 1 && isAsciiLetter(piece.charCodeAt(letterAt))) {
    const before = piece.charCodeAt(letterAt - 1);
    if (before === SPACE || before === DOT) return false;
  }
  // a leading initial, "W. Kensington"
  if (piece.length === 3 && /^[A-Z]\. $/.test(piece)) return false;
  // an ellipsis: /(?:\u2026|\.{2,}) *$/
  if (last === 0x2026 || (last === DOT && end >= 2 && piece.charCodeAt(end - 2) === DOT)) return false;
  // an abbreviation ending in a period, "Mr."; the last word is read after one end mark is taken off
  if (last === DOT) {
    const text = piece.slice(0, end - 1);
    const lastWord = text.slice(text.lastIndexOf(' ') + 1).toLowerCase();
    if (Object.hasOwn(abbreviations, lastWord)) return false;
  }
  return true;
}

interface Tokenize {
  isSentence: typeof isSentence;
}
const { tokenize } = (nlp.world() as unknown as { methods: { one: { tokenize: Tokenize } } }).methods.one;

/**
 * `work` run with this isSentence in compromise's place; compromise's own is put
 * back after, so nothing else in the process sees the change.
 */
export function withFasterIsSentence<T>(work: () => T): T {
  const own = tokenize.isSentence;
  tokenize.isSentence = isSentence;
  try {
    return work();
  } finally {
    tokenize.isSentence = own;
  }
}
