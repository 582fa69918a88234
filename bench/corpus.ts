// The benchmarks' corpus: deterministic (seeded) text, markdown and PDF
// documents, and large text files for the upload benchmark. Generated once per
// spec under bench/corpus/ (gitignored) and reused; a `.complete` marker says a
// directory was written whole.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts } from 'pdf-lib';

export const CORPUS_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
export const SEED = 20_240_601;

/** mulberry32: small, fast, good enough for test data, identical everywhere. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
  };
}

type Rng = ReturnType<typeof rng>;

const PEOPLE = [
  'Marie Curie',
  'Albert Einstein',
  'Ada Lovelace',
  'Alan Turing',
  'Grace Hopper',
  'Niels Bohr',
  'Lise Meitner',
  'Emmy Noether',
  'Rosalind Franklin',
  'Enrico Fermi',
];
const PLACES = [
  'Paris',
  'Berlin',
  'London',
  'Copenhagen',
  'Vienna',
  'Cambridge',
  'Warsaw',
  'Rome',
  'Zurich',
  'Princeton',
];
const ORGS = [
  'the Royal Society',
  'the University of Warsaw',
  'the Institute for Advanced Study',
  'the Pasteur Institute',
  'CERN',
  'the Max Planck Society',
];
const WORDS = (
  'measurement experiment result theory model sample energy particle radiation isotope decay spectrum method analysis data ' +
  'observation error instrument laboratory reaction field wave structure crystal element nucleus electron photon signal ' +
  'temperature pressure volume density frequency amplitude calibration protocol hypothesis evidence review publication'
).split(' ');

function sentence(r: Rng): string {
  const kind = r.int(0, 4);
  const words = Array.from({ length: r.int(6, 16) }, () => r.pick(WORDS)).join(' ');
  if (kind === 0) return `${r.pick(PEOPLE)} studied the ${words} in ${r.pick(PLACES)}.`;
  if (kind === 1) return `Researchers at ${r.pick(ORGS)} reported that the ${words} was repeated.`;
  if (kind === 2) return `In ${r.int(1890, 2020)} ${r.pick(PEOPLE)} wrote to ${r.pick(PEOPLE)} about ${words}.`;
  const text = `The ${words}.`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Prose of about `bytes` bytes, in paragraphs, starting with a unique title. */
export function prose(r: Rng, title: string, bytes: number, markdown: boolean): string {
  const parts: string[] = [markdown ? `# ${title}\n` : `${title}\n`];
  let size = parts[0].length;
  let section = 1;
  while (size < bytes) {
    if (markdown && r.next() < 0.15) {
      const heading = `\n## Section ${section++}\n`;
      parts.push(heading);
      size += heading.length;
    }
    const paragraph = Array.from({ length: r.int(3, 8) }, () => sentence(r)).join(' ') + '\n\n';
    parts.push(paragraph);
    size += paragraph.length;
  }
  return parts.join('').slice(0, bytes);
}

async function complete(dir: string): Promise<boolean> {
  return existsSync(path.join(dir, '.complete'));
}

async function prepare(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** `count` text (.txt) and markdown (.md) documents of minKb..maxKb each. */
export async function textDocuments(options: {
  count: number;
  minKb: number;
  maxKb: number;
  seed?: number;
  name?: string;
}): Promise<string> {
  const seed = options.seed ?? SEED;
  const dir = path.join(CORPUS_ROOT, options.name ?? `text-${options.count}-${options.minKb}-${options.maxKb}-${seed}`);
  if (await complete(dir)) return dir;
  await prepare(dir);
  const r = rng(seed);
  for (let i = 0; i < options.count; i++) {
    const markdown = i % 2 === 0;
    const bytes = r.int(options.minKb * 1024, options.maxKb * 1024);
    const name = `doc-${String(i).padStart(5, '0')}.${markdown ? 'md' : 'txt'}`;
    await writeFile(path.join(dir, name), prose(r, `Report ${i} on ${r.pick(WORDS)} (seed ${seed})`, bytes, markdown));
  }
  await writeFile(path.join(dir, '.complete'), '');
  return dir;
}

/** `count` PDFs of minPages..maxPages pages of prose each. */
export async function pdfDocuments(options: {
  count: number;
  minPages: number;
  maxPages: number;
  seed?: number;
}): Promise<string> {
  const seed = options.seed ?? SEED + 1;
  const dir = path.join(CORPUS_ROOT, `pdf-${options.count}-${options.minPages}-${options.maxPages}-${seed}`);
  if (await complete(dir)) return dir;
  await prepare(dir);
  const r = rng(seed);
  for (let i = 0; i < options.count; i++) {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.setTitle(`Paper ${i} on ${r.pick(WORDS)}`);
    pdf.setAuthor(r.pick(PEOPLE));
    pdf.setCreationDate(new Date('2024-01-31T12:00:00Z'));
    pdf.setModificationDate(new Date('2024-01-31T12:00:00Z'));
    const pages = r.int(options.minPages, options.maxPages);
    for (let p = 0; p < pages; p++) {
      const page = pdf.addPage([595, 842]);
      const text = prose(r, `Paper ${i}, page ${p + 1}`, r.int(2_000, 3_500), false).replace(/\n+/g, ' ');
      const lines = text.match(/.{1,90}(\s|$)/g) ?? [text];
      lines.slice(0, 54).forEach((line, k) => page.drawText(line.trim(), { x: 40, y: 800 - k * 14, size: 10, font }));
    }
    await writeFile(path.join(dir, `paper-${String(i).padStart(3, '0')}.pdf`), await pdf.save());
  }
  await writeFile(path.join(dir, '.complete'), '');
  return dir;
}

/** `count` text files of `mb` MiB each, written in 1 MiB blocks (never whole in memory). */
export async function largeTextFiles(options: { count: number; mb: number; seed?: number }): Promise<string> {
  const seed = options.seed ?? SEED + 2;
  const dir = path.join(CORPUS_ROOT, `large-${options.count}x${options.mb}mb-${seed}`);
  if (await complete(dir)) return dir;
  await prepare(dir);
  const r = rng(seed);
  const block = Buffer.from(prose(r, 'block', 1024 * 1024, false).padEnd(1024 * 1024, ' '));
  for (let i = 0; i < options.count; i++) {
    const out = createWriteStream(path.join(dir, `large-${String(i).padStart(2, '0')}.txt`));
    // A unique first line per file, so each has its own hash.
    out.write(`large file ${i} of seed ${seed}\n`);
    for (let k = 0; k < options.mb; k++) {
      const piece =
        k === options.mb - 1 ? block.subarray(0, block.length - `large file ${i} of seed ${seed}\n`.length) : block;
      if (!out.write(piece)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
  await writeFile(path.join(dir, '.complete'), '');
  return dir;
}

/** The files of a corpus directory (not the marker), sorted, with their sizes. */
export async function corpusFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  return Promise.all(
    names.map(async (name) => ({ path: path.join(dir, name), size: (await stat(path.join(dir, name))).size })),
  );
}
