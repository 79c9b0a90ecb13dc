/**
 * The strategy advisor's measurements and decisions: English reviews with an English vocabulary are
 * "similar", Chinese reviews with the same vocabulary are "different" (mostly [UNK]); the size ×
 * similarity matrix picks frozen / top-k / full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readBertConfig } from '../src/checkpoint/index.js';
import { BertTokenizer } from '../src/tokenization/index.js';
import { adviseStrategy, measureFragmentation } from '../src/training/advise.js';
import { runCli } from './helpers/cli.js';
import { sharedPath, TINY_MODEL_DIR } from './helpers/shared.js';

const english = readFileSync(sharedPath('datasets', 'sst2', 'sentiment-dev.tsv'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
const chinese = readFileSync(sharedPath('datasets', 'chnsenticorp', 'dev.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t').pop()!);

test('fragmentation: English text stays whole, Chinese text is unknown to an English vocabulary', async () => {
  const tok = await BertTokenizer.fromDir(TINY_MODEL_DIR);
  const en = await measureFragmentation(tok, english.slice(0, 300));
  assert.ok(en.piecesPerWord > 1 && en.piecesPerWord < 1.35, `English ${en.piecesPerWord}`);
  assert.ok(en.unkRate < 0.005, `English unk ${en.unkRate}`);
  const zh = await measureFragmentation(tok, chinese.slice(0, 300));
  assert.ok(zh.unkRate > 0.005 || zh.piecesPerWord > 1.35, `Chinese ${JSON.stringify(zh)}`);
});

test('the size × similarity matrix', async () => {
  const model = { tokenizer: await BertTokenizer.fromDir(TINY_MODEL_DIR), config: (await readBertConfig(TINY_MODEL_DIR)).config };
  const small = english.slice(0, 500);
  assert.deepEqual((await adviseStrategy(model, small)).strategy, { kind: 'frozen' });
  assert.deepEqual((await adviseStrategy(model, chinese.slice(0, 500))).strategy, { kind: 'top-k', layers: 1 });
  const large = Array.from({ length: 6000 }, (_, i) => english[i % english.length]!);
  assert.deepEqual((await adviseStrategy(model, large, { sample: 300 })).strategy, { kind: 'top-k', layers: 1 });
  const huge = Array.from({ length: 25000 }, (_, i) => english[i % english.length]!);
  assert.deepEqual((await adviseStrategy(model, huge, { sample: 300 })).strategy, { kind: 'full' });
  const zhLarge = Array.from({ length: 6000 }, (_, i) => chinese[i % chinese.length]!);
  const advice = await adviseStrategy(model, zhLarge, { sample: 300 });
  assert.deepEqual(advice.strategy, { kind: 'full' });
  assert.match(advice.summary, /pieces\/word/);
});

test('bertft advise prints the decision and the numbers behind it', () => {
  const r = runCli(['advise', '--model', TINY_MODEL_DIR, '--train', sharedPath('datasets', 'sst2', 'sentiment-dev.tsv'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const advice = JSON.parse(r.stdout);
  assert.equal(advice.strategy.kind, 'frozen');
  assert.equal(advice.size, 'small');
  assert.equal(advice.examples, 872);
  assert.ok(advice.piecesPerWord > 1);
});
