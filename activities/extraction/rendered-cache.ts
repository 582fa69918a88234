import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TextWindow, type TextSink } from './text-window.ts';
import type { ExtractedDocument, HeadingMark, PageRange } from './types.ts';

/**
 * The whole text of a document read in ranges of characters, kept on disk by
 * the attempt that reads it: the first range renders the document once (HTML
 * parsed, DOCX converted) and writes its text here as it goes; every later
 * range reads its window back instead of rendering the document again, so
 * reading n ranges costs one rendering, not n. UTF-16 on disk, so a character
 * offset is a byte offset × 2. The directory belongs to one attempt (the
 * extraction step makes and removes it); a retry renders afresh.
 */
export class RenderedTextCache {
  private readonly textFile: string;
  private readonly headingsFile: string;
  private readonly factsFile: string;

  constructor(dir: string) {
    this.textFile = path.join(dir, 'text.utf16le');
    this.headingsFile = path.join(dir, 'headings.jsonl');
    this.factsFile = path.join(dir, 'facts.json');
  }

  /** Whether a whole rendering is here (the facts are written last). */
  get complete(): boolean {
    return existsSync(this.factsFile);
  }

  /** A sink that writes the text and its headings as they are rendered; `finish` with the document's facts. */
  writer(): TextSink & { finish(facts: CachedFacts): void } {
    const text = openSync(this.textFile, 'w');
    const headings = openSync(this.headingsFile, 'w');
    let open = true;
    return {
      text: (piece) => void writeSync(text, Buffer.from(piece, 'utf16le')),
      heading: (offset, headingPath) => void writeSync(headings, `${JSON.stringify([offset, headingPath])}\n`),
      finish: (facts) => {
        if (!open) return;
        open = false;
        closeSync(text);
        closeSync(headings);
        writeFileSync(`${this.factsFile}.part`, JSON.stringify(facts));
        renameSync(`${this.factsFile}.part`, this.factsFile);
      },
    };
  }

  /** The document with only the characters of `range`, read back (the same cut as TextWindow makes while rendering). */
  read(range: PageRange): ExtractedDocument {
    const facts = JSON.parse(readFileSync(this.factsFile, 'utf8')) as CachedFacts;
    const marks = readFileSync(this.headingsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as [number, string[]]);
    // A window's cuts fall within LONGEST_LINE_SEARCHED (+1) after its boundaries; read one character before it too.
    const from = Math.max(0, range.first - 2);
    const to = Math.min(facts.extent, range.last + 10_002);
    const window = new TextWindow(range);
    let m = 0;
    let path: string[] = [];
    while (m < marks.length && marks[m][0] < from) path = marks[m++][1];
    window.resumeAt(from, path);
    const local: HeadingMark[] = [];
    for (; m < marks.length && marks[m][0] < to; m++) local.push({ offset: marks[m][0] - from, path: marks[m][1] });
    window.push(readChars(this.textFile, from, to), local);
    const { text, headings } = window.result();
    return {
      format: facts.format,
      sections: [{ text, page: null, headings }],
      pageCount: null,
      pageUnit: null,
      extent: facts.extent,
      properties: facts.properties,
      encoding: facts.encoding,
    };
  }
}

/** What the first range learnt of the document as a whole. */
export type CachedFacts = Pick<ExtractedDocument, 'format' | 'properties' | 'encoding'> & { extent: number };

function readChars(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const buffer = Buffer.alloc((to - from) * 2);
  const fd = openSync(file, 'r');
  try {
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, from * 2 + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf16le');
  } finally {
    closeSync(fd);
  }
}
