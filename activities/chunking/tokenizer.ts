import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { mergeBytePairs, type BytePairWork } from './byte-pair.ts';

/**
 * cl100k_base, the tokenizer of OpenAI's embedding models, in time linear in
 * the text (up to a log factor inside one very long "word"). The ranks and the
 * pre-tokenizing pattern are js-tiktoken's; the merging is ours (byte-pair.ts)
 * because js-tiktoken's is quadratic in the length of a piece. Text is encoded
 * as ordinary text: "<|endoftext|>" in a document is just characters (js-tiktoken
 * threw on it).
 */
class Cl100kTokenizer {
  private readonly ranks = new Map<string, number>();
  /** Token → its bytes, as a binary string. */
  private readonly bytesOf: string[] = [];
  private readonly pattern: RegExp;
  /**
   * Short pieces seen lately (words repeat), in two generations so memory stays
   * flat: when the newer is full it becomes the older and the oldest is dropped.
   */
  private recent = new Map<string, number[]>();
  private older = new Map<string, number[]>();

  constructor() {
    this.pattern = new RegExp(cl100k.pat_str, 'gu');
    for (const line of cl100k.bpe_ranks.split('\n')) {
      // "! <first rank> <base64 token> <base64 token> …"
      const [, first, ...tokens] = line.split(' ');
      if (first === undefined) continue;
      let rank = Number(first);
      for (const token of tokens) {
        const bytes = Buffer.from(token, 'base64').toString('latin1');
        this.ranks.set(bytes, rank);
        this.bytesOf[rank++] = bytes;
      }
    }
  }

  encode(text: string): number[] {
    const tokens: number[] = [];
    for (const [piece] of text.matchAll(this.pattern)) this.encodePiece(piece, tokens);
    return tokens;
  }

  decode(tokens: readonly number[]): string {
    // An incomplete UTF-8 sequence at the end (a cut inside a character) decodes to U+FFFD.
    return Buffer.from(tokens.map((token) => this.bytesOf[token] ?? '').join(''), 'latin1').toString('utf8');
  }

  private encodePiece(piece: string, out: number[]): void {
    const cached = this.recent.get(piece) ?? this.older.get(piece);
    if (cached) {
      for (const token of cached) out.push(token);
      return;
    }
    const bytes = Buffer.byteLength(piece) === piece.length ? piece : Buffer.from(piece).toString('latin1');
    const whole = this.ranks.get(bytes);
    if (whole !== undefined) {
      out.push(whole);
      return;
    }
    const first = out.length;
    // A "word" past MAX_PIECE_BYTES (a megabyte without a space or a change of
    // script) is merged in parts, cut between characters, so memory stays bounded.
    for (let start = 0; start < bytes.length;) {
      let end = Math.min(bytes.length, start + MAX_PIECE_BYTES);
      while (end < bytes.length && (bytes.charCodeAt(end) & 0xc0) === 0x80) end--;
      mergeBytePairs(
        start === 0 && end === bytes.length ? bytes : bytes.slice(start, end),
        this.ranks,
        out,
        bytePairWork,
      );
      start = end;
    }
    if (piece.length <= CACHED_PIECE_CHARS) {
      if (this.recent.size >= CACHED_PIECES) {
        this.older = this.recent;
        this.recent = new Map();
      }
      this.recent.set(piece, out.slice(first));
    }
  }
}

const MAX_PIECE_BYTES = 1 << 20;
const CACHED_PIECE_CHARS = 48;
const CACHED_PIECES = 20_000;

/** Everything handed to the byte-pair merging so far (in this thread), for tests that check it grows linearly. */
export const bytePairWork: BytePairWork = { pieces: 0, bytes: 0, heapOperations: 0 };

let instance: Cl100kTokenizer | undefined;

/** Loaded once, on first use. */
function tokenizer(): Cl100kTokenizer {
  instance ??= new Cl100kTokenizer();
  return instance;
}

export function encode(text: string): number[] {
  return tokenizer().encode(text);
}

export function decode(tokens: readonly number[]): string {
  return tokenizer().decode(tokens);
}

export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}
