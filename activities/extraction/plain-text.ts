import { decodeText } from './decode-text.ts';
import type { ExtractedDocument } from './types.ts';

/** txt and md: the decoded text; a markdown file's first `# heading` is its title. */
export function extractPlainText(bytes: Uint8Array, format: 'text' | 'markdown'): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  const normalised = text.replace(/\r\n?/g, '\n');
  const heading = format === 'markdown' ? /^#\s+(.+)$/m.exec(normalised)?.[1]?.trim() : undefined;
  return {
    format,
    sections: [{ text: normalised, page: null }],
    pageCount: null,
    pageUnit: null,
    properties: heading ? { title: heading } : {},
    encoding,
  };
}
