import nlp from 'compromise';

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

  const terms = new Map<string, number>();
  const nouns = doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)');
  for (const noun of nouns.out('array') as string[]) {
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
