// Keywords, entity terms and hashing features of scripts with combining marks
// (Hindi's vowel signs and viramas, Thai's tone marks) and of scripts written
// without spaces (Thai) are whole words, never pieces cut at a mark.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';
import { entitiesOf } from '../../activities/graph/entities.ts';
import { countWords, TextAnalyzer } from '../../activities/metadata/text-analysis.ts';
import { trimToWord, wordsOf } from '../../activities/text/words.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

const HINDI =
  'भारत दक्षिण एशिया में स्थित एक विशाल देश है। दिल्ली भारत की राजधानी है और मुंबई भारत का सबसे बड़ा शहर है। ' +
  'गंगा नदी भारत की सबसे पवित्र नदी मानी जाती है। भारत में अनेक भाषाएँ बोली जाती हैं और हिन्दी सबसे अधिक बोली जाने वाली भाषा है। ' +
  'दिल्ली और मुंबई के बीच रेलगाड़ी चलती है। गंगा नदी के किनारे वाराणसी शहर बसा है।';
const HINDI_WORDS = HINDI.split(/[\s।]+/).filter(Boolean);

/** Real Thai: no spaces between words, spaces between phrases. Its words, as a Thai reader cuts them. */
const THAI =
  'กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ประเทศไทยมีประชากรประมาณเจ็ดสิบล้านคน ' +
  'แม่น้ำเจ้าพระยาไหลผ่านกรุงเทพมหานคร อาหารไทยมีชื่อเสียงไปทั่วโลก นักท่องเที่ยวเดินทางมาประเทศไทยทุกปี';
const THAI_WORDS = new Set([
  'กรุงเทพมหานคร',
  'เป็น',
  'เมือง',
  'หลวง',
  'ของ',
  'ประเทศไทย',
  'มี',
  'ประชากร',
  'ประมาณ',
  'เจ็ด',
  'สิบ',
  'ล้าน',
  'คน',
  'แม่น้ำ',
  'เจ้าพระยา',
  'ไหล',
  'ผ่าน',
  'อาหาร',
  'ไทย',
  'ชื่อเสียง',
  'ไป',
  'ทั่ว',
  'โลก',
  'นักท่องเที่ยว',
  'เดินทาง',
  'มา',
  'ทุก',
  'ปี',
  'แม่',
  'น้ำ',
  'ชื่อ',
  'เสียง',
  'นัก',
  'ท่องเที่ยว',
  'ท่อง',
  'เที่ยว',
  'เดิน',
  'ทาง',
  'ทุกปี',
  'เมืองหลวง',
  'ทั่วโลก',
]);

/** Whether `word` is one known Thai word or a compound of them (ICU's dictionary joins some, such as มีชื่อ), never a piece of one. */
function isWholeThai(word: string): boolean {
  const ends = new Set([0]);
  for (let end = 1; end <= word.length; end++)
    for (const start of ends)
      if (THAI_WORDS.has(word.slice(start, end))) {
        ends.add(end);
        break;
      }
  return ends.has(word.length);
}

describe('words of every script', () => {
  test('Hindi words keep their vowel signs and viramas; Thai is cut into dictionary words', () => {
    assert.deepEqual([...wordsOf(HINDI)], HINDI_WORDS);
    const thai = [...wordsOf(THAI)];
    assert.ok(thai.length >= 20, JSON.stringify(thai));
    for (const word of thai) assert.ok(isWholeThai(word), `"${word}" is not a Thai word`);
    assert.equal(thai.join(''), THAI.replace(/\s/g, ''), 'nothing lost between the words');
    assert.deepEqual(
      [...wordsOf("Curie's well-known café, naïve (NFD: nai\u0308ve)")],
      ["Curie's", 'well-known', 'café', 'naïve', 'NFD', 'nai\u0308ve'],
    );
    assert.equal(countWords(HINDI), HINDI_WORDS.length);
  });

  test('a long unspaced run is cut window by window without losing or splitting words', () => {
    const long = THAI.replace(/\s/g, '').repeat(40);
    const words = [...wordsOf(long)];
    assert.equal(words.join(''), long);
    for (const word of words) assert.ok(isWholeThai(word), `"${word}" is not a Thai word`);
  });

  test('a word trimmed of its edges keeps its marks and letters of every script', () => {
    assert.equal(trimToWord('(Paris),'), 'Paris');
    assert.equal(trimToWord('«Zürich»'), 'Zürich');
    assert.equal(trimToWord('नमस्ते।'), 'नमस्ते', 'the danda goes, the virama and vowel signs stay');
    assert.equal(trimToWord('"nai\u0308ve".'), 'nai\u0308ve');
    assert.equal(trimToWord('cafe\u0301!'), 'cafe\u0301', 'a combining mark ends the word');
    assert.equal(trimToWord('...'), '');
    assert.equal(trimToWord(''), '');
    assert.equal(trimToWord('marie curie'), 'marie curie', 'inside, nothing changes');
    assert.equal(trimToWord('"Curie\'s"'), "Curie's");
  });

  test('every word wordsOf reads is already trimmed: one pattern for both', () => {
    for (const word of wordsOf(`${mixedText(30_000, 3)} ${HINDI} ${THAI}`)) assert.equal(trimToWord(word), word);
  });

  test('keywords of a Hindi and a Thai text are whole words, the frequent ones first', () => {
    const keywords = (text: string) => {
      const analyzer = new TextAnalyzer();
      analyzer.add(text);
      return analyzer.result();
    };
    const hindi = keywords(HINDI);
    assert.equal(hindi.language, 'hin');
    assert.equal(hindi.keywords[0], 'भारत');
    assert.ok(hindi.keywords.includes('दिल्ली') && hindi.keywords.includes('मुंबई'), hindi.keywords.join(' '));
    for (const word of hindi.keywords) assert.ok(HINDI_WORDS.includes(word), `"${word}" is not a whole Hindi word`);

    const thai = keywords(THAI);
    assert.equal(thai.language, 'tha');
    assert.deepEqual(thai.keywords.slice(0, 2), ['ประเทศไทย', 'กรุงเทพมหานคร']);
    for (const word of thai.keywords) assert.ok(isWholeThai(word), `"${word}" is not a whole Thai word`);
  });

  test('entity terms of a Hindi and a Thai text are whole words, not sentences or pieces', () => {
    const hindi = entitiesOf(HINDI).map((e) => e.name);
    assert.ok(hindi.includes('भारत'), hindi.join(' | '));
    for (const name of hindi) assert.ok(HINDI_WORDS.includes(name), `"${name}" is not a whole Hindi word`);
    const thai = entitiesOf(THAI).map((e) => e.name);
    assert.ok(thai.includes('ประเทศไทย'), thai.join(' | '));
    for (const name of thai) assert.ok(isWholeThai(name), `"${name}" is not a whole Thai word`);
    // English still goes through the tagger.
    const english = entitiesOf('Marie Curie worked in Paris with the University of Warsaw.');
    assert.ok(
      english.some((e) => e.kind === 'person' && e.name === 'marie curie'),
      JSON.stringify(english),
    );
  });

  test('hashing features are whole words: a Hindi word is not the same as its letters without their marks', () => {
    const provider = new HashingEmbeddingProvider(384, 10);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i], 0);
    // Without \p{M}, मुंबई was read as the words म and बई: the two vectors were the same.
    assert.ok(cosine(provider.vector('मुंबई'), provider.vector('म बई')) < 0.5);
    assert.ok(cosine(provider.vector('दिल्ली शहर'), provider.vector('शहर दिल्ली।')) > 0.999);
  });
});
