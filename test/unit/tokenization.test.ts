import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { BertftError } from '../../src/errors.js';
import { RefWordPiece } from '../reference/wordpiece.js';
import { EMBEDDED_MODEL_DIR, needsShared, SHARED, sharedPath } from '../helpers/shared.js';

/** bert-base-uncased's tokenizer (also shared/tokenizers/bert-tiny): the embedded model's. */
const UNCASED = EMBEDDED_MODEL_DIR;
const CHINESE = join(SHARED, 'tokenizers', 'bert-base-chinese');

/** Column 0 of a TSV without header (SST-2) or the `text_a` column of one with a header (ChnSentiCorp). */
function tsvColumn(path: string, column: string | number): string[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  if (typeof column === 'number') return lines.map((l) => l.split('\t')[column]);
  const header = lines.shift()!.split('\t');
  const idx = header.indexOf(column);
  return lines.map((l) => l.split('\t')[idx]);
}

async function assertRoutesAgree(dir: string, texts: string[], ref: RefWordPiece, maxLength: number): Promise<void> {
  const fast = await BertTokenizer.fromDir(dir, { route: 'tokenizer.json' });
  const vocab = await BertTokenizer.fromDir(dir, { route: 'vocab.txt' });
  assert.equal(fast.source, 'tokenizer.json');
  assert.equal(vocab.source, 'vocab.txt');
  const a = await fast.encodeBatch(texts, undefined, { maxLength });
  const b = await vocab.encodeBatch(texts, undefined, { maxLength });
  assert.deepEqual(a.inputIds, b.inputIds, 'tokenizer.json and vocab.txt routes disagree');
  assert.deepEqual(a.lengths, b.lengths);
  texts.forEach((text, row) => {
    const got = Array.from(a.inputIds.subarray(row * a.seqLength, row * a.seqLength + a.lengths[row]));
    assert.deepEqual(got, ref.encode(text, undefined, maxLength).ids, `row ${row}: ${JSON.stringify(text)}`);
  });
}

test('SST-2 dev: tokenizer.json, vocab.txt and the reference WordPiece give identical ids (uncased)', needsShared(), async () => {
  const texts = tsvColumn(sharedPath('datasets', 'sst2', 'sentiment-dev.tsv'), 0);
  assert.equal(texts.length, 872);
  await assertRoutesAgree(UNCASED, texts, new RefWordPiece(join(UNCASED, 'vocab.txt'), { lowerCase: true }), 512);
});

test('ChnSentiCorp dev: identical ids with bert-base-chinese (cased, CJK split)', needsShared(), async () => {
  const texts = tsvColumn(sharedPath('datasets', 'chnsenticorp', 'dev.tsv'), 'text_a');
  assert.ok(texts.length > 1000);
  await assertRoutesAgree(CHINESE, texts, new RefWordPiece(join(CHINESE, 'vocab.txt'), { lowerCase: false }), 512);
});

const HARD_CASES = [
  'Héllo wörld, naïve café — Ångström ÉCOLE',
  'What?!... "quoted" (parens) [brackets] {braces} --dash-- it\'s rock & roll; a/b\\c',
  'Prices: $1,234.56, 3.14159, 10^6, 1e-9, 50% off #1 @home',
  'see https://example.com/path?q=1&x=y#frag or mail me@example.org',
  'emoji 😀🎉 and ♥ symbols ™ ©',
  '東京は日本の首都です and 北京 is in 中国',
  'control\u0000chars\u0007here\ufffd and zero\u200bwidth',
  '  lots\t\tof   whitespace\n\nand\r\nnewlines  ',
  '',
  '[CLS] special [MASK] tokens [SEP] stay whole',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'x'.repeat(150),
];

test('hard cases match the reference WordPiece on both routes', async () => {
  const ref = new RefWordPiece(join(UNCASED, 'vocab.txt'), { lowerCase: true });
  await assertRoutesAgree(UNCASED, HARD_CASES, ref, 512);
  const tok = await BertTokenizer.fromDir(UNCASED);
  assert.deepEqual(await tok.tokenize('Héllo [MASK]'), ['hello', '[MASK]']);
  assert.deepEqual(await tok.tokenize('x'.repeat(150)), ['[UNK]'], 'words over 100 characters become [UNK]');
});

test('long texts are truncated to maxLength and still end in [SEP]', async () => {
  const tok = await BertTokenizer.fromDir(UNCASED);
  const long = Array.from({ length: 2000 }, (_, i) => `word${i % 50}`).join(' ');
  const { ids } = await tok.encode(long, undefined, { maxLength: 128 });
  assert.equal(ids.length, 128);
  assert.equal(ids[0], tok.clsId);
  assert.equal(ids[127], tok.sepId);
  const ref = new RefWordPiece(join(UNCASED, 'vocab.txt'), { lowerCase: true });
  assert.deepEqual(ids, ref.encode(long, undefined, 128).ids);
});

test('pairs: token types and longest-first truncation', async () => {
  const tok = await BertTokenizer.fromDir(UNCASED);
  const ref = new RefWordPiece(join(UNCASED, 'vocab.txt'), { lowerCase: true });
  const a = 'one two three four five six seven eight nine ten';
  const b = 'alpha beta gamma';
  // Room for 6 content tokens: the longer first segment loses tokens until it is no longer longer.
  const r = await tok.encode(a, b, { maxLength: 9 });
  assert.deepEqual(r, ref.encode(a, b, 9));
  assert.deepEqual(r.typeIds, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(
    r.ids.map((id) => tok.idToToken(id)),
    ['[CLS]', 'one', 'two', 'three', '[SEP]', 'alpha', 'beta', 'gamma', '[SEP]'],
  );
  // Equal lengths over an odd budget of 7: the first keeps ⌊7/2⌋ = 3, the second the other 4.
  const even = await tok.encode('a b c d', 'e f g h', { maxLength: 10 });
  assert.deepEqual(
    even.ids.map((id) => tok.idToToken(id)),
    ['[CLS]', 'a', 'b', 'c', '[SEP]', 'e', 'f', 'g', 'h', '[SEP]'],
  );
  assert.deepEqual(even, ref.encode('a b c d', 'e f g h', 10));
  const cases: [string, string, number][] = [
    ['short', 'a much longer second segment that goes on and on', 12],
    ['p q r s t', 'u v w x y', 9],
    ['a b c d e f g h i j', 'k l m n o', 10],
    ['k l m n o', 'a b c d e f g h i j', 10],
    ['a b c d e f g', 'x y', 8],
  ];
  for (const [x, y, n] of cases) {
    assert.deepEqual(await tok.encode(x, y, { maxLength: n }), ref.encode(x, y, n), `${x} | ${y} @ ${n}`);
  }
});

test('batches are padded to their longest row with masks and pad ids', async () => {
  const tok = await BertTokenizer.fromDir(UNCASED);
  const batch = await tok.encodeBatch(['a b c d e', 'f'], ['x', 'y z'], { maxLength: 64 });
  assert.equal(batch.batchSize, 2);
  assert.equal(batch.seqLength, 9);
  assert.deepEqual(batch.lengths, [9, 6]);
  assert.deepEqual(Array.from(batch.attentionMask), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(batch.inputIds.subarray(15)), [tok.padId, tok.padId, tok.padId]);
  assert.deepEqual(Array.from(batch.tokenTypeIds.subarray(9)), [0, 0, 0, 1, 1, 1, 0, 0, 0]);
  const rounded = await tok.encodeBatch(['a b c d e'], undefined, { padToMultipleOf: 8 });
  assert.equal(rounded.seqLength, 8);
  const empty = await tok.encodeBatch([]);
  assert.equal(empty.batchSize, 0);
});

test('clear errors for folders without a usable tokenizer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-tok-'));
  await assert.rejects(BertTokenizer.fromDir(dir), (e: unknown) => e instanceof BertftError && /no tokenizer found/.test(e.message) && e.message.includes(dir));
  writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0", broken');
  await assert.rejects(
    BertTokenizer.fromDir(dir),
    (e: unknown) => e instanceof BertftError && e.message.includes('tokenizer.json') && !e.message.includes('\n'),
  );
  const vocabOnly = mkdtempSync(join(tmpdir(), 'bertft-tok-'));
  writeFileSync(join(vocabOnly, 'vocab.txt'), 'hello\nworld\n');
  await assert.rejects(BertTokenizer.fromDir(vocabOnly), (e: unknown) => e instanceof BertftError && /cls token "\[CLS\]"/.test(e.message));
  const ok = mkdtempSync(join(tmpdir(), 'bertft-tok-'));
  copyFileSync(join(UNCASED, 'vocab.txt'), join(ok, 'vocab.txt'));
  const tok = await BertTokenizer.fromDir(ok);
  assert.equal(tok.source, 'vocab.txt', 'a folder with only vocab.txt uses the WordPiece route');
  assert.equal(tok.vocabSize, 30522);
});
