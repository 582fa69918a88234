// The graph step: the entities each chunk mentions, merged into the collection's graph page by page.
import { eachChunk } from '../../db/queries/chunks.ts';
import { fencedWrite } from '../../db/queries/document-runs.ts';
import { replacePageMentions, type MentionInsert } from '../../db/queries/graph.ts';
import { claim, inThread, type Step } from './attempt.ts';

/**
 * People, organisations, places and key terms per chunk (tagged in the thread
 * pool). Each page of chunks replaces its earlier mentions and applies the
 * difference to the collection's graph in one short fenced transaction, so the
 * graph grows as documents finish and no end-of-run rebuild is needed.
 */
export const entities: Step<{ mentions: number }> = async (work, documentId, at) => {
  const { sql } = work;
  const row = await claim(sql, at, { fresh: false });
  let mentions = 0;
  let afterOrdinal = -1;
  for await (const page of eachChunk(sql, documentId)) {
    const found = await inThread(work, at, 'tagEntities', { texts: page.map((chunk) => chunk.text) }, { mentions });
    const pageMentions: MentionInsert[] = page.flatMap((chunk, i) =>
      found[i].map((entity) => ({ chunk_ordinal: chunk.ordinal, kind: entity.kind, name: entity.name })),
    );
    const lastOrdinal = page[page.length - 1].ordinal;
    await fencedWrite(sql, at.fence, (tx) =>
      replacePageMentions(tx, {
        collectionId: row.collection_id,
        documentId,
        afterOrdinal,
        lastOrdinal,
        mentions: pageMentions,
      }),
    );
    afterOrdinal = lastOrdinal;
    mentions += pageMentions.length;
    at.checkpoint({ mentions });
  }
  return { mentions };
};
