/** How a run ended by its documents: none processed is a failure, some failed is completed_with_errors; never a false `completed`. */
export function outcomeOf(processed: number, failed: number): 'completed' | 'completed_with_errors' | 'failed' {
  if (processed === 0) return 'failed';
  return failed > 0 ? 'completed_with_errors' : 'completed';
}
