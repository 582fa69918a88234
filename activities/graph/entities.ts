import nlp from 'compromise';
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
    const doc = nlp.tokenize(naming.join('')).compute(TAGGING) as ReturnType<typeof nlp>;
    for (const name of doc.people().out('array') as string[]) add('person', name);
    for (const name of doc.organizations().out('array') as string[]) add('organization', name);
    for (const name of doc.places().out('array') as string[]) add('place', name);
    const tagged = doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)');
    nouns.push(...(tagged.out('array') as string[]));
  }

  const terms = new Map<string, number>();
  for (const noun of nouns) {
    const term = normaliseName(noun).replace(/^(the|a|an|this|that|these|those|its|their|our|his|her) /, '');
    if (term.length < 4 || /^\d/.test(term)) continue;
    terms.set(term, (terms.get(term) ?? 0) + 1);
  }
  const top = [...terms.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, KEY_TERMS_PER_CHUNK);
  for (const [term] of top) add('term', term);
  return [...found.values()];
}

function normaliseName(raw: string): string {
  return raw
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')
    .toLowerCase()
    .trim();
}
