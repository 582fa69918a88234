// What compromise finds in each of a list of sentences: its people(),
// organizations() and places(), and its runs of nouns that are not names,
// values or dates (key terms), sentence by sentence so that each sentence's
// findings can be kept and reused (entities.ts). compromise tags and matches
// within a sentence, never across one: a sentence's findings are the same
// whatever sentences it is tagged with (test/unit/entities.test.ts compares).
import nlp from 'compromise';
import { withFasterSweep } from './compromise-sweep.ts';

/** What compromise names in one sentence, each as its text (compromise's out('array')), in the sentence's order. */
export interface SentenceFindings {
  people: string[];
  organizations: string[];
  places: string[];
  /** Runs of nouns, less pronouns, names, values and dates (compromise's '#Noun+' less those). */
  nouns: string[];
}

interface Term {
  pre: string;
  text: string;
  post: string;
  tags: Set<string>;
}
type Pointer = [number, number?, number?, ...unknown[]];
interface View {
  document: Term[][];
  pointer: Pointer[] | undefined;
  update(pointer: Pointer[]): View;
  compute(hooks: string[]): View;
  people(): View;
  places(): View;
}
interface Tokenize {
  splitSentences(text: string, world: unknown): string[];
  fromString(text: string, world: unknown): Term[][];
}
const world = nlp.world() as unknown as { hooks: string[]; methods: { one: { tokenize: Tokenize } } };
const { tokenize } = world.methods.one;
/** compromise's View class (a document's), which nlp() makes from the tokens. */
const ViewOfCompromise = (nlp('') as unknown as { constructor: new (document: Term[][]) => View }).constructor;
/** Everything nlp() computes but the noun-phrase chunker, which nothing here reads (a quarter of the time). */
const TAGGING = world.hooks.filter((hook) => hook !== 'chunks');

/**
 * The findings of each of `sentences`, which are compromise's own sentences
 * (its splitter's output, so they are not split again): one per sentence, in order.
 */
export function findingsOf(sentences: string[]): SentenceFindings[] {
  const doc = withFasterSweep(() => tokenized(sentences).compute(TAGGING));
  const document = doc.document;
  // compromise keeps a sentence per sentence it was given; should it ever not, the findings are read as one
  if (document.length !== sentences.length) return [findingsOfAll(doc)];
  const findings = document.map((terms) => ({
    people: [] as string[],
    organizations: runsOf(terms, isOrganization),
    places: [] as string[],
    nouns: runsOf(terms, isKeyNoun),
  }));
  for (const [n, text] of matchesOf(doc, isPersonTerm, (view) => view.people())) findings[n].people.push(text);
  for (const [n, text] of matchesOf(doc, isPlaceTerm, (view) => view.places())) findings[n].places.push(text);
  return findings;
}

/**
 * The sentences joined, tokenised as nlp() does before it computes its hooks
 * (its handleInputs), with compromise's splitter answering with the sentences
 * themselves. Not nlp.tokenize, which also computes four of the hooks that
 * the tagging then computes again.
 */
function tokenized(sentences: string[]): View {
  const joined = sentences.join('');
  const own = tokenize.splitSentences;
  tokenize.splitSentences = (text, world) => (text === joined ? [...sentences] : own(text, world));
  try {
    return new ViewOfCompromise(tokenize.fromString(joined, world));
  } finally {
    tokenize.splitSentences = own;
  }
}

/** All the document's findings as one sentence's. */
function findingsOfAll(doc: View): SentenceFindings {
  const all: SentenceFindings = { people: [], organizations: [], places: [], nouns: [] };
  for (const terms of doc.document) {
    all.organizations.push(...runsOf(terms, isOrganization));
    all.nouns.push(...runsOf(terms, isKeyNoun));
  }
  for (const [, text] of matchesOf(doc, isPersonTerm, (view) => view.people())) all.people.push(text);
  for (const [, text] of matchesOf(doc, isPlaceTerm, (view) => view.places())) all.places.push(text);
  return all;
}

const isOrganization = (term: Term) => term.tags.has('Organization');
const NOT_KEY = ['Pronoun', 'Person', 'Place', 'Organization', 'Value', 'Date'];
const isKeyNoun = (term: Term) => term.tags.has('Noun') && !NOT_KEY.some((tag) => term.tags.has(tag));
/** people() matches '#Honorific+? #Person+': nothing without a Person. */
const isPersonTerm = (term: Term) => term.tags.has('Person');
/** places() matches '(#Place|#Address)+'. */
const isPlaceTerm = (term: Term) => term.tags.has('Place') || term.tags.has('Address');

/**
 * The texts of the longest runs of terms that pass `test`: what compromise's
 * match('#Tag+') gives, and what match('#Noun+').not('(#A|#B)') does (the
 * runs of nouns cut at each term it takes out).
 */
function runsOf(terms: Term[], test: (term: Term) => boolean): string[] {
  const runs: string[] = [];
  for (let start = 0; start < terms.length; start++) {
    if (!test(terms[start])) continue;
    let end = start + 1;
    while (end < terms.length && test(terms[end])) end++;
    const text = textOf(terms, start, end);
    if (text !== '') runs.push(text);
    start = end;
  }
  return runs;
}

/**
 * A query's matches (sentence number and text) run only over the sentences
 * holding a term it cannot match without: the others cannot give it one, and
 * the query's time is per sentence it reads.
 */
function* matchesOf(
  doc: View,
  needed: (term: Term) => boolean,
  query: (view: View) => View,
): Generator<[number, string]> {
  const { document } = doc;
  const holding: Pointer[] = [];
  document.forEach((terms, n) => {
    if (terms.some(needed)) holding.push([n, 0, terms.length]);
  });
  if (holding.length === 0) return;
  for (const [n, start = 0, end = document[n].length] of query(doc.update(holding)).pointer ?? []) {
    const text = textOf(document[n], start, end);
    if (text !== '') yield [n, text];
  }
}

/** A run of terms as compromise's out('array') gives it: each term's text with its punctuation and spaces, trimmed. */
function textOf(terms: Term[], start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += terms[i].pre + terms[i].text + terms[i].post;
  return text.trim();
}
