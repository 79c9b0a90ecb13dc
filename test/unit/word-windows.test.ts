/**
 * Token classification's windows (src/tokenization/word-windows.ts) and the tokenizer's offsets
 * under them (BertTokenizer.encodeWithOffsets): offsets slice back to each token's text for every
 * tokenizer kind; windows fit, overlap by the stride, respect words and own each token once; word
 * labels spread over pieces as run_ner.py does; whole-text ids equal Hugging Face's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BertftError, UsageError } from '../../src/errors.js';
import { BertTokenizer, type OffsetEncoding } from '../../src/tokenization/bert-tokenizer.js';
import { byteLevelText } from '../../src/tokenization/describe.js';
import { bToILabels, encodeWindows, encodeWordWindows, tokenLabels, type TokenWindow, type WindowedText } from '../../src/tokenization/word-windows.js';
import { EMBEDDED_MODEL_DIR, needsShared, sharedPath } from '../helpers/shared.js';

const FAMILIES = ['bert', 'distilbert', 'electra', 'roberta', 'modernbert', 'xlm-roberta', 'albert', 'deberta-v2'];
const familyDir = (family: string) => sharedPath('fixtures', 'hf-e2e', family, 'tok');

const TRICKY_TEXTS = [
  "Zürich's café — naïve crème brûlée",
  '東京 and 北京 are cities; 東京は大きい。',
  '😀 ok 👍🏽 fine 😀😀',
  'The U.S.-based firm (Acme, Inc.) grew 12.5%!',
  'double  spaces   here',
  '  leading and trailing  ',
];

const FORTY_WORDS = Array.from({ length: 40 }, (_, i) => ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dogs'][i % 8]!).join(' ');

/** Letters only, without case, accents or spaces: what every tokenizer kind keeps of a text. */
const fold = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[\p{M}\s]/gu, '')
    .toLowerCase();

/** What a vocabulary piece spells, by the tokenizer's kind (markers dropped, byte-level bytes decoded). */
function pieceText(tok: BertTokenizer, pieces: string[]): string {
  if (tok.kind === 'wordpiece') return pieces.map((p) => p.replace(/^##/, '')).join('');
  if (tok.kind === 'bpe') return byteLevelText(pieces.join(''));
  return pieces.join('').replaceAll('▁', ' ');
}

/**
 * Metaspace prepends a `▁` to the text; a lone `▁` for it carries the offsets of the character
 * after it (the text has no space there), which the next token's offsets then also start at.
 */
function isPrependedSpace(tok: BertTokenizer, enc: OffsetEncoding, i: number, slice: string): boolean {
  return tok.kind === 'unigram' && enc.tokens[i] === '▁' && slice.trim() !== '' && i + 1 < enc.ids.length;
}

/** Asserts that each body token's offsets slice out the text it spells (pieces of one character together). */
async function assertOffsetsSliceBack(tok: BertTokenizer, text: string, label: string): Promise<void> {
  const enc = await tok.encodeWithOffsets(text);
  for (let i = 0; i < enc.ids.length; ) {
    const [start, end] = enc.offsets[i]!;
    let j = i + 1;
    while (j < enc.ids.length && enc.offsets[j]![0] === start && enc.offsets[j]![1] === end) j++;
    const slice = text.slice(start, end);
    const where = `${label}: tokens ${enc.tokens.slice(i, j).join(' ')} at [${start}, ${end}) of ${JSON.stringify(text)}`;
    assert.ok(!/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(slice), `${where} split a surrogate pair`);
    if (enc.special[i]) assert.deepEqual([start, end], [0, 0], where);
    else if (enc.ids[i] === tok.unkId) assert.notEqual(slice.trim(), '', where);
    else if (isPrependedSpace(tok, enc, i, slice)) assert.equal(start, enc.offsets[i + 1]![0], where);
    else assert.equal(fold(slice), fold(pieceText(tok, enc.tokens.slice(i, j))), where);
    i = j;
  }
  assert.deepEqual(
    enc.tokens,
    enc.ids.map((id) => tok.idToToken(id)),
  );
}

/** Asserts what every windowing must give: fitting windows, stride overlap, full coverage, one owner per token. */
async function assertWindowInvariants(tok: BertTokenizer, w: WindowedText, maxLength: number, stride: number): Promise<void> {
  const template = await tok.singleSequenceTemplate();
  const n = w.tokens.length;
  const body = (await tok.encodeWithOffsets(FORTY_WORDS)).ids;
  let owned = 0;
  w.windows.forEach((win, k) => {
    assert.ok(win.ids.length <= maxLength, `window ${k} has ${win.ids.length} tokens`);
    assert.equal(win.ids.length, win.typeIds.length);
    assert.equal(win.ids.length, win.tokenWords.length);
    const prefix = template.prefixIds.length;
    assert.deepEqual([...win.ids.subarray(0, prefix)], template.prefixIds);
    assert.deepEqual([...win.ids.subarray(win.ids.length - template.suffixIds.length)], template.suffixIds);
    assert.deepEqual([...win.ids.subarray(prefix, prefix + win.bodyEnd - win.bodyStart)], body.slice(prefix + win.bodyStart, prefix + win.bodyEnd));
    if (k > 0) assertOverlap(w, k, stride);
    assert.equal(win.ownedStart, owned, `window ${k}'s owned range follows the one before`);
    assert.ok(win.bodyStart <= win.ownedStart && win.ownedEnd <= win.bodyEnd, `window ${k} owns only its own tokens`);
    owned = win.ownedEnd;
  });
  // The owner of a token is a window where it sits farthest from a cut edge (the text's ends are no cut).
  const distance = (win: TokenWindow, t: number) =>
    Math.min(win.bodyStart === 0 ? Infinity : t - win.bodyStart, win.bodyEnd === n ? Infinity : win.bodyEnd - 1 - t);
  for (const win of w.windows) {
    for (let t = win.ownedStart; t < win.ownedEnd; t++) {
      for (const other of w.windows) if (other.bodyStart <= t && t < other.bodyEnd) assert.ok(distance(other, t) <= distance(win, t), `token ${t}'s owner`);
    }
  }
  assert.equal(w.windows[0]!.bodyStart, 0);
  assert.equal(w.windows.at(-1)!.bodyEnd, n);
  assert.equal(owned, n, 'the owned ranges tile the text');
  assert.equal(w.report.windows, w.windows.length);
  assert.equal(w.report.textsSplit, w.windows.length > 1 ? 1 : 0);
}

/**
 * A window overlaps the one before by the stride; or less, down to none, when it starts at a word
 * that fits a window but would have been cut had the window started `stride` tokens back.
 */
function assertOverlap(w: WindowedText, k: number, stride: number): void {
  const { bodyStart } = w.windows[k]!;
  const previousEnd = w.windows[k - 1]!.bodyEnd;
  if (bodyStart === previousEnd - stride) return;
  assert.ok(bodyStart > previousEnd - stride && bodyStart <= previousEnd, `window ${k} starts at ${bodyStart}, the one before ends at ${previousEnd}`);
  assert.notEqual(w.wordOfToken[bodyStart], w.wordOfToken[bodyStart - 1], `window ${k} starts later than the stride says, but not at a word`);
}

test('offsets are UTF-16 ranges that slice out each token, for every tokenizer kind', needsShared(), async () => {
  for (const [label, dir] of [['bert-tiny-en', EMBEDDED_MODEL_DIR], ...FAMILIES.map((f) => [f, familyDir(f)])] as const) {
    const tok = await BertTokenizer.fromDir(dir);
    for (const text of TRICKY_TEXTS) await assertOffsetsSliceBack(tok, text, label);
  }
});

test('offsets past an emoji count UTF-16 code units, not code points or bytes', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const text = '😀 ok Zürich 東京';
  const enc = await tok.encodeWithOffsets(text);
  const slices = enc.offsets.filter((_, i) => !enc.special[i]).map(([s, e]) => text.slice(s, e));
  // The binding counts "😀" as one character; JS strings hold it as two code units.
  assert.equal(slices[0], '😀', JSON.stringify(slices));
  assert.deepEqual(slices.slice(-2), ['東', '京']);
  assert.equal(slices.join('').replaceAll(' ', ''), text.replaceAll(' ', ''));
});

test('the special-token template is what the tokenizer puts around a short text', needsShared(), async () => {
  for (const [family, prefix, suffix] of [
    ['bert', '[CLS]', '[SEP]'],
    ['roberta', '<s>', '</s>'],
    ['modernbert', '[CLS]', '[SEP]'],
    ['xlm-roberta', '<s>', '</s>'],
    ['deberta-v2', '[CLS]', '[SEP]'],
  ] as const) {
    const tok = await BertTokenizer.fromDir(familyDir(family));
    const t = await tok.singleSequenceTemplate();
    const short = await tok.encode('hello there');
    assert.deepEqual(t.prefixIds, short.ids.slice(0, 1), family);
    assert.deepEqual(t.suffixIds, short.ids.slice(-1), family);
    assert.deepEqual(
      [...t.prefixIds, ...t.suffixIds].map((id) => tok.idToToken(id)),
      [prefix, suffix],
      family,
    );
    assert.deepEqual([...t.prefixTypeIds, ...t.suffixTypeIds], [short.typeIds[0], short.typeIds.at(-1)], family);
  }
});

test('windows of 8 with stride 2 on 40 words: fit, overlap by the stride, cover and own every token once, end at words', needsShared(), async () => {
  for (const [label, dir] of [['bert-tiny-en', EMBEDDED_MODEL_DIR], ...['roberta', 'xlm-roberta', 'albert'].map((f) => [f, familyDir(f)])] as const) {
    const tok = await BertTokenizer.fromDir(dir);
    const w = await encodeWindows(tok, FORTY_WORDS, { maxLength: 8, stride: 2 });
    assert.ok(w.windows.length > 5, `${label}: ${w.windows.length} windows`);
    await assertWindowInvariants(tok, w, 8, 2);
    assert.equal(w.report.wordsCut, 0, label);
    for (const win of w.windows.slice(0, -1)) {
      assert.notEqual(w.wordOfToken[win.bodyEnd], w.wordOfToken[win.bodyEnd - 1], `${label}: a window ends inside a word`);
    }
    assert.deepEqual([...new Set(w.wordOfToken)], [...Array(40).keys()], `${label}: one word per written word`);
  }
});

test('a word longer than a window is cut and counted once; every token stays covered', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const text = 'a pneumonoultramicroscopicsilicovolcanoconiosis b';
  const w = await encodeWindows(tok, text, { maxLength: 6, stride: 1 });
  const longWord = w.wordOfToken[1]!;
  assert.ok(w.wordOfToken.filter((x) => x === longWord).length > 4, w.tokens.join(' '));
  assert.equal(w.report.wordsCut, 1);
  assert.equal(w.report.textsSplit, 1);
  assert.ok(w.windows.every((win) => win.ids.length <= 6));
  assert.equal(w.windows.at(-1)!.bodyEnd, w.tokens.length);
  // The first window ends before the long word (it has room to), the next ones cut it.
  assert.equal(w.windows[0]!.bodyEnd, 1);
  w.windows.slice(1).forEach((_, k) => assert.equal(w.windows[k + 1]!.bodyStart, w.windows[k]!.bodyEnd - 1));
});

test('words given for training keep their own split: "U.S.-based" is one word whatever the tokenizer splits', needsShared(), async () => {
  const words = ['The', 'U.S.-based', 'firm', 'hired', 'Zoë', '東京', '😀'];
  for (const family of ['bert', 'roberta', 'modernbert', 'xlm-roberta', 'albert']) {
    const tok = await BertTokenizer.fromDir(familyDir(family));
    const w = await encodeWordWindows(tok, words, { maxLength: 512, stride: 0 });
    assert.equal(w.text, words.join(' '));
    assert.deepEqual([...new Set(w.wordOfToken)], [...words.keys()], `${family}: ${w.tokens.join(' ')} → ${w.wordOfToken.join(',')}`);
    w.wordOfToken.forEach((word, t) => {
      const [start, end] = w.offsets[t]!;
      const [ws, we] = w.wordSpans[word]!;
      const content = w.text.slice(start, end).trim();
      if (content) assert.ok(start < we && end > ws, `${family}: token ${w.tokens[t]} [${start}, ${end}) lies outside word ${word}`);
    });
    assert.deepEqual(w.windows[0]!.tokenWords.at(0), -1);
    assert.deepEqual(w.windows[0]!.tokenWords.at(-1), -1);
  }
});

test('a lone space piece (byte-level Ġ, Metaspace ▁) joins the next word, in raw text too', needsShared(), async () => {
  for (const family of ['roberta', 'modernbert', 'xlm-roberta']) {
    const tok = await BertTokenizer.fromDir(familyDir(family));
    const w = await encodeWindows(tok, 'one  two 東京  ', { maxLength: 512, stride: 0 });
    assert.equal(Math.max(...w.wordOfToken) + 1, 3, `${family}: ${w.tokens.join(' ')} → ${w.wordOfToken.join(',')}`);
    const first = w.tokens.findIndex((_, t) => w.wordOfToken[t] === 1);
    assert.ok(w.tokens[first]!.includes('Ġ') || w.tokens[first]!.includes('▁'), `${family}: word 1 starts with its space`);
  }
});

test('tokenLabels: first piece, label-all (B→I with a map), -100 on specials and words begun before the window', () => {
  const words = Int32Array.from([-1, 0, 0, 1, 2, 2, 2, -1]);
  const labels = [1, 0, 3]; // B-PER, O, B-ORG
  const bToI = bToILabels(['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-MISC']);
  assert.deepEqual([...bToI], [0, 2, 2, 4, 4, 5]);
  assert.deepEqual([...tokenLabels(words, labels, false)], [-100, 1, -100, 0, 3, -100, -100, -100]);
  assert.deepEqual([...tokenLabels(words, labels, true)], [-100, 1, 1, 0, 3, 3, 3, -100]);
  assert.deepEqual([...tokenLabels(words, labels, true, -100, bToI)], [-100, 1, 2, 0, 3, 4, 4, -100]);
  assert.deepEqual([...tokenLabels(words, labels, false, -1)], [-1, 1, -1, 0, 3, -1, -1, -1]);
  assert.throws(() => tokenLabels(Int32Array.from([0, 3]), labels, false), RangeError);
});

test('a window that starts inside a word does not label that word', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const words = ['a', 'pneumonoultramicroscopicsilicovolcanoconiosis', 'b'];
  const w = await encodeWordWindows(tok, words, { maxLength: 6, stride: 1 });
  const labels = [0, 1, 0];
  const firstPiece = w.wordOfToken.indexOf(1);
  // Windows [0, 1), [0, 4), [3, 6) …: the long word's first piece is in the second window only,
  // and the windows after it start inside the word, which they leave unlabelled.
  assert.deepEqual(
    w.windows.slice(0, 3).map((win) => [win.bodyStart, win.bodyEnd]),
    [
      [0, 1],
      [0, 4],
      [3, 7],
    ],
  );
  assert.deepEqual([...tokenLabels(w.windows[1]!.tokenWords, labels, true)], [-100, 0, 1, 1, 1, -100]);
  assert.deepEqual([...tokenLabels(w.windows[1]!.tokenWords, labels, false)], [-100, 0, 1, -100, -100, -100]);
  for (const win of w.windows.slice(2)) {
    assert.ok(win.bodyStart > firstPiece);
    const labelled = tokenLabels(win.tokenWords, labels, true).filter((l, i) => l !== -100 && w.wordOfToken[win.bodyStart + i - 1] === 1);
    assert.deepEqual([...labelled], [], 'no label for a word begun before the window');
  }
  assert.equal(w.report.wordsCut, 1);
});

test('--max-length too small for the special tokens plus one, or --stride not below the window, is a one-line UsageError', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const refuses = async (options: { maxLength: number; stride: number }, flag: RegExp) =>
    assert.rejects(
      () => encodeWindows(tok, 'some text', options),
      (e: unknown) => e instanceof UsageError && e instanceof BertftError && flag.test(e.message) && !e.message.includes('\n'),
    );
  await refuses({ maxLength: 2, stride: 0 }, /--max-length 2 .*at least 3/);
  await refuses({ maxLength: 8, stride: 6 }, /--stride 6 .*below 6/);
  await refuses({ maxLength: 8, stride: -1 }, /--stride/);
  await refuses({ maxLength: 8.5, stride: 0 }, /--max-length/);
  const w = await encodeWindows(tok, 'some text', { maxLength: 3, stride: 0 });
  assert.ok(w.windows.every((win) => win.ids.length === 3));
});

test('an empty text has no windows', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const w = await encodeWindows(tok, '   ', { maxLength: 16, stride: 2 });
  assert.deepEqual(w.windows, []);
  assert.deepEqual(w.report, { windows: 0, textsSplit: 0, wordsCut: 0 });
});

test("a whole text in one window has Hugging Face's ids (expected.json of the hf-e2e fixtures)", needsShared(), async () => {
  for (const family of FAMILIES) {
    const tok = await BertTokenizer.fromDir(familyDir(family));
    const expected = JSON.parse(readFileSync(sharedPath('fixtures', 'hf-e2e', family, 'expected.json'), 'utf8')) as {
      texts: (string | string[])[];
      rows: { ids: number[]; tokens: string[] }[];
    };
    let compared = 0;
    for (const [i, text] of expected.texts.entries()) {
      const row = expected.rows[i]!;
      if (typeof text !== 'string' || row.ids.length === 64) continue;
      const w = await encodeWindows(tok, text, { maxLength: 512, stride: 0 });
      assert.equal(w.windows.length, 1);
      assert.deepEqual([...w.windows[0]!.ids], row.ids, `${family}: ${JSON.stringify(text)}`);
      // The fixture's tokens are getTokens()'s, which spell an unknown Unigram piece as its text.
      const known = (_: string, t: number) => w.windows[0]!.ids[t + 1] !== tok.unkId;
      assert.deepEqual(w.tokens.filter(known), row.tokens.slice(1, -1).filter(known), `${family}: ${JSON.stringify(text)}`);
      compared++;
    }
    assert.ok(compared >= 5, `${family}: ${compared} rows compared`);
  }
});
