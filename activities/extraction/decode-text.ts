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
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };

  const sample = bytes.subarray(0, 65_536);
  if (isBinarySample(sample)) {
    // UTF-16 without a BOM is possible; chardet recognises it, anything else this full of control bytes is binary.
    const guess = chardet.detect(sample);
    if (guess === 'UTF-16LE' || guess === 'UTF-16BE')
      return { text: new TextDecoder(guess.toLowerCase()).decode(bytes), encoding: guess.toLowerCase() };
    throw new UnreadableDocumentError('corrupt_file', 'the file holds binary data, not text');
  }

  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // not UTF-8: ask chardet below
  }
  const guess = (chardet.detect(sample) ?? 'windows-1252').toLowerCase();
  // ISO-8859-1 is decoded as windows-1252, its superset (what browsers do too).
  const label = guess === 'iso-8859-1' ? 'windows-1252' : guess;
  try {
    return { text: new TextDecoder(label).decode(bytes), encoding: guess };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
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
