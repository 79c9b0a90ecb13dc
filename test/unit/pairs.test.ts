/**
 * A row without a second text is a single text everywhere: `tokenizeAll` (what training,
 * evaluation and predict all tokenize with) encodes it as `[CLS] A [SEP]` / `<s> A </s>` even when
 * other rows are pairs, as Hugging Face does for a text alone; rows with a pair get the pair template.
 * The serve request parser takes the same `{"text", "text_pair"}` items.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassifyRequest, textsAndPairs } from '../../src/serve/classify-request.js';
import { tokenizeAll } from '../../src/training/tokenized.js';
import { tokenizeExamples } from '../../src/training/training-data.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR, needsShared, sharedPath } from '../helpers/shared.js';

const texts = ['a gripping film', 'the plot drags', 'an odd one', 'worth it'];
const pairs = [undefined, 'but the cast is great', undefined, 'every minute'];

async function checkMixed(tok: BertTokenizer): Promise<void> {
  const set = await tokenizeAll(tok, texts, pairs, 32);
  for (const [i, text] of texts.entries()) {
    const want = await tok.encode(text, pairs[i], { maxLength: 32 });
    assert.deepEqual(Array.from(set.ids[i]!), want.ids, `row ${i}`);
    assert.deepEqual(Array.from(set.typeIds[i]!), want.typeIds, `row ${i}: type ids`);
  }
  // Training and evaluation read examples through the same path.
  const examples = texts.map((text, i) => ({ text, ...(pairs[i] !== undefined ? { textPair: pairs[i] } : {}), file: 'x', line: i + 1 }));
  assert.deepEqual((await tokenizeExamples(tok, examples, 32)).ids, set.ids);
  // Without any pair, the rows are exactly the single-text batch.
  const singles = await tokenizeAll(tok, texts, undefined, 32);
  for (const [i, text] of texts.entries()) assert.deepEqual(Array.from(singles.ids[i]!), (await tok.encode(text, undefined, { maxLength: 32 })).ids);
}

test('a missing pair is a single text, not an empty second segment (WordPiece)', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  await checkMixed(tok);
  const set = await tokenizeAll(tok, texts, pairs, 32);
  assert.equal(set.ids[0]!.filter((id) => id === tok.sepId).length, 1, 'one [SEP] for a text alone');
});

test('a missing pair is a single text (RoBERTa: <s> A </s>)', needsShared(), async () => {
  await checkMixed(await BertTokenizer.fromDir(sharedPath('fixtures', 'hf-e2e', 'roberta', 'seq')));
});

test('serve: {"text", "text_pair"} items, alone or in "texts", beside plain strings', () => {
  const limits = { maxTexts: 8, maxTextLength: 100 };
  const mixed = parseClassifyRequest({ texts: ['a', { text: 'b', text_pair: 'c' }, { text: 'd' }] }, limits);
  assert.deepEqual(textsAndPairs(mixed.texts), [
    ['a', 'b', 'd'],
    [undefined, 'c', undefined],
  ]);
  assert.deepEqual(textsAndPairs(parseClassifyRequest({ texts: ['a', 'b'] }, limits).texts), [['a', 'b'], undefined]);
  const one = parseClassifyRequest({ text: 'x', text_pair: 'y' }, limits);
  assert.deepEqual(one, { texts: [{ text: 'x', textPair: 'y' }], single: true });
  assert.throws(() => parseClassifyRequest({ texts: [{ text: 'a', pair: 'b' }] }, limits), /texts\[0\]: unknown field "pair"/);
  assert.throws(() => parseClassifyRequest({ texts: [{ text: 'a', text_pair: 3 }] }, limits), /texts\[0\]\.text_pair must be a string, got number/);
  assert.throws(() => parseClassifyRequest({ texts: ['a'], text_pair: 'b' }, limits), /"text_pair" goes with "text"/);
  assert.throws(() => parseClassifyRequest({ text: 'a', text_pair: '' }, limits), /"text_pair" is empty/);
});
