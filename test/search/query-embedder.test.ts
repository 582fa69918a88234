import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';
import { queryEmbedderFor } from '../../activities/search/query-embedder.ts';
import { loadConfig } from '../../config/load.ts';

test("a query is embedded by the provider that made the collection's vectors, rebuilt from its recorded name", async () => {
  const config = loadConfig({});
  // Another dimension than the configured one: the recorded name decides, through the provider's own parsing.
  const recorded = new HashingEmbeddingProvider(48, 1);
  const embedder = queryEmbedderFor(config, recorded.name);
  assert.equal(embedder?.name, recorded.name);
  assert.deepEqual(await embedder.embed(['a query']), await recorded.embed(['a query']));
  // The configured provider answers for its own name.
  const configured = new HashingEmbeddingProvider(config.embedding_dimension, 1).name;
  assert.equal(queryEmbedderFor(config, configured)?.name, configured);
  // Another hashing version's vectors, or an unknown provider's, have no query embedder.
  assert.equal(queryEmbedderFor(config, 'hashing-v1-48'), undefined);
  assert.equal(queryEmbedderFor(config, 'openai:text-embedding-3-small'), undefined);
});
