import type { DocumentStorage } from '../../storage/document-storage.ts';

/** Every stored key (under `prefix`), sorted: the same question on local folders and on a bucket. */
export async function storedKeys(storage: DocumentStorage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const file of storage.list()) if (file.key.startsWith(prefix)) keys.push(file.key);
  return keys.sort();
}
