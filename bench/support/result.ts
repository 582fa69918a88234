/** What each benchmark hands run.ts: its named figures (those of the issue), and how it got them. */
export interface BenchResult {
  /** Figures by the names; null when not measured (with `skipped` saying why). */
  figures: Record<string, number | null>;
  /** Sizes, timings and breakdowns behind the figures. */
  details: Record<string, unknown>;
  /** Findings worth writing down next to the figures. */
  notes: string[];
  skipped?: string;
}

export interface BenchOptions {
  /** A tenth of the sizes. */
  quick: boolean;
}
