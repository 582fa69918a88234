import nlp from 'compromise';
import { trimToWord, wordsOf } from '../text/words.ts';
import { BoundedCache } from './bounded-cache.ts';
import { findingsOf, type SentenceFindings } from './compromise-findings.ts';
import { withFasterIsSentence } from './compromise-is-sentence.ts';
import { mayName, nounRuns } from './noun-runs.ts';

export type EntityKind = 'person' | 'organization' | 'place' | 'term';

export interface Entity {
  kind: EntityKind;
  name: string;
}

const KEY_TERMS_PER_CHUNK = 3;
const MAX_NAME_LENGTH = 120;

interface CompromiseWorld {
  methods: { one: { tokenize: { splitSentences(text: string, world: unknown): string[] } } };
}
const world = nlp.world() as unknown as CompromiseWorld;
/** compromise's own sentence splitter: the sentences its tagger would see. */
const sentencesOf = (text: string) => world.methods.one.tokenize.splitSentences(text, world);

/**
 * Findings of sentences already tagged, by their text: documents repeat
 * sentences (headers, footers, licence boilerplate, the overlap of chunks).
 * Bounded in entries and in each sentence's length: at most 5,000 sentences
 * of up to 1,000 characters per thread (10 MB of keys at worst, a few hundred
 * KB on prose).
 */
export const CACHED_SENTENCES = 5_000;
export const CACHED_SENTENCE_LENGTH = 1_000;
export const sentenceFindings = new BoundedCache<string, SentenceFindings>(CACHED_SENTENCES);

/**
 * People, organisations and places named in a chunk (compromise's named-entity
 * tagger), plus its most frequent runs of nouns as key terms. Names are
 * normalised (whitespace, case) so the same entity meets itself across chunks.
 *
 * compromise tags sentence by sentence, and its tagger is most of the cost, so
 * it runs only over the sentences that may name something (mayName: a term it
 * reads as a proper noun by its case, or a word it knows as a name or place),
 * with its post-tagger's rules picked faster (compromise-sweep.ts); the others
 * give their key terms by its word-level tagging alone (nounRuns). What it
 * finds is read sentence by sentence off its tags (compromise-findings.ts) and
 * kept per sentence (sentenceFindings), so a sentence met again is not tagged again.
 */
export function entitiesOf(text: string): Entity[] {
  return entitiesOfEach([text])[0];
}

/**
 * entitiesOf of each text, the same entities, with the sentences of all of
 * them that compromise is to tag tagged together: its fixed cost per call (a
 * document, its hooks, its queries) is paid once for the texts, not once per text.
 */
export function entitiesOfEach(texts: string[]): Entity[][] {
  return withFasterIsSentence(() => {
    const entities: Entity[][] = [];
    for (let start = 0; start < texts.length; start += TEXTS_PER_DOCUMENT) {
      const readings = texts.slice(start, start + TEXTS_PER_DOCUMENT).map(readingOf);
      const findings = findingsOfNaming(readings.map((reading) => reading.naming));
      readings.forEach((reading, i) => entities.push(entitiesFrom(reading, findings[i])));
    }
    return entities;
  });
}

/** Texts whose sentences are tagged in one compromise document: most of the gain, a document of a few tens of KB at most. */
const TEXTS_PER_DOCUMENT = 25;

/** A text's sentences sorted: those compromise is to tag, and the key terms of the others. */
interface Reading {
  text: string;
  /** Whether most letters are Latin: key terms of text in other scripts are its frequent words, not compromise's nouns. */
  latin: boolean;
  nouns: string[];
  /** The sentences that may name something, as compromise would split them read together. */
  naming: string[];
}

function readingOf(text: string): Reading {
  const latin = isMostlyLatin(text);
  const nouns: string[] = [];
  const naming: string[] = [];
  for (const sentence of sentencesOf(text)) {
    if (mayName(sentence)) naming.push(sentence);
    else if (latin) nouns.push(...nounRuns(sentence));
  }
  // read together as one text as compromise would read it: its splitter may join two of them once the sentences between are gone
  return { text, latin, nouns, naming: naming.length > 0 ? sentencesOf(naming.join('')) : [] };
}

function entitiesFrom({ text, latin, nouns }: Reading, findings: SentenceFindings[]): Entity[] {
  const found = new Map<string, Entity>();
  const add = (kind: EntityKind, raw: string) => {
    const name = normaliseName(raw);
    if (name.length < 2 || name.length > MAX_NAME_LENGTH) return;
    found.set(`${kind}\u0000${name}`, { kind, name });
  };
  for (const { people } of findings) for (const name of people) add('person', name);
  for (const { organizations } of findings) for (const name of organizations) add('organization', name);
  for (const { places } of findings) for (const name of places) add('place', name);
  if (latin) for (const sentence of findings) nouns.push(...sentence.nouns);

  const terms = latin ? countNouns(nouns) : frequentWords(text);
  const top = [...terms.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, KEY_TERMS_PER_CHUNK);
  for (const [term] of top) add('term', term);
  return [...found.values()];
}

/**
 * What compromise finds in each sentence of each list: each sentence tagged
 * once (once in all the lists, and not again while it stays in the cache),
 * all that are not known tagged in one document.
 */
function findingsOfNaming(lists: string[][]): SentenceFindings[][] {
  const known = new Map<string, SentenceFindings | undefined>();
  for (const sentences of lists)
    for (const sentence of sentences)
      if (!known.has(sentence))
        known.set(sentence, sentence.length <= CACHED_SENTENCE_LENGTH ? sentenceFindings.get(sentence) : undefined);
  const untagged = [...known.keys()].filter((sentence) => known.get(sentence) === undefined);
  if (untagged.length > 0) {
    const tagged = findingsOf(untagged);
    // compromise did not keep one sentence per sentence (never seen): each list is tagged alone, and nothing is kept
    if (tagged.length !== untagged.length)
      return lists.map((sentences) => (sentences.length > 0 ? findingsOf(sentences) : []));
    untagged.forEach((sentence, i) => {
      known.set(sentence, tagged[i]);
      if (sentence.length <= CACHED_SENTENCE_LENGTH) sentenceFindings.set(sentence, tagged[i]);
    });
  }
  return lists.map((sentences) => sentences.map((sentence) => known.get(sentence)!));
}

/** Key terms among compromise's runs of nouns, and how often each occurs. */
function countNouns(nouns: string[]): Map<string, number> {
  const terms = new Map<string, number>();
  for (const noun of nouns) {
    const term = keyTermOf(noun);
    if (term !== '') terms.set(term, (terms.get(term) ?? 0) + 1);
  }
  return terms;
}

/** Runs of nouns come again and again ("temperature", "the sample."): each one's key term once, for this many. */
const CACHED_NOUNS = 50_000;
const CACHED_NOUN_LENGTH = 60;
const keyTerms = new Map<string, string>();

/** The key term a run of nouns counts as, normalised without a leading determiner; '' for none (short, or a number). */
function keyTermOf(noun: string): string {
  let term = keyTerms.get(noun);
  if (term === undefined) {
    term = normaliseName(noun).replace(/^(the|a|an|this|that|these|those|its|their|our|his|her) /, '');
    if (term.length < 4 || /^\d/.test(term)) term = '';
    if (noun.length <= CACHED_NOUN_LENGTH) {
      if (keyTerms.size >= CACHED_NOUNS) keyTerms.clear();
      keyTerms.set(noun, term);
    }
  }
  return term;
}

/**
 * In text of other scripts compromise's noun phrases are whole sentences
 * (Hindi) or nothing (Thai): its key terms are its most frequent whole words
 * (activities/text/words.ts) of 4 characters or more instead.
 */
function frequentWords(text: string): Map<string, number> {
  const terms = new Map<string, number>();
  for (const word of wordsOf(text.toLowerCase())) {
    if (word.length < 4 || !/^\p{L}/u.test(word)) continue;
    terms.set(word, (terms.get(word) ?? 0) + 1);
  }
  return terms;
}

/** Whether most of the text's letters are Latin (what compromise's English tagger reads). */
function isMostlyLatin(text: string): boolean {
  let letters = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    if (code > 0xffff) i++;
    const kind = letterKind(code);
    if (kind !== NOT_A_LETTER) letters++;
    if (kind === LATIN_LETTER) latin++;
  }
  return latin * 2 >= letters;
}

const NOT_A_LETTER = 1;
const OTHER_LETTER = 2;
const LATIN_LETTER = 3;
/** Each character's kind once known, for the Basic Multilingual Plane (0: not yet asked). */
const kinds = new Uint8Array(0x10000);

/** Whether a character is a letter (\p{L}), and a Latin one: a look-up once the regexes have been asked, which is most of the cost per character. */
function letterKind(code: number): number {
  let kind = code <= 0xffff ? kinds[code] : 0;
  if (kind === 0) {
    const char = String.fromCodePoint(code);
    kind = !LETTER.test(char) ? NOT_A_LETTER : LATIN.test(char) ? LATIN_LETTER : OTHER_LETTER;
    if (code <= 0xffff) kinds[code] = kind;
  }
  return kind;
}
const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;

function normaliseName(raw: string): string {
  return trimToWord(raw.replace(/[\s\u00a0]+/g, ' '))
    .toLowerCase()
    .trim();
}
