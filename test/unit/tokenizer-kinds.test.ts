/**
 * Tokenizers of every kind (src/tokenization/describe.ts, bert-tokenizer.ts): what tokenizer.json
 * says about its model and special tokens, type ids bounded by the model's type table, word ids, and
 * `text_pair` in predict's JSON lines. The ids themselves are checked against Hugging Face in
 * test/e2e/families-e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextLines } from '../../src/cli/input.js';
import { BertftError } from '../../src/errors.js';
import { BertTokenizer, describeTokenizerJson } from '../../src/tokenization/index.js';
import { byteLevelText } from '../../src/tokenization/describe.js';
import { EMBEDDED_MODEL_DIR, needsShared, sharedPath } from '../helpers/shared.js';

test('describeTokenizerJson: model kind, word marker and special tokens by role', () => {
  const roberta = describeTokenizerJson({
    model: { type: 'BPE', unk_token: null },
    pre_tokenizer: { type: 'ByteLevel' },
    post_processor: { type: 'RobertaProcessing', cls: ['<s>', 0], sep: ['</s>', 2] },
    added_tokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].map((content) => ({ content, special: true })),
  });
  assert.deepEqual(roberta, {
    kind: 'bpe',
    wordStart: 'Ġ',
    byteLevel: true,
    specials: { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', maskToken: '<mask>', unkToken: '<unk>' },
  });
  const xlmr = describeTokenizerJson({
    model: {
      type: 'Unigram',
      unk_id: 1,
      vocab: [
        ['<s>', 0],
        ['<unk>', 0],
      ],
    },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁' }] },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel' },
        { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }, { Sequence: { id: 'A' } }, { SpecialToken: { id: '</s>' } }] },
      ],
    },
    padding: { pad_token: '<pad>' },
  });
  assert.deepEqual(xlmr, {
    kind: 'unigram',
    wordStart: '▁',
    byteLevel: false,
    specials: { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', unkToken: '<unk>' },
  });
  const wp = describeTokenizerJson({
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '@@' },
    post_processor: { type: 'BertProcessing', cls: ['[CLS]', 101], sep: ['[SEP]', 102] },
  });
  assert.deepEqual(wp, { kind: 'wordpiece', continuingPrefix: '@@', byteLevel: false, specials: { clsToken: '[CLS]', sepToken: '[SEP]', unkToken: '[UNK]' } });
  assert.equal(describeTokenizerJson({ model: { type: 'WordLevel' } }).kind, 'other');
});

test('byte-level pieces read back as text', () => {
  assert.equal(byteLevelText('Ġhello'), ' hello');
  assert.equal(byteLevelText('cafÃ©'), 'café');
  assert.equal(byteLevelText('Ċ'), '\n');
  assert.equal(byteLevelText('©')[0], '\uFFFD', 'a piece that starts inside a character');
});

test('special tokens come from tokenizer.json when the folder has no tokenizer_config.json', needsShared(), async () => {
  for (const [family, want] of [
    ['roberta', ['<s>', '</s>', '<pad>', '<mask>', '<unk>']],
    ['xlm-roberta', ['<s>', '</s>', '<pad>', '<mask>', '<unk>']],
    ['modernbert', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'bertft-tokjson-'));
    copyFileSync(sharedPath('fixtures', 'hf-e2e', family, 'seq', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const tok = await BertTokenizer.fromDir(dir);
    assert.deepEqual(
      [tok.clsId, tok.sepId, tok.padId, tok.maskId!, tok.unkId].map((id) => tok.idToToken(id)),
      want,
      family,
    );
  }
});

test("a folder with only a slow tokenizer's files says what to do", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-slow-'));
  writeFileSync(join(dir, 'vocab.json'), '{}');
  writeFileSync(join(dir, 'merges.txt'), '');
  await assert.rejects(
    BertTokenizer.fromDir(dir),
    (e: unknown) => e instanceof BertftError && e.message.includes('no tokenizer found') && e.message.includes('vocab.json, merges.txt alone is not read'),
  );
});

test('type ids the model has no row for become 0; by default they are the post-processor’s', async () => {
  const two = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const one = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR, { typeVocabSize: 1 });
  const a = await two.encode('first text', 'second one', { maxLength: 64 });
  const b = await one.encode('first text', 'second one', { maxLength: 64 });
  assert.deepEqual(b.ids, a.ids);
  assert.ok(a.typeIds.includes(1));
  assert.deepEqual(
    b.typeIds,
    a.typeIds.map(() => 0),
  );
  const batch = await one.encodeBatch(['x', 'first text'], ['y z', 'second one'], { maxLength: 64 });
  assert.ok(batch.tokenTypeIds.every((t) => t === 0));
});

test('word ids per token: specials and padding -1, WordPiece continuations share a word', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const one = await tok.encode('unaffable words', undefined, { words: true });
  const pieces = one.ids.map((id) => tok.idToToken(id));
  assert.deepEqual(pieces, ['[CLS]', 'una', '##ffa', '##ble', 'words', '[SEP]']);
  assert.deepEqual(one.wordIds, [null, 0, 0, 0, 1, null]);
  assert.deepEqual(BertTokenizer.continuations(one.wordIds!), [false, false, true, true, false, false]);
  assert.deepEqual(
    one.ids.map((id) => tok.isContinuation(id)),
    [false, false, true, true, false, false],
  );
  assert.equal((await tok.encode('x')).wordIds, undefined, 'only when asked for');
  const batch = await tok.encodeBatch(['unaffable words', 'a'], ['b', 'c'], { words: true });
  assert.deepEqual(Array.from(batch.wordIds!), [-1, 0, 0, 0, 1, -1, 0, -1, -1, 0, -1, 0, -1, -1, -1, -1]);
  assert.deepEqual(BertTokenizer.continuations(batch.wordIds!.subarray(0, 8)), [false, false, true, true, false, false, false, false]);
  assert.equal((await tok.encodeBatch(['a'])).wordIds, undefined);
});

test('predict input: text_pair in JSON lines, aligned with the texts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-input-'));
  const file = join(dir, 'in.jsonl');
  writeFileSync(file, '{"text": "a", "text_pair": "b"}\n\n{"text": "c"}\n{"text": "d", "text_pair": null}\n');
  assert.deepEqual(readTextLines(file), { source: file, texts: ['a', 'c', 'd'], lines: [1, 3, 4], pairs: ['b', undefined, undefined] });
  writeFileSync(file, '{"text": "a"}\n');
  assert.deepEqual(readTextLines(file), { source: file, texts: ['a'], lines: [1] }, 'no pairs when no line has one');
  writeFileSync(file, '{"text": "a", "text_pair": 3}\n');
  assert.throws(
    () => readTextLines(file),
    (e: unknown) => e instanceof BertftError && e.message === `${file}:1: "text_pair" must be a string`,
  );
});
