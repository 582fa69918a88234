import { MobiFormatError } from './errors.ts';
import type { BookHeader } from './headers.ts';
import { isPresent } from './headers.ts';
import { readIndex } from './index-records.ts';
import { RecordView } from './palm-database.ts';

/**
 * The chapters of a KF8 (AZW3) book as HTML documents. Its raw markup is cut
 * in flows by the FDST table (flow 0 is the HTML, the others CSS and SVG);
 * the HTML flow holds each file as a skeleton (the outer tags) followed by its
 * fragments, which the fragment index says where to insert (an absolute
 * position within the flow). Reassembling them gives each file as written.
 */
export function kf8Chapters(header: BookHeader, record: (index: number) => Uint8Array, raw: Uint8Array): Uint8Array[] {
  const html = raw.subarray(0, htmlFlowEnd(header, record, raw.length));
  if (!isPresent(header.skeletonIndex) || !isPresent(header.fragmentIndex)) return [html];
  const skeletons = readIndex(record, header.skeletonIndex).map((entry) => {
    const [offset, length] = entry.tags.get(6) ?? [];
    const fragmentCount = entry.tags.get(1)?.[0];
    if (offset === undefined || length === undefined || fragmentCount === undefined)
      throw new MobiFormatError(`skeleton ${entry.name} has no position or fragment count`);
    return { offset, length, fragmentCount };
  });
  const fragments = readIndex(record, header.fragmentIndex).map((entry) => {
    const [offset, length] = entry.tags.get(6) ?? [];
    const insertAt = Number.parseInt(entry.name, 10);
    if (offset === undefined || length === undefined || !Number.isInteger(insertAt))
      throw new MobiFormatError(`fragment ${entry.name} has no position`);
    return { insertAt, offset, length };
  });
  const chapters: Uint8Array[] = [];
  let nextFragment = 0;
  for (const skeleton of skeletons) {
    const own = fragments.slice(nextFragment, nextFragment + skeleton.fragmentCount);
    nextFragment += skeleton.fragmentCount;
    let file = slice(html, skeleton.offset, skeleton.length);
    let fragmentStart = skeleton.offset + skeleton.length;
    for (const fragment of own) {
      const at = fragment.insertAt - skeleton.offset;
      if (at < 0 || at > file.length)
        throw new MobiFormatError(`a fragment is inserted outside its skeleton (at ${at})`);
      const piece = slice(html, fragmentStart, fragment.length);
      fragmentStart += fragment.length;
      file = concat(file.subarray(0, at), piece, file.subarray(at));
    }
    chapters.push(file);
  }
  return chapters;
}

/** Where the HTML flow ends: FDST's first flow, or the whole text when the book has no flow table. */
function htmlFlowEnd(header: BookHeader, record: (index: number) => Uint8Array, rawLength: number): number {
  if (!isPresent(header.fdst)) return rawLength;
  const fdst = new RecordView(record(header.fdst), 'the FDST record');
  if (fdst.ascii(0, 4) !== 'FDST') throw new MobiFormatError('the flow table (FDST) record is missing');
  if (fdst.u32(8) === 0) return rawLength;
  return Math.min(fdst.u32(16), rawLength);
}

function slice(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  if (offset < 0 || offset + length > bytes.length)
    throw new MobiFormatError(
      `a skeleton or fragment (bytes ${offset}–${offset + length}) lies past the end of the text (${bytes.length})`,
    );
  return bytes.subarray(offset, offset + length);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
