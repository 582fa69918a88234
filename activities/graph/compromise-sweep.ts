// compromise's sweep (methods.one.bulkMatch: how its post-tagger runs its 570
// match rules over each clause) with the same result, found faster. Its own
// picks the rules a clause may need by walking every one of the net's 730
// hooks for each clause and concatenating their lists, then filters the list
// three times: a fixed cost per clause that was a fifth of entitiesOf's time.
// Here each word and tag of the clause is looked up among the hooks instead,
// the hooks it finds are taken in the net's own order (so the rules run in the
// same order), and the list is filtered in one pass. compromise is MIT licensed;
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

/** A net's hook lists in the net's order (Object.keys, as compromise walks them), and each hook's place in it. */
interface HookIndex {
  rankOf: Map<string, number>;
  lists: Rule[][];
}
const indexes = new WeakMap<Net, HookIndex>();

function indexOf(net: Net): HookIndex {
  let index = indexes.get(net);
  if (index === undefined) {
    const names = Object.keys(net.hooks);
    index = { rankOf: new Map(names.map((name, rank) => [name, rank])), lists: names.map((name) => net.hooks[name]) };
    indexes.set(net, index);
  }
  return index;
}

/** The rules compromise's getHooks, trimDown and tooSmall keep for one clause, in the order it keeps them. */
function rulesFor(net: Net, have: Set<string>, termCount: number): Rule[] {
  const { rankOf, lists } = indexOf(net);
  const hits: number[] = [];
  for (const item of have) {
    const rank = rankOf.get(item);
    if (rank !== undefined) hits.push(rank);
  }
  hits.sort((a, b) => a - b);
  const seen = new Set<string>();
  const rules: Rule[] = [];
  for (const rank of hits) {
    for (const rule of lists[rank]) {
      // compromise drops a rule seen before by its match text, before checking it
      if (seen.has(rule.match)) continue;
      seen.add(rule.match);
      if (usable(rule, have)) rules.push(rule);
    }
  }
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
