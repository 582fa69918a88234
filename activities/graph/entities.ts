import nlp from 'compromise';
import { wordsOf } from '../text/words.ts';
import { withFasterSweep } from './compromise-sweep.ts';
import { mayName, nounRuns } from './noun-runs.ts';

export type EntityKind = 'person' | 'organization' | 'place' | 'term';

export interface Entity {
  kind: EntityKind;
  name: string;
}

const KEY_TERMS_PER_CHUNK = 3;
const MAX_NAME_LENGTH = 120;

interface CompromiseWorld {
  hooks: string[];
  methods: { one: { tokenize: { splitSentences(text: string, world: unknown): string[] } } };
}
const world = nlp.world() as unknown as CompromiseWorld;
/** compromise's own sentence splitter: the sentences its tagger would see. */
const sentencesOf = (text: string) => world.methods.one.tokenize.splitSentences(text, world);
/** Everything nlp() computes but the noun-phrase chunker, which no query here reads (a quarter of the time). */
const TAGGING = world.hooks.filter((hook) => hook !== 'chunks');

/**
 * People, organisations and places named in a chunk (compromise's named-entity
 * tagger), plus its most frequent runs of nouns as key terms. Names are
 * normalised (whitespace, case) so the same entity meets itself across chunks.
 *
 * compromise tags sentence by sentence, and its tagger is most of the cost, so
 * it runs only over the sentences that may name something (mayName: a capital
 * past the first letter, or a word it knows as a name or place); the others
 * give their key terms by its word-level tagging alone (nounRuns).
 */
export function entitiesOf(text: string): Entity[] {
  const found = new Map<string, Entity>();
  const add = (kind: EntityKind, raw: string) => {
    const name = normaliseName(raw);
    if (name.length < 2 || name.length > MAX_NAME_LENGTH) return;
    found.set(`${kind}\u0000${name}`, { kind, name });
  };
  const nouns: string[] = [];
  const naming: string[] = [];
  for (const sentence of sentencesOf(text)) {
    if (mayName(sentence)) naming.push(sentence);
    else nouns.push(...nounRuns(sentence));
  }
  if (naming.length > 0) {
    const doc = withFasterSweep(() => nlp.tokenize(naming.join('')).compute(TAGGING) as ReturnType<typeof nlp>);
    for (const name of doc.people().out('array') as string[]) add('person', name);
    for (const name of doc.organizations().out('array') as string[]) add('organization', name);
    for (const name of doc.places().out('array') as string[]) add('place', name);
    const tagged = doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)');
    nouns.push(...(tagged.out('array') as string[]));
  }

  const terms = isMostlyLatin(text) ? countNouns(nouns) : frequentWords(text);
  const top = [...terms.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, KEY_TERMS_PER_CHUNK);
  for (const [term] of top) add('term', term);
  return [...found.values()];
}

/** Key terms among compromise's runs of nouns, and how often each occurs. */
function countNouns(nouns: string[]): Map<string, number> {
  const terms = new Map<string, number>();
  for (const noun of nouns) {
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
