import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { pretrain } from '../../src/pretraining/pretrain.js';
import { chooseVocabulary, trimRows, trimVocabulary, type TrimmedVocabulary } from '../../src/pretraining/vocabulary.js';
import { BertTokenizer } from '../../src/tokenization/index.js';

// The embedded model's tokenizer: bert-base-uncased's 30,522 WordPiece pieces, whose 997 characters
// all exist both as `c` and as `##c`, so the trimming always keeps 5 special tokens + 2 × 997 = 1,999.
const SOURCE = 'models/bert-tiny-en';
const REQUIRED = 1999;
// "the" 3 times, "great" twice, "movie" once: with two free slots the trimming keeps "the" and "great".
const CORPUS = 'the the the great great movie\n';

let dir: string;
let trimmed: TrimmedVocabulary;
let tok: BertTokenizer;
let original: BertTokenizer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bertft-vocab-'));
  writeFileSync(join(dir, 'corpus.txt'), CORPUS);
  trimmed = await trimVocabulary({ tokenizer: SOURCE, text: [join(dir, 'corpus.txt')], size: REQUIRED + 2, output: join(dir, 'trimmed') });
  tok = await BertTokenizer.fromDir(trimmed.dir);
  original = await BertTokenizer.fromDir(SOURCE);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the trimmed vocabulary has exactly the size asked for, in vocab.txt, tokenizer.json and the loaded tokenizer', () => {
  assert.equal(trimmed.required, REQUIRED);
  assert.equal(trimmed.tokens.length, REQUIRED + 2);
  assert.equal(tok.vocabSize, REQUIRED + 2);
  assert.equal(readFileSync(join(trimmed.dir, 'vocab.txt'), 'utf8').trimEnd().split('\n').length, REQUIRED + 2);
  const json = JSON.parse(readFileSync(join(trimmed.dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  assert.equal(Object.keys(json.model.vocab).length, REQUIRED + 2);
  // The two free slots went to the corpus' most frequent pieces that are not characters.
  assert.ok(trimmed.tokens.includes('the') && trimmed.tokens.includes('great') && !trimmed.tokens.includes('movie'));
  // Kept pieces map back to their original rows.
  trimmed.tokens.forEach((t, i) => assert.equal(original.tokenToId(t), trimmed.sourceIds[i]));
});

test('special tokens keep working with their new ids, in the original order', async () => {
  assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId], [0, 1, 2, 3, 4]);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => tok.idToToken(i)),
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  );
  const enc = await tok.encode('the [MASK] movie');
  assert.equal(enc.ids[0], tok.clsId);
  assert.equal(enc.ids.at(-1), tok.sepId);
  assert.ok(enc.ids.includes(4), 'the [MASK] written in the text stays one token');
  const batch = await tok.encodeBatch(['great', 'the great movie']);
  assert.equal(batch.inputIds[batch.seqLength - 1], tok.padId);
  const pair = await tok.encode('great', 'the');
  assert.deepEqual(pair.typeIds, [0, 0, 0, 1, 1]);
});

test('the trimmed tokenizer.json gives the pieces derived by hand, and so does the vocab.txt route', async () => {
  const id = (t: string) => trimmed.tokens.indexOf(t);
  // Greedy longest match over [the, great, characters]: "greatest" → great + the letters of "est".
  const expected: Record<string, string[]> = {
    great: ['great'],
    greatest: ['great', '##e', '##s', '##t'],
    movie: ['m', '##o', '##v', '##i', '##e'],
    The: ['the'],
    // Lower-cased and accents stripped (BertNormalizer), then "the" + letters.
    Théâtre: ['the', '##a', '##t', '##r', '##e'],
    'great!': ['great', '!'],
  };
  for (const route of ['tokenizer.json', 'vocab.txt'] as const) {
    const t = await BertTokenizer.fromDir(trimmed.dir, { route });
    for (const [word, pieces] of Object.entries(expected)) assert.deepEqual(await t.tokenize(word), pieces, `${route}: ${word}`);
    const enc = await t.encode('greatest movie');
    assert.deepEqual(enc.ids, [2, ...['great', '##e', '##s', '##t', 'm', '##o', '##v', '##i', '##e'].map(id), 3]);
  }
  assert.deepEqual(await original.tokenize('greatest movie'), ['greatest', 'movie']);
});

test('every word the original spells without [UNK] is spelt without it after trimming', async () => {
  const sentences = [
    'The quixotic xylophonist reviewed a zymurgy handbook in 1987.',
    'Naïve café owners in São Paulo sold crème brûlée for €5!',
    'Cryptocurrency enthusiasts tweeted #HODL @ 3:45am — unbelievably.',
    'Антон and 東京 met the ΔΣ fraternity; résumé attached.',
  ];
  let words = 0;
  for (const s of sentences) {
    for (const word of s.split(/\s+/)) {
      if ((await original.tokenize(word)).includes('[UNK]')) continue;
      words++;
      assert.ok(!(await tok.tokenize(word)).includes('[UNK]'), `${word}: ${await tok.tokenize(word)}`);
    }
  }
  assert.ok(words >= 35, `${words} words checked`);
});

test('a trimming is reused when asked again, refused when too small, and a vocab.txt-only source gets a tokenizer.json', async () => {
  const again = await trimVocabulary({ tokenizer: SOURCE, text: [join(dir, 'corpus.txt')], size: REQUIRED + 2, output: trimmed.dir });
  assert.deepEqual(again.tokens, trimmed.tokens);
  await assert.rejects(
    trimVocabulary({ tokenizer: SOURCE, text: [join(dir, 'corpus.txt')], size: REQUIRED - 1, output: join(dir, 'small') }),
    (e: Error) => e instanceof UsageError && e.message.includes(`already take ${REQUIRED}`),
  );
  const plain = join(dir, 'plain');
  rmSync(plain, { recursive: true, force: true });
  mkdirSync(plain);
  for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(SOURCE, f), join(plain, f));
  const v = await trimVocabulary({ tokenizer: plain, text: [join(dir, 'corpus.txt')], size: REQUIRED + 2, output: join(dir, 'plain-trimmed') });
  assert.ok(existsSync(join(v.dir, 'tokenizer.json')));
  assert.deepEqual(v.tokens, trimmed.tokens);
  const t = await BertTokenizer.fromDir(v.dir, { route: 'tokenizer.json' });
  assert.deepEqual(await t.tokenize('greatest'), ['great', '##e', '##s', '##t']);
});

test('chooseVocabulary adds a missing character form and keeps the most frequent pieces; trimRows carries the rows over', () => {
  // "b" exists only as a word start, "##c" only as a continuation: their other forms are added at the end.
  const vocab = new Map(['[PAD]', '[UNK]', 'a', '##a', 'b', '##c', 'ab', 'ba', '##ab'].map((t, i) => [t, i]));
  const counts = [0, 0, 5, 5, 5, 5, 1, 9, 3];
  const { tokens, sourceIds, required } = chooseVocabulary(vocab, ['[PAD]', '[UNK]'], counts, 9);
  assert.equal(required, 8);
  assert.deepEqual(tokens, ['[PAD]', '[UNK]', 'a', '##a', 'b', '##c', 'ba', '##b', 'c']);
  assert.deepEqual(sourceIds, [0, 1, 2, 3, 4, 5, 7, -1, -1]);
  const table = Float32Array.from({ length: 9 * 2 }, (_, i) => i);
  const rows = trimRows(table, 2, sourceIds, (row) => row.fill(-1));
  assert.deepEqual([...rows.subarray(12, 18)], [14, 15, -1, -1, -1, -1]);
});

test('pretrain refuses --vocab-size with a model being continued, in one line', async () => {
  await assert.rejects(
    pretrain({ model: SOURCE, vocabSize: 4096, text: [join(dir, 'corpus.txt')], output: join(dir, 'out') }),
    (e: Error) => e instanceof UsageError && /--vocab-size .*--config/.test(e.message) && !e.message.includes('\n'),
  );
});
