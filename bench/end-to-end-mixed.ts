// P1 on a mixed corpus: the P1 corpus (texts and short PDFs) plus two
// 500-page PDFs, through the same harness as bench/end-to-end.ts. The long
// PDFs run in their own workflows (page ranges) while the small documents flow
// past them in groups. Figure: p1_mixed_ratio = time(full path) / time(bare loop). Goal ≤ 1.25.
import { pdfDocuments } from './corpus.ts';
import { measureEndToEnd, p1Corpus } from './end-to-end.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const long = await pdfDocuments({ count: 2, minPages: 500, maxPages: 500, seed: 500 });
  return measureEndToEnd(await p1Corpus(quick, [{ name: 'long-2x500', dir: long }]), quick, 'p1_mixed_ratio');
}
