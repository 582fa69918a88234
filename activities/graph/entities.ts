import nlp from 'compromise';
import { wordsOf } from '../text/words.ts';

export type EntityKind = 'person' | 'organization' | 'place' | 'term';

export interface Entity {
  kind: EntityKind;
  name: string;
}

const KEY_TERMS_PER_CHUNK = 3;
const MAX_NAME_LENGTH = 120;

/**
 * People, organisations and places named in a chunk (compromise's named-entity
 * tagger), plus its most frequent nouns as key terms. Names are normalised
 * (whitespace, case) so the same entity meets itself across chunks.
 */
export function entitiesOf(text: string): Entity[] {
  const doc = nlp(text);
  const found = new Map<string, Entity>();
  const add = (kind: EntityKind, raw: string) => {
    const name = normaliseName(raw);
    if (name.length < 2 || name.length > MAX_NAME_LENGTH) return;
    found.set(`${kind}\u0000${name}`, { kind, name });
  };
  for (const name of doc.people().out('array') as string[]) add('person', name);
  for (const name of doc.organizations().out('array') as string[]) add('organization', name);
  for (const name of doc.places().out('array') as string[]) add('place', name);

  const terms = isMostlyLatin(text) ? nounPhrases(doc) : frequentWords(text);
  const top = [...terms.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, KEY_TERMS_PER_CHUNK);
  for (const [term] of top) add('term', term);
  return [...found.values()];
}

/** Noun phrases (compromise's English tagger) and how often each occurs. */
function nounPhrases(doc: ReturnType<typeof nlp>): Map<string, number> {
  const terms = new Map<string, number>();
  const nouns = doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)');
  for (const noun of nouns.out('array') as string[]) {
    const term = normaliseName(noun).replace(/^(the|a|an|this|that|these|those|its|their|our|his|her) /, '');
    if (term.length < 4 || /^\d/.test(term)) continue;
    terms.set(term, (terms.get(term) ?? 0) + 1);
  }
  return terms;
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
  for (const [letter] of text.matchAll(/\p{L}/gu)) {
    letters++;
    if (LATIN.test(letter)) latin++;
  }
  return latin * 2 >= letters;
}
const LATIN = /\p{Script=Latin}/u;

function normaliseName(raw: string): string {
  return raw
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/^[^\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N}]+$/gu, '')
    .toLowerCase()
    .trim();
}
