// Every step the options ask for, in order.
import type { ProcessingOptions } from '../../workflows/collection-analysis-contract.ts';
import { atStep, type DocumentWork, type GroupScope } from './attempt.ts';
import { embeddings } from './embeddings.ts';
import { entities } from './entities.ts';
import { extract } from './extract.ts';
import { metadata } from './metadata.ts';

/** Extract and chunk, then metadata, embeddings and graph entities as asked; extraction's result. */
export async function allSteps(
  work: DocumentWork,
  documentId: string,
  options: ProcessingOptions,
  group?: GroupScope,
): Promise<{ chunks: number; pages: number | null }> {
  const extracted = await atStep(work, 'extract', extract, documentId, true, group);
  if (options.extract_metadata) await atStep(work, 'metadata', metadata, documentId, true, group);
  if (options.generate_embeddings) await atStep(work, 'embeddings', embeddings, documentId, true, group);
  if (options.build_graph) await atStep(work, 'graph', entities, documentId, true, group);
  return extracted;
}
