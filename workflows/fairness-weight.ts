/**
 * A collection run's fairness weight: its share of the document slots against
 * the other collections in flight (Temporal dispatches each fairness key's
 * tasks in proportion to its weight). A small run weighs more, so beside a
 * large one it finishes near its time alone, while the large one, minutes of
 * work anyway, gives up little: shortest job first, softened. Equal weights
 * would hold a small run at twice its time alone beside one large run, and
 * more beside several.
 *
 * weight = FULL_SHARE_DOCUMENTS / documents, rounded, between 1 and maxWeight:
 * a run of 1,000 documents or more weighs 1, one of 100 weighs 10 (or the cap).
 */
export const FULL_SHARE_DOCUMENTS = 1_000;

export function fairnessWeightOf(documents: number, maxWeight: number): number {
  const cap = Math.max(1, Math.floor(maxWeight));
  if (documents < 1) return cap;
  return Math.min(cap, Math.max(1, Math.round(FULL_SHARE_DOCUMENTS / documents)));
}
