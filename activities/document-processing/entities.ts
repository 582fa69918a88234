// The graph step: the entities each chunk mentions.
import { eachChunk, replaceMentions, type MentionInsert } from '../../db/queries/chunks.ts';
import { fencedWrite } from '../../db/queries/document-runs.ts';
import { claim, inThread, type Step } from './attempt.ts';

/** People, organisations, places and key terms per chunk (tagged in the thread pool), replacing the document's earlier mentions. */
export const entities: Step<{ mentions: number }> = async (work, documentId, at) => {
  const { sql } = work;
  const row = await claim(sql, at, { fresh: false });
  const mentions: MentionInsert[] = [];
  for await (const page of eachChunk(sql, documentId)) {
    const found = await inThread(
      work,
      at,
      'tagEntities',
      { texts: page.map((chunk) => chunk.text) },
      { mentions: mentions.length },
    );
    page.forEach((chunk, i) => {
      for (const entity of found[i])
        mentions.push({ chunk_ordinal: chunk.ordinal, kind: entity.kind, name: entity.name });
    });
    at.checkpoint({ mentions: mentions.length });
  }
  await fencedWrite(sql, at.fence, (tx) => replaceMentions(tx, row.collection_id, documentId, mentions));
  return { mentions: mentions.length };
};
