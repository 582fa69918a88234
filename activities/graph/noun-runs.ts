// What compromise would tag in a sentence that names nothing, without running
// its tagger: the word-level part of it (its lexicon, its suffix rules, its
// fallback to a noun), enough to find runs of nouns for key terms and to tell
// which sentences may name a person, a place or an organisation.
import nlp from 'compromise';
import { trimToWord } from '../text/words.ts';

interface TagInfo {
  parents?: string[];
}

interface CompromiseModel {
  one: { lexicon: Record<string, string | string[]>; tagSet: Record<string, TagInfo> };
  two: {
    suffixPatterns: (Record<string, string> | null)[];
    orgWords: Record<string, boolean>;
    placeWords: Record<string, boolean>;
  };
}

const model = (nlp.world() as unknown as { model: CompromiseModel }).model;
const { lexicon, tagSet } = model.one;

const isA = (tag: string, ancestor: string) => tag === ancestor || (tagSet[tag]?.parents ?? []).includes(ancestor);
const tagsOf = (word: string): string[] | undefined => {
  if (!Object.hasOwn(lexicon, word)) return undefined;
  const tags = lexicon[word];
  return Array.isArray(tags) ? tags : [tags];
};

const NAMED = ['Person', 'Place', 'Organization', 'ProperNoun'];
/** Not part of a key term even when a noun (the filter of entitiesOf). */
const NOT_TERMS = ['Pronoun', 'Person', 'Place', 'Organization', 'Value', 'Date'];

/** Lower-case words that alone may make compromise see a person, a place or an organisation. */
const NAMING_WORDS = new Set<string>([...Object.keys(model.two.orgWords), ...Object.keys(model.two.placeWords)]);
for (const [entry, tags] of Object.entries(lexicon)) {
  const list = Array.isArray(tags) ? tags : [tags];
  if (list.some((tag) => NAMED.some((named) => isA(tag, named)))) NAMING_WORDS.add(entry.split(' ').pop()!);
}

const UPPER = /\p{Lu}/u;
const TITLE_CASE = /^\p{Lu}[\p{Ll}'’]/u;
const WORD = /\S+/g;
/** compromise strips a combining mark at a term's start too (not a letter to it). */
const LEADING_MARKS = /^\p{M}+/u;
/** compromise cuts a word into terms at dashes ("Franco-Prussian"); a slash keeps it whole. */
const DASH = /[-–—]/;
const PIECES = /[-–—/]/;
const ASCII_DIGIT = /[0-9]/;
/** ASCII capitals, maybe with dots, hyphens or a plural s: what compromise may read as an acronym. */
const ACRONYM = /^[A-Z][A-Z.'’-]*s?$/;
const MARKS = /\p{M}/gu;
const NOT_ASCII = /[^\0-\x7f]/;

/**
 * Whether compromise may find a person, place or organisation in `sentence`:
 * a term it reads as a proper noun by its case, or a word its lexicon knows
 * as a name, place or organisation (or one of the words that make an
 * organisation or a place, like "university" or "river"). On English text the
 * others name nothing (test/unit/entities.test.ts); what is lost is
 * compromise's reading of sentences in other scripts as all capitals, which
 * made "organisations" of Cyrillic word pairs.
 */
export function mayName(sentence: string): boolean {
  let first = true;
  for (const [word] of sentence.matchAll(WORD)) {
    if (namesSomething(word, first)) return true;
    first = false;
  }
  return false;
}

/** Whether a word may name something as the sentence's first word, and past it (bits of namingOf). */
const NAMES_AS_FIRST = 1;
const NAMES_PAST_FIRST = 2;
/** Words are read again and again (text repeats its words): each word's answer once, for words of up to this many characters. */
const CACHED_WORD_LENGTH = 40;
const CACHED_WORDS = 50_000;
const namingCache = new Map<string, number>();

/** Whether a word is a naming word or holds a proper noun (see mayName), as the sentence's first word or past it. */
function namesSomething(word: string, first: boolean): boolean {
  if (!hasLetterLike(word)) return false;
  // long words (base64, dotted leaders, URLs) seldom come again: answered for their place only, and not kept
  if (word.length > CACHED_WORD_LENGTH) return isNamingWord(word) || (UPPER.test(word) && hasProperTerm(word, first));
  let naming = namingCache.get(word);
  if (naming === undefined) {
    if (isNamingWord(word)) naming = NAMES_AS_FIRST | NAMES_PAST_FIRST;
    else if (!UPPER.test(word)) naming = 0;
    else
      naming = (hasProperTerm(word, true) ? NAMES_AS_FIRST : 0) | (hasProperTerm(word, false) ? NAMES_PAST_FIRST : 0);
    if (namingCache.size >= CACHED_WORDS) namingCache.clear();
    namingCache.set(word, naming);
  }
  return (naming & (first ? NAMES_AS_FIRST : NAMES_PAST_FIRST)) !== 0;
}

/**
 * Whether a word holds a term compromise reads as a proper noun by its case
 * (its checkCase and isAcronym): title case without an ASCII digit, not the
 * sentence's first term; or ASCII capitals, as an acronym. A capital inside a
 * word ("iPhone"), or in a word with digits (base64, "Edges.....456"), is
 * neither. The word is read whole and cut at its dashes, as compromise may
 * or may not cut it.
 */
function hasProperTerm(word: string, first: boolean): boolean {
  const terms = DASH.test(word) ? [word, ...word.split(DASH)] : [word];
  // the first word, whole or as the first of its pieces, is the sentence's first term
  for (let i = first ? 2 : 0; i < terms.length; i++) {
    const term = trimToWord(terms[i]).replace(LEADING_MARKS, '');
    if (TITLE_CASE.test(term) && !ASCII_DIGIT.test(term)) return true;
    if (ACRONYM.test(term) && term !== 'I' && term !== 'A') return true;
  }
  return false;
}

/**
 * Whether a word may be a naming word or hold a proper noun: it has an ASCII
 * letter or a Latin one (every naming word has an ASCII letter, and
 * compromise's normal form takes accents off: "zürich"), a capital of any
 * script (a proper noun by its case), or a character of a naming word without
 * letters (compromise's lexicon has "6"). Most numbers and punctuation
 * ("12.50", "....") and words of other scripts (a Thai or Japanese run without
 * spaces is one long word) are none of these, and are answered in one pass.
 */
function hasLetterLike(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const code = word.charCodeAt(i);
    let kind = characterKinds[code];
    if (kind === UNKNOWN) kind = characterKinds[code] = kindOf(code);
    if (kind === MAY_NAME) return true;
  }
  return false;
}

const UNKNOWN = 0;
const MAY_NAME = 1;
const NAMES_NOTHING = 2;
/** Each UTF-16 code unit's kind once known (surrogates: MAY_NAME, as the character is not read). */
const characterKinds = new Uint8Array(0x10000);
const LATIN_OR_CAPITAL = /[\p{Script=Latin}\p{Lu}]/u;

function kindOf(code: number): number {
  if (code >= 0xd800 && code <= 0xdfff) return MAY_NAME;
  if (IN_NAMING_WORDS_WITHOUT_ASCII_LETTERS[code] === 1) return MAY_NAME;
  if (code < 0x80) {
    const lower = code | 0x20;
    return lower >= 0x61 && lower <= 0x7a ? MAY_NAME : NAMES_NOTHING;
  }
  return LATIN_OR_CAPITAL.test(String.fromCharCode(code)) ? MAY_NAME : NAMES_NOTHING;
}

/** The characters of naming words without an ASCII letter (in compromise 14.17: only "6"), which must be read. */
const IN_NAMING_WORDS_WITHOUT_ASCII_LETTERS = new Uint8Array(0x10000);
for (const word of NAMING_WORDS)
  if (!/[a-z]/i.test(word))
    for (let i = 0; i < word.length; i++) IN_NAMING_WORDS_WITHOUT_ASCII_LETTERS[word.charCodeAt(i)] = 1;

/** Whether the word, or a piece of it between dashes or slashes, is a naming word, with or without its accents (compromise's normal form drops them). */
function isNamingWord(word: string): boolean {
  const normal = trimToWord(word.toLowerCase());
  if (NAMING_WORDS.has(normal)) return true;
  const plain = NOT_ASCII.test(normal) ? normal.normalize('NFD').replace(MARKS, '') : normal;
  if (plain !== normal && NAMING_WORDS.has(plain)) return true;
  return PIECES.test(plain) && plain.split(PIECES).some((piece) => NAMING_WORDS.has(trimToWord(piece)));
}

/**
 * The runs of nouns of a sentence that names nothing (see mayName), as
 * compromise's word-level tagging finds them: a word its lexicon knows keeps
 * its tag, an unknown one gets the tag of its ending, else it is a noun; a
 * word that may be a noun or a verb ("signal", "study") is a noun after a
 * noun, a determiner, an adjective or a preposition. Each run is the
 * sentence's text from its first word to its last.
 */
export function nounRuns(sentence: string): string[] {
  const runs: string[] = [];
  let runStart = -1;
  let runEnd = -1;
  let previous = 'other' as WordClass;
  let index = 0;
  for (const match of sentence.matchAll(WORD)) {
    const normal = trimToWord(match[0].toLowerCase());
    if (normal === '') continue;
    const titleCased = index++ > 0 && TITLE_CASE.test(trimToWord(match[0])) && !/\d/.test(match[0]);
    let wordClass = classOf(normal, titleCased);
    if (wordClass === 'noun-or-verb') wordClass = previous === 'noun' || previous === 'before-noun' ? 'noun' : 'other';
    previous = wordClass;
    if (wordClass !== 'noun') {
      if (runStart >= 0) runs.push(sentence.slice(runStart, runEnd));
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = match.index;
    runEnd = match.index + match[0].length;
  }
  if (runStart >= 0) runs.push(sentence.slice(runStart, runEnd));
  return runs;
}

/** How a word takes part in a run of nouns; noun-or-verb is decided by the word before it. */
type WordClass = 'noun' | 'noun-or-verb' | 'before-noun' | 'other';

/** Tags compromise does not turn into a proper noun when capitalised (its checkCase). */
const NOT_PROPER = ['Date', 'Month', 'WeekDay', 'Unit', 'Expression'];
const BEFORE_NOUN = ['Determiner', 'Adjective', 'Preposition', 'Possessive'];
const { switches } = (nlp.world() as unknown as { model: { two: { switches: Record<string, string> } } }).model.two;
const classCache = new Map<string, WordClass>();

/**
 * A noun compromise would keep in a key term (not a name, place, organisation,
 * pronoun, value or date; a capitalised word past the first is a proper noun),
 * a word it may read as either, a word that leads into a noun, or none.
 */
function classOf(normal: string, titleCased: boolean): WordClass {
  const key = titleCased ? `^${normal}` : normal;
  let wordClass = classCache.get(key);
  if (wordClass === undefined) {
    let tags = /^\d/.test(normal) ? ['Value'] : (tagsOf(normal) ?? [suffixTag(normal) ?? 'Noun']);
    if (titleCased && normal !== 'the' && !tags.some((tag) => NOT_PROPER.some((kind) => isA(tag, kind))))
      tags = ['ProperNoun'];
    const has = (kinds: string[]) => tags.some((tag) => kinds.some((kind) => isA(tag, kind)));
    const switchable = Object.hasOwn(switches, normal) && /\bNoun\b/.test(switches[normal]);
    wordClass =
      has(['Noun']) && !has(NOT_TERMS)
        ? 'noun'
        : switchable || (tags.length === 1 && tags[0] === 'Infinitive')
          ? 'noun-or-verb'
          : has(BEFORE_NOUN)
            ? 'before-noun'
            : 'other';
    if (classCache.size < 100_000) classCache.set(key, wordClass);
  }
  return wordClass;
}

/** compromise's tag for an unknown word by its ending (the longest of 7 to 2 characters it knows), as its tagger does. */
function suffixTag(word: string): string | undefined {
  const patterns = model.two.suffixPatterns;
  for (let length = Math.min(7, word.length - 1); length > 1; length--) {
    const table = patterns[length];
    const suffix = word.slice(word.length - length);
    if (table && Object.hasOwn(table, suffix)) return table[suffix];
  }
  return undefined;
}
