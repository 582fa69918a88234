import { franc } from 'franc-min';
import { wordsOf } from '../text/words.ts';

/** Enough text to recognise a language; more only costs time. */
const LANGUAGE_SAMPLE = 20_000;
const DOI = /\b(10\.\d{4,9}\/[^\s"<>]+[^\s"<>.,;:)\]}])/i;
/** A keyword candidate: a whole word (activities/text/words.ts) that starts with a letter and has 4 characters or more. */
const KEYWORD = /^\p{L}.{3,}$/su;
/** Distinct words tracked for keywords; the counter is pruned past this so memory stays flat. */
const MAX_TRACKED_WORDS = 50_000;

const STOPWORDS = new Set(
  (
    'about above after again against also although among another because been before being below between both cannot could does doing down during each either ' +
    'even ever every from further have having here hers herself himself however into itself just least less like made make many might more most much must ' +
    'neither never next none only other ought ours ourselves over same shall should since some such than that their theirs them themselves then there these ' +
    'they this those though through thus together too under until upon very want well were what whatever when where whether which while whom whose will ' +
    'with within without would your yours yourself yourselves also page pages chapter figure table used using une dans pour avec eine einer oder nicht sind'
  ).split(' '),
);

/** What a TextAnalyzer keeps of one part of a document, small enough to store beside it (JSON) and merge later. */
export interface TextAnalysisPartial {
  sample: string;
  /** The most frequent words with their counts. */
  words: [string, number][];
  doi?: string;
  firstLine?: string;
}

/**
 * Reads a document's text piece by piece (never all of it at once) and keeps
 * what metadata needs: a language sample, word frequencies for keywords, the
 * first DOI, and the first line that could be a title. Parts of a document
 * can be read apart (in worker threads) and merged: toPartial, fromPartials.
 */
export class TextAnalyzer {
  private sample = '';
  private words = new Map<string, number>();
  private doi: string | undefined;
  private firstLine: string | undefined;

  add(text: string): void {
    if (this.sample.length < LANGUAGE_SAMPLE) this.sample += text.slice(0, LANGUAGE_SAMPLE - this.sample.length) + ' ';
    this.doi ??= DOI.exec(text)?.[1];
    this.firstLine ??= firstTitleLine(text);
    for (const word of wordsOf(text.toLowerCase())) {
      if (!KEYWORD.test(word) || STOPWORDS.has(word)) continue;
      this.words.set(word, (this.words.get(word) ?? 0) + 1);
    }
    if (this.words.size > MAX_TRACKED_WORDS) this.prune();
  }

  result(keywordCount = 10): { language?: string; keywords: string[]; doi?: string; titleGuess?: string } {
    const code = franc(this.sample, { minLength: 20 });
    const keywords = [...this.words.entries()]
      .filter(([, count]) => count > 1)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, keywordCount)
      .map(([word]) => word);
    return { language: code === 'und' ? undefined : code, keywords, doi: this.doi, titleGuess: this.firstLine };
  }

  /** What this analyzer has read, with only its `maxWords` most frequent words. */
  toPartial(maxWords = 5_000): TextAnalysisPartial {
    const partial: TextAnalysisPartial = { sample: this.sample, words: mostFrequent(this.words, maxWords) };
    if (this.doi !== undefined) partial.doi = this.doi;
    if (this.firstLine !== undefined) partial.firstLine = this.firstLine;
    return partial;
  }

  /** An analyzer as if it had read the parts in order: the sample continues across them, the first DOI and title line win, counts add up. */
  static fromPartials(partials: TextAnalysisPartial[]): TextAnalyzer {
    const merged = new TextAnalyzer();
    for (const partial of partials) {
      if (merged.sample.length < LANGUAGE_SAMPLE)
        merged.sample += partial.sample.slice(0, LANGUAGE_SAMPLE - merged.sample.length);
      merged.doi ??= partial.doi;
      merged.firstLine ??= partial.firstLine;
      for (const [word, count] of partial.words ?? []) merged.words.set(word, (merged.words.get(word) ?? 0) + count);
      if (merged.words.size > MAX_TRACKED_WORDS) merged.prune();
    }
    return merged;
  }

  /**
   * Drops the rarest words, keeping the most frequent half (the earliest seen
   * among equals). Counts are small integers, so the cut-off comes from how
   * many words have each count rather than from sorting every word: text with
   * endless distinct "words" (base64, hashes) prunes often.
   */
  private prune(): void {
    const keep = MAX_TRACKED_WORDS / 2;
    const wordsWithCount = new Map<number, number>();
    for (const count of this.words.values()) wordsWithCount.set(count, (wordsWithCount.get(count) ?? 0) + 1);
    let cutoff = 0;
    let above = 0;
    for (const [count, words] of [...wordsWithCount.entries()].sort((a, b) => b[0] - a[0])) {
      cutoff = count;
      if (above + words >= keep) break;
      above += words;
    }
    let ties = keep - above;
    const kept = new Map<string, number>();
    for (const [word, count] of this.words) {
      if (count > cutoff || (count === cutoff && ties-- > 0)) kept.set(word, count);
    }
    this.words = kept;
  }
}

/** The `count` most frequent words, most frequent first (ties alphabetically, so the choice is stable). */
function mostFrequent(words: Map<string, number>, count: number): [string, number][] {
  return [...words.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, count);
}

/** The first line of 3 to 200 characters (trimmed), read line by line rather than splitting the whole text. */
function firstTitleLine(text: string): string | undefined {
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    if (line.length >= 3 && line.length <= 200) return line;
    start = end + 1;
  }
  return undefined;
}

export function countWords(text: string): number {
  let count = 0;
  for (const _ of wordsOf(text)) count++;
  return count;
}
