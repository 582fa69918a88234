import { isLowSurrogate } from '../chunking/sentences.ts';

/**
 * Words of any script, whole. A word is letters with their combining marks
 * (\p{M}: Hindi's vowel signs and viramas, Thai's tone marks, decomposed
 * accents) and digits, joined by an apostrophe or hyphen; without \p{M} a
 * Devanagari word falls apart at every vowel sign. Scripts written without
 * spaces between words (Thai, Lao, Khmer, Myanmar, Chinese, Japanese) are cut
 * into words by Intl.Segmenter's dictionaries.
 */
const WORD_CHARACTERS = '\\p{L}\\p{M}\\p{N}';
const RUN = new RegExp(`[${WORD_CHARACTERS}]+(?:['’-][${WORD_CHARACTERS}]+)*`, 'gu');
const EDGES = new RegExp(`^[^${WORD_CHARACTERS}]+|[^${WORD_CHARACTERS}]+$`, 'gu');
const UNSPACED =
  /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const LETTER = /[\p{L}\p{N}]/u;
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
/** Intl.Segmenter's time grows with the whole string on each segment it yields (see chunking/sentences.ts): it sees windows of this many characters at most. */
const WINDOW = 1_024;

/**
 * `text` without what cannot be part of a word at its ends ("(Paris)," →
 * "Paris", "नमस्ते।" → "नमस्ते"): the same word characters as wordsOf, so a
 * name or a term is compared by what wordsOf would read in it.
 */
export function trimToWord(text: string): string {
  // most words start and end with an ASCII letter or digit: nothing to trim, no regex to run
  if (
    text.length > 0 &&
    isAsciiAlphanumeric(text.charCodeAt(0)) &&
    isAsciiAlphanumeric(text.charCodeAt(text.length - 1))
  )
    return text;
  return text.replace(EDGES, '');
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** The words of `text`, in order. */
export function* wordsOf(text: string): Generator<string> {
  // Most text has no unspaced script: one scan says so, and its runs are its words.
  if (!UNSPACED.test(text)) {
    for (const [run] of text.matchAll(RUN)) yield run;
    return;
  }
  for (const [run] of text.matchAll(RUN)) {
    if (UNSPACED.test(run)) yield* segmentedWords(run);
    else yield run;
  }
}

/**
 * Words near a window's end may be cut differently once the text after them is
 * seen (a dictionary joins กรุง and เทพ…): only words ending this far before a
 * window's end are taken, the rest is read again in the next window.
 */
const LOOKAHEAD = 64;

/** An unspaced run cut by the segmenter, window by window. */
function* segmentedWords(run: string): Generator<string> {
  for (let at = 0; at < run.length;) {
    let end = Math.min(run.length, at + WINDOW);
    if (isLowSurrogate(run, end)) end--; // never between the halves of a character
    const window = run.slice(at, end);
    const settled = end === run.length ? window.length : window.length - LOOKAHEAD;
    let read = 0;
    for (const { segment, index } of wordSegmenter.segment(window)) {
      if (read > 0 && index + segment.length > settled) break;
      if (LETTER.test(segment)) yield segment;
      read = index + segment.length;
    }
    at += read;
  }
}
