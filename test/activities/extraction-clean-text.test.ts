import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractDocx } from '../../activities/extraction/docx.ts';
import { extractEpub } from '../../activities/extraction/epub.ts';
import { extractHtml, htmlToText } from '../../activities/extraction/html.ts';
import {
  bigSphinxPage,
  CODE_LINES,
  CONTENT_SENTENCES,
  docbookPage,
  messyDocx,
  messyEpub,
  NAVIGATION_WORDS,
  SCRIPT_SENTENCES,
  sphinxPage,
} from '../fixtures/messy-documents.ts';

const lines = (text: string) => text.split('\n').map((line) => line.trimEnd());

/** What every extracted text must satisfy: content kept, one block per line, code verbatim, no markup, no navigation. */
function assertCleanText(text: string, what: string) {
  for (const markup of ['<span', 'class="', '</', '<code', '<a ', '<p>', '&lt;', '&#39;', '¶'])
    assert.ok(!text.includes(markup), `${what}: markup ${JSON.stringify(markup)} left in the text`);
  assert.doesNotMatch(text, /<\/?[a-zA-Z][^>]*>/, `${what}: a tag left in the text`);
  for (const words of NAVIGATION_WORDS)
    assert.doesNotMatch(text, new RegExp(`\\b${words}\\b`), `${what}: navigation "${words}" kept`);
  const textLines = lines(text);
  // Inline boundaries became spaces, block boundaries line breaks: each sentence is a line of its own.
  for (const sentence of [...CONTENT_SENTENCES, ...Object.values(SCRIPT_SENTENCES)])
    assert.ok(textLines.includes(sentence), `${what}: no line reads "${sentence}"`);
  // The highlighted listing is its text, line for line, indentation kept.
  const codeStart = textLines.indexOf(CODE_LINES[0]);
  assert.ok(codeStart >= 0, `${what}: code listing missing`);
  assert.deepEqual(
    textLines.slice(codeStart, codeStart + CODE_LINES.length),
    CODE_LINES,
    `${what}: code listing changed`,
  );
  // Tables read a row per line, cells apart as in a Markdown table.
  for (const row of ['| Mode | Meaning |', '| r | open for reading |', '| w | open for writing |'])
    assert.ok(textLines.includes(row), `${what}: no table row "${row}"`);
}

describe('clean text from HTML and EPUB shaped like real documentation', () => {
  test('a Sphinx page: the main content only, code without its highlighting markup, words apart where inline tags meet', () => {
    const { text, title, language, authors } = htmlToText(sphinxPage(2));
    assertCleanText(text, 'sphinx');
    assert.ok(
      lines(text).includes('File handling 0') && lines(text).includes('File handling 1'),
      'section headings on their own lines',
    );
    assert.equal(title, 'File handling — Example 3.11 documentation');
    assert.equal(language, 'en');
    assert.deepEqual(authors, ['Example Foundation']);
  });

  test('a DocBook page (XHTML, navigation tables, no landmarks): navigation gone, program listing verbatim', () => {
    const doc = extractHtml(new TextEncoder().encode(docbookPage()));
    const text = doc.sections[0].text;
    assertCleanText(text, 'docbook');
    assert.deepEqual(
      lines(text).slice(0, 1),
      ['5.1. Table Basics'],
      'the page starts with its title, not the navigation bar',
    );
    const listing = lines(text).indexOf('CREATE TABLE products (');
    assert.deepEqual(lines(text).slice(listing, listing + 4), [
      'CREATE TABLE products (',
      '    product_no integer,',
      '    name text',
      ');',
    ]);
    assert.equal(doc.properties.title, '5.1. Table Basics');
    assert.equal(doc.properties.language, 'ru');
  });

  test('an EPUB whose chapters are such pages: each chapter clean, in spine order', async () => {
    let chapters = 0;
    const doc = await extractEpub((await messyEpub()).bytes, () => chapters++);
    assert.equal(doc.pageCount, 2);
    assert.equal(chapters, 2);
    doc.sections.forEach((section, i) => assertCleanText(section.text, `chapter ${i + 1}`));
    assert.match(doc.sections[0].text, /^File handling\n/);
    assert.match(doc.sections[1].text, /^5\.1\. Table Basics\n/);
    assert.equal(doc.properties.title, 'Messy Manual');
  });

  test('a ~5 MB page of many sections: every section extracted, clean throughout', () => {
    const html = bigSphinxPage(5_000_000);
    assert.ok(html.length >= 5_000_000, `${html.length} characters`);
    const sections = (html.match(/<section id="s\d+">/g) ?? []).length;
    const { text } = htmlToText(html);
    assertCleanText(text, 'big page');
    const headings = lines(text).filter((line) => /^File handling \d+$/.test(line));
    assert.equal(headings.length, sections);
    assert.equal(lines(text).filter((line) => line === CONTENT_SENTENCES[0]).length, sections);
  });

  test('inline boundaries: a space between words, none before punctuation or inside unspaced scripts', () => {
    const text = (body: string) => htmlToText(`<html><body>${body}</body></html>`).text;
    assert.equal(text('<p>the<code>open()</code>function</p>'), 'the open() function');
    assert.equal(text('<p>call<a href="#">os.path</a>.join(<em>a</em>, <em>b</em>)</p>'), 'call os.path.join(a, b)');
    assert.equal(text('<p>Visible &amp; decoded, <b>bold</b>.</p>'), 'Visible & decoded, bold.');
    assert.equal(text('<p>ファイルを<b>開く</b>関数</p>'), 'ファイルを開く関数');
    assert.equal(text('<p>ฟังก์ชัน<b>นี้</b>เปิดไฟล์</p>'), 'ฟังก์ชันนี้เปิดไฟล์');
    assert.equal(text('<p>foo<!-- a comment -->bar</p>'), 'foobar');
    assert.equal(
      text('<div>first block</div><div>second<br>line</div><ul><li>one</li><li>two</li></ul>'),
      'first block\nsecond\nline\n * one\n * two',
    );
  });

  test('without a landmark or Sphinx/DocBook classes, header, nav, aside and footer are still dropped; an article header is kept', () => {
    const { text } = htmlToText(
      `<html><body><header><a href="/">Site Name</a><nav><a href="/a">Archive</a></nav></header><div id="content"><article><header><h1>Article Title</h1></header>` +
        `<p>The article body stays.</p><aside epub:type="footnote"><p>A footnote stays.</p></aside></article></div>` +
        `<aside><p>Sidebar promotion</p></aside><footer>Site footer</footer></body></html>`,
    );
    assert.equal(text, 'Article Title\n\nThe article body stays.\n\nA footnote stays.');
  });

  test('XHTML self-closing tags do not swallow what follows; many unclosed <p> and <li> are not depth', () => {
    const xhtml = `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title><script src="x.js"/></head><body><p><a id="x"/>Anchored text.</p><div class="empty"/><p>After the empty div.</p></body></html>`;
    assert.equal(htmlToText(xhtml).text, 'Anchored text.\n\nAfter the empty div.');
    const flat = `<html><body>${'<p>Paragraph without end <ul><li>item<li>item</ul>'.repeat(3_000)}</body></html>`;
    assert.equal(lines(htmlToText(flat).text).filter((line) => line === 'Paragraph without end').length, 3_000);
  });

  test('a Word document: headings, paragraphs, line breaks, list items and table rows on lines of their own; runs inside a word not split', async () => {
    const doc = await extractDocx((await messyDocx()).bytes);
    assert.deepEqual(lines(doc.sections[0].text).filter(Boolean), [
      'File handling',
      'Use the open() function to read a file.',
      'First line',
      'Second line',
      ' * First item',
      ' * Second item',
      '| Mode | Meaning |',
      '| r | open for reading |',
      SCRIPT_SENTENCES.japanese,
    ]);
  });
});
