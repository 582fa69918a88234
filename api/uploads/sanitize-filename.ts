/** Longest display name kept, in characters (the extension is kept whole). */
const MAX_FILENAME_CHARS = 200;

/**
 * The name a client sent, made safe to show: no directory parts (either
 * slash), no control or bidi-override characters, trimmed, bounded in length.
 * Storage never uses it; keys are made from ids. Empty when nothing is left.
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .replace(/^\.+/, '');
  if (cleaned.length <= MAX_FILENAME_CHARS) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_FILENAME_CHARS - extension.length) + extension;
}
