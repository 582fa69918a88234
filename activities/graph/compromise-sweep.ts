// compromise's sweep (methods.one.bulkMatch: how its post-tagger runs its 570
// match rules over each clause) with the same result, found faster. Its own
// picks the rules a clause may need by walking every one of the net's 730
// hooks for each clause and concatenating their lists, then filters the list
// three times: a fixed cost per clause that was a fifth of entitiesOf's time.
// Here each rule is filed once under a key it cannot run without, a clause
// finds its rules from its own words and tags, and they run in the place
// compromise's walk would give them (so in the same order). compromise is MIT licensed;
// the steps follow its src/1-one/sweep/methods/sweep (v14.17, pinned in
// package.json); test/unit/compromise-sweep.test.ts compares the two.
import nlp from 'compromise';

/** A parsed match rule of a net (the fields the sweep reads). */
interface Rule {
  match: string;
  needs: string[];
  wants: string[];
  minWant: number;
  minWords: number;
  ifNo?: string[];
  unTag?: unknown;
}

export interface Net {
  hooks: Record<string, Rule[]>;
  always: Rule[];
}

interface Term {
  index?: number[];
}

export interface SweepMethods {
  one: {
    cacheDoc(document: Term[][]): Set<string>[];
    match(document: Term[][], rule: Rule): { ptrs: number[][] };
  };
}

type Found = Rule & { pointer: number[] };

/**
 * A net ready for picking a clause's rules. Each rule is filed under one key a
 * clause must hold for it to run (its need that fewest clauses hold, see
 * COMMON_KEYS; a rule needing nothing under each of its wants), so a
 * clause finds its rules from its own words and tags. Each rule also keeps its
 * places in compromise's walk (the net's hooks in Object.keys order, each
 * hook's list in order): its first place among the clause's keys is where
 * compromise would take it.
 */
interface NetIndex {
  filed: Map<string, Rule[]>;
  places: Map<Rule, { key: string; place: number }[]>;
}
/** Rules apart in a hook's list: a place is rank × this + position in the list. */
const LIST_SPAN = 1 << 20;
const indexes = new WeakMap<Net, NetIndex>();

/**
 * The net's index. compromise drops a rule met before by its match text; its
 * buildNet already kept only the first rule of each match text in every hook's
 * list, so the rules here are one per match text, and met is met by identity.
 */
function indexOf(net: Net): NetIndex {
  let index = indexes.get(net);
  if (index !== undefined) return index;
  const places = new Map<Rule, { key: string; place: number }[]>();
  Object.entries(net.hooks).forEach(([key, rules], rank) =>
    rules.forEach((rule, position) => {
      const list = places.get(rule) ?? [];
      if (list.length === 0) places.set(rule, list);
      list.push({ key, place: rank * LIST_SPAN + position });
    }),
  );
  const filed = new Map<string, Rule[]>();
  const file = (key: string, rule: Rule) => {
    const list = filed.get(key) ?? [];
    if (list.length === 0) filed.set(key, list);
    list.push(rule);
  };
  for (const rule of places.keys()) {
    const rarest = [...rule.needs].sort(
      (a, b) =>
        commonness(a) - commonness(b) ||
        Number(a.startsWith('#')) - Number(b.startsWith('#')) ||
        net.hooks[a].length - net.hooks[b].length,
    )[0];
    if (rarest !== undefined) file(rarest, rule);
    else for (const want of rule.wants) file(want, rule);
  }
  index = { filed, places };
  indexes.set(net, index);
  return index;
}

/**
 * Keys most clauses hold (tags and words of English text, most common first):
 * a rule filed under one of them would be looked at for most clauses, so a
 * rule is filed under its least common need. Only the time depends on this
 * choice: a rule runs only when all its needs are there, wherever it is filed.
 */
const COMMON_KEYS = [
  '#Noun',
  '#Singular',
  '#Verb',
  '%Noun|Verb%',
  '#Determiner',
  'the',
  '#Preposition',
  '#Adjective',
  '#ProperNoun',
  '#Plural',
  '#PresentTense',
  '#PastTense',
  '#Conjunction',
  '#Adverb',
  '#Pronoun',
  '#Infinitive',
  'of',
  'and',
  'to',
  'in',
  'a',
  '#Value',
  '#Cardinal',
  '#NumericValue',
  '#Copula',
  'is',
  '#Auxiliary',
  '#Modal',
  'that',
  'for',
  '#Person',
  '#FirstName',
  '#Place',
  '#Date',
  '#Year',
];
const commonness = (key: string) => {
  const rank = COMMON_KEYS.indexOf(key);
  return rank < 0 ? 0 : COMMON_KEYS.length - rank;
};

/** The rules compromise's getHooks, trimDown and tooSmall keep for one clause, in the order it keeps them. */
function rulesFor(net: Net, have: Set<string>, termCount: number): Rule[] {
  const { filed, places } = indexOf(net);
  const found: { rule: Rule; place: number }[] = [];
  const met = new Set<Rule>();
  for (const key of have) {
    for (const rule of filed.get(key) ?? []) {
      if (met.has(rule)) continue;
      met.add(rule);
      if (!usable(rule, have)) continue;
      let first = Infinity;
      // a rule's places are listed in the walk's order: the first one the clause holds is where compromise takes it
      for (const { key: listed, place } of places.get(rule)!)
        if (have.has(listed)) {
          first = place;
          break;
        }
      found.push({ rule, place: first });
    }
  }
  const rules = found.sort((a, b) => a.place - b.place).map(({ rule }) => rule);
  rules.push(...net.always);
  return rules.filter((rule) => termCount >= rule.minWords);
}

/** Every need met, no ifNo present, enough wants (compromise's trimDown). */
function usable(rule: Rule, have: Set<string>): boolean {
  for (const need of rule.needs) if (!have.has(need)) return false;
  if (rule.ifNo !== undefined) for (const no of rule.ifNo) if (have.has(no)) return false;
  if (rule.wants.length === 0) return true;
  let found = 0;
  for (const want of rule.wants) if (have.has(want)) found++;
  return found >= rule.minWant;
}

/** A drop-in for compromise's methods.one.bulkMatch: the same matches, in the same order. */
export function sweep(document: Term[][], net: Net, methods: SweepMethods, opts: { matchOne?: boolean } = {}): Found[] {
  const cache = methods.one.cacheDoc(document);
  const results: Found[] = [];
  for (let n = 0; n < document.length; n++) {
    for (const rule of rulesFor(net, cache[n], document[n].length)) {
      const { ptrs } = methods.one.match([document[n]], rule);
      if (ptrs.length === 0) continue;
      for (const ptr of ptrs) {
        ptr[0] = n;
        const todo: Found = Object.assign({}, rule, { pointer: ptr });
        if (rule.unTag !== undefined) todo.unTag = rule.unTag;
        results.push(todo);
      }
      if (opts.matchOne === true) return [results[0]];
    }
  }
  return results;
}

const { methods } = nlp.world() as unknown as { methods: { one: { bulkMatch: typeof sweep } } };

/**
 * `work` run with this sweep in compromise's place; compromise's own is put
 * back after, so nothing else in the process sees the change.
 */
export function withFasterSweep<T>(work: () => T): T {
  const own = methods.one.bulkMatch;
  methods.one.bulkMatch = sweep;
  try {
    return work();
  } finally {
    methods.one.bulkMatch = own;
  }
}
