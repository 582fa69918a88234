import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import { UnreadableDocumentError } from './types.ts';

/**
 * Share of control bytes (C0 but tab, line feed, form feed, carriage return,
 * and DEL) above which a file is binary, and how many a file may hold
 * whatever its size. Real text files carry a few stray NULs or other controls
 * (an editor's bug, a cut-off export); those are removed later with the other
 * code points PostgreSQL refuses, not a reason to refuse the file.
 */
const MAX_CONTROL_SHARE = 0.01;
const CONTROLS_ALWAYS_ALLOWED = 4;

/**
 * Bytes of a text file as a string: a BOM decides first (UTF-8, UTF-16 LE/BE),
 * then UTF-16 without a BOM (NULs in every other byte), then strict UTF-8,
 * then the encoding chardet guesses (latin-1 and friends). Bytes that look
 * binary (more than 1 % control bytes, and more than a few) are refused.
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: string } {
  const { label, encoding, skip } = textEncodingOf(bytes);
  return { text: new TextDecoder(label).decode(bytes.subarray(skip)), encoding };
}

/** Characters decoded per piece by decodeInPieces. */
const PIECE_BYTES = 1 << 20;

/**
 * The same text as decodeText, in pieces of about a megabyte, so a caller that
 * streams it (a big HTML file) never holds the whole string.
 */
export function decodeInPieces(bytes: Uint8Array): { pieces: Iterable<string>; encoding: string } {
  const { label, encoding, skip } = textEncodingOf(bytes);
  function* pieces() {
    const decoder = new TextDecoder(label);
    for (let at = skip; at < bytes.length; at += PIECE_BYTES)
      yield decoder.decode(bytes.subarray(at, Math.min(bytes.length, at + PIECE_BYTES)), { stream: true });
    yield decoder.decode();
  }
  return { pieces: pieces(), encoding };
}

/**
 * How to decode a text file (see decodeText): the TextDecoder label, the
 * encoding to report, and the BOM's bytes to skip. Throws corrupt_file for binary data.
 */
function textEncodingOf(bytes: Uint8Array): { label: string; encoding: string; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { label: 'utf-8', encoding: 'utf-8', skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { label: 'utf-16le', encoding: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { label: 'utf-16be', encoding: 'utf-16be', skip: 2 };

  const sample = bytes.subarray(0, 65_536);
  if (isBinarySample(sample)) {
    // UTF-16 without a BOM is possible; chardet recognises it, anything else this full of control bytes is binary.
    const guess = chardet.detect(sample);
    if (guess === 'UTF-16LE' || guess === 'UTF-16BE')
      return { label: guess.toLowerCase(), encoding: guess.toLowerCase(), skip: 0 };
    throw new UnreadableDocumentError('corrupt_file', 'the file holds binary data, not text');
  }
  if (isUtf8(bytes)) return { label: 'utf-8', encoding: 'utf-8', skip: 0 };
  const guess = (chardet.detect(sample) ?? 'windows-1252').toLowerCase();
  // ISO-8859-1 is decoded as windows-1252, its superset (what browsers do too).
  const label = guess === 'iso-8859-1' ? 'windows-1252' : guess;
  try {
    new TextDecoder(label);
    return { label, encoding: guess, skip: 0 };
  } catch {
    return { label: 'windows-1252', encoding: 'windows-1252', skip: 0 };
  }
}

/** Whether the start of a file reads as text in some encoding decodeText knows (a BOM, UTF-16, or few control bytes). */
export function isTextSample(sample: Uint8Array): boolean {
  if (
    (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) ||
    (sample[0] === 0xff && sample[1] === 0xfe) ||
    (sample[0] === 0xfe && sample[1] === 0xff)
  )
    return true;
  if (!isBinarySample(sample)) return true;
  const guess = chardet.detect(sample);
  return guess === 'UTF-16LE' || guess === 'UTF-16BE';
}

function isBinarySample(sample: Uint8Array): boolean {
  let controls = 0;
  for (const byte of sample)
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f) controls++;
  return controls > Math.max(CONTROLS_ALWAYS_ALLOWED, sample.length * MAX_CONTROL_SHARE);
}
