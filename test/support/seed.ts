import type { Sql } from '../../db/pool.ts';

/**
 * A collection holding one 3-byte text document per filename, inserted
 * directly (no files behind them): for workflow-logic tests whose stand-in
 * activities read the filenames to decide what to do.
 */
export async function insertCollectionWith(
  sql: Sql,
  name: string,
  filenames: readonly string[],
): Promise<{ id: string; name: string }> {
  const [collection] = await sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id, name`;
  for (const [i, filename] of filenames.entries()) {
    await sql`
      INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${collection.id}, ${filename}, ${`${collection.id}/${i}.txt`}, 'text/plain', 3, ${`${name}-${i}`})`;
  }
  return { id: collection.id, name: collection.name };
}
