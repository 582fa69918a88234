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
 * Bounded in entries and in each sentence's length, so at most a few MB per thread.
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
 * give their key terms by its word-level tagging alone (nounRuns).
 */
export function entitiesOf(text: string): Entity[] {
  return withFasterIsSentence(() => entitiesOfText(text));
}

function entitiesOfText(text: string): Entity[] {
  const found = new Map<string, Entity>();
  const add = (kind: EntityKind, raw: string) => {
    const name = normaliseName(raw);
    if (name.length < 2 || name.length > MAX_NAME_LENGTH) return;
    found.set(`${kind}\u0000${name}`, { kind, name });
  };
  // key terms of text in other scripts are its frequent words, not compromise's nouns
  const latin = isMostlyLatin(text);
  const nouns: string[] = [];
  const naming: string[] = [];
  for (const sentence of sentencesOf(text)) {
    if (mayName(sentence)) naming.push(sentence);
    else if (latin) nouns.push(...nounRuns(sentence));
  }
  if (naming.length > 0) {
    const findings = findingsOfNaming(naming);
    for (const { people } of findings) for (const name of people) add('person', name);
    for (const { organizations } of findings) for (const name of organizations) add('organization', name);
    for (const { places } of findings) for (const name of places) add('place', name);
    if (latin) for (const sentence of findings) nouns.push(...sentence.nouns);
  }

  const terms = latin ? countNouns(nouns) : frequentWords(text);
  const top = [...terms.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, KEY_TERMS_PER_CHUNK);
  for (const [term] of top) add('term', term);
  return [...found.values()];
}

/**
 * What compromise finds in the sentences that may name something, read
 * together as one text as compromise would read it (its splitter may join two
 * of them once the sentences between are gone), each sentence tagged once
 * while it stays in the cache.
 */
function findingsOfNaming(naming: string[]): SentenceFindings[] {
  const sentences = sentencesOf(naming.join(''));
  const findings: SentenceFindings[] = new Array(sentences.length);
  const untagged: number[] = [];
  sentences.forEach((sentence, i) => {
    const known = sentence.length <= CACHED_SENTENCE_LENGTH ? sentenceFindings.get(sentence) : undefined;
    if (known !== undefined) findings[i] = known;
    else untagged.push(i);
  });
  if (untagged.length === 0) return findings;
  const tagged = findingsOf(untagged.map((i) => sentences[i]));
  // one finding for them all: compromise did not keep one sentence per sentence (never seen); nothing is cached
  if (tagged.length !== untagged.length) return [...findings.filter((known) => known !== undefined), ...tagged];
  untagged.forEach((i, k) => {
    findings[i] = tagged[k];
    if (sentences[i].length <= CACHED_SENTENCE_LENGTH) sentenceFindings.set(sentences[i], tagged[k]);
  });
  return findings;
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
