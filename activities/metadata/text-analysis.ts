import { franc } from 'franc-min';

/** Enough text to recognise a language; more only costs time. */
const LANGUAGE_SAMPLE = 20_000;
const DOI = /\b(10\.\d{4,9}\/[^\s"<>]+[^\s"<>.,;:)\]}])/i;
const WORD = /[\p{L}][\p{L}\p{N}'-]{3,}/gu;
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

/** What an analyzer keeps of one piece of text, small enough to store beside it (JSON) and merge later. */
export interface TextAnalysisPartial {
  sample: string;
  words: [string, number][];
  doi?: string;
  firstLine?: string;
}

/**
 * Reads a document's text piece by piece (never all of it at once) and keeps
 * what metadata needs: a language sample, word frequencies for keywords, the
 * first DOI, and the first line that could be a title.
 */
export class TextAnalyzer {
  private sample = '';
  private words = new Map<string, number>();
  private doi: string | undefined;
  private firstLine: string | undefined;

  add(text: string): void {
    if (this.sample.length < LANGUAGE_SAMPLE) this.sample += text.slice(0, LANGUAGE_SAMPLE - this.sample.length) + ' ';
    this.doi ??= DOI.exec(text)?.[1];
    this.firstLine ??= text.split('\n').map((line) => line.trim()).find((line) => line.length >= 3 && line.length <= 200);
    for (const [word] of text.toLowerCase().matchAll(WORD)) {
      if (STOPWORDS.has(word)) continue;
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

  /** This analyzer's state with only its `maxWords` most frequent words. */
  toPartial(maxWords = 5_000): TextAnalysisPartial {
    const words = [...this.words.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, maxWords);
    return { sample: this.sample, words, doi: this.doi, firstLine: this.firstLine };
  }

  /** One analyzer for pieces analysed apart, in their order: the first sample, DOI and title line win; word counts add up. */
  static fromPartials(partials: TextAnalysisPartial[]): TextAnalyzer {
    const merged = new TextAnalyzer();
    for (const partial of partials) {
      if (merged.sample.length < LANGUAGE_SAMPLE) merged.sample += partial.sample.slice(0, LANGUAGE_SAMPLE - merged.sample.length);
      merged.doi ??= partial.doi;
      merged.firstLine ??= partial.firstLine;
      for (const [word, count] of partial.words ?? []) merged.words.set(word, (merged.words.get(word) ?? 0) + count);
      if (merged.words.size > MAX_TRACKED_WORDS) merged.prune();
    }
    return merged;
  }

  /** Drops the rarest words, keeping the most frequent half. */
  private prune(): void {
    const kept = [...this.words.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_TRACKED_WORDS / 2);
    this.words = new Map(kept);
  }
}

export function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/[\p{L}\p{N}]+/gu)) count++;
  return count;
}
