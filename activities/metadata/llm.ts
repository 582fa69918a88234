import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { postOpenAi } from '../openai/http.ts';

/** The fields a chat model may supply; anything else in its answer is ignored. */
export const LlmMetadata = z
  .object({
    title: z.string().min(1).max(500).optional(),
    authors: z.array(z.string().min(1).max(200)).max(50).optional(),
    date: z.string().max(50).optional(),
    language: z.string().min(2).max(20).optional(),
    keywords: z.array(z.string().min(1).max(100)).max(30).optional(),
    doi: z.string().max(200).optional(),
    summary: z.string().max(2_000).optional(),
  })
  .partial();
export type LlmMetadata = z.infer<typeof LlmMetadata>;

const EXCERPT_CHARS = 6_000;

/**
 * Asks an OpenAI-compatible chat endpoint for the document's metadata as JSON
 * and validates the answer. An answer that is not the JSON asked for gives
 * `{error}` (recorded, heuristics kept); transport errors are thrown so the
 * activity retries.
 */
export async function askLlmForMetadata(
  config: Config,
  excerpt: string,
  filename: string,
): Promise<{ fields: LlmMetadata } | { error: string }> {
  const answer = await postOpenAi<{ choices?: { message?: { content?: string } }[] }>(config, '/chat/completions', {
    model: config.openai_chat_model,
    temperature: 0,
    response_format: { type: 'json_object' },
    messages: [
      {
        role: 'system',
        content:
          'You extract bibliographic metadata. Answer with one JSON object with the keys title, authors (array), date (ISO 8601), ' +
          'language (ISO 639-3), keywords (array, at most 10), doi, summary (two sentences). Leave out keys you cannot tell.',
      },
      { role: 'user', content: `File name: ${filename}\n\n${excerpt.slice(0, EXCERPT_CHARS)}` },
    ],
  });
  const content = answer.choices?.[0]?.message?.content;
  if (!content) return { error: 'the chat endpoint answered without content' };
  let json: unknown;
  try {
    json = JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    return { error: 'the chat endpoint did not answer JSON' };
  }
  const parsed = LlmMetadata.safeParse(json);
  if (!parsed.success)
    return {
      error: `the chat endpoint's JSON failed validation: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`,
    };
  return { fields: parsed.data };
}
