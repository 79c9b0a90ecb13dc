/**
 * The strategy advisor's measurements and decisions: English reviews with an English vocabulary are
 * "similar", Chinese reviews with the same vocabulary are "different" (mostly [UNK]); the size ×
 * similarity matrix picks frozen / top-k / full. Beside fragmentation, the model's own masked-LM
 * loss on a seeded sample: movie sentences read like the shared IMDB model's pre-training text, SMS
 * messages and questions do not; a model without a masked-LM head falls back to fragmentation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors.js';
import { loadPretrained } from '../../src/pretrained.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { adviseStrategy, measureFragmentation } from '../../src/training/advise.js';
import { measureMlmSimilarity, MLM_SIMILARITY_THRESHOLDS } from '../../src/training/mlm-similarity.js';
import { runCli } from '../helpers/cli.js';
import { needsShared, sharedData, sharedPath, TINY_MODEL_DIR } from '../helpers/shared.js';

// The shared IMDB model and its calibrated masked-LM limits, with the shared data sets: every test here needs ../shared.
/** The text of every line of a shared data set's file (after `skip` header lines), as `text` takes it out. */
const texts = (file: string[], text: (line: string) => string, { encoding = 'utf8' as BufferEncoding, skip = 0 } = {}) =>
  sharedData(() =>
    readFileSync(sharedPath('datasets', ...file), encoding)
      .split('\n')
      .slice(skip)
      .filter(Boolean)
      .map(text),
  );
const english = texts(['sst2', 'sentiment-dev.tsv'], (l) => l.split('\t')[0]!);
const chinese = texts(['chnsenticorp', 'dev.tsv'], (l) => l.split('\t').pop()!, { skip: 1 });
const sms = texts(['sms_spam', 'SMSSpamCollection'], (l) => l.split('\t')[1]!);
const trec = texts(['trec', 'train_5500.label'], (l) => l.split(' ').slice(1).join(' '), { encoding: 'latin1' });

test('fragmentation: English text stays whole, Chinese text is unknown to an English vocabulary', needsShared(), async () => {
  const tok = await BertTokenizer.fromDir(TINY_MODEL_DIR);
  const en = await measureFragmentation(tok, english().slice(0, 300));
  assert.ok(en.piecesPerWord > 1 && en.piecesPerWord < 1.35, `English ${en.piecesPerWord}`);
  assert.ok(en.unkRate < 0.005, `English unk ${en.unkRate}`);
  const zh = await measureFragmentation(tok, chinese().slice(0, 300));
  assert.ok(zh.unkRate > 0.005 || zh.piecesPerWord > 1.35, `Chinese ${JSON.stringify(zh)}`);
});

test('the size × similarity matrix', needsShared(), async () => {
  const model = { tokenizer: await BertTokenizer.fromDir(TINY_MODEL_DIR), config: (await readBertConfig(TINY_MODEL_DIR)).config };
  const small = english().slice(0, 500);
  assert.deepEqual((await adviseStrategy(model, small)).strategy, { kind: 'frozen' });
  assert.deepEqual((await adviseStrategy(model, chinese().slice(0, 500))).strategy, { kind: 'top-k', layers: 1 });
  const en = english();
  const large = Array.from({ length: 6000 }, (_, i) => en[i % en.length]!);
  assert.deepEqual((await adviseStrategy(model, large, { sample: 300 })).strategy, { kind: 'top-k', layers: 1 });
  const huge = Array.from({ length: 25000 }, (_, i) => en[i % en.length]!);
  assert.deepEqual((await adviseStrategy(model, huge, { sample: 300 })).strategy, { kind: 'full' });
  const zh = chinese();
  const zhLarge = Array.from({ length: 6000 }, (_, i) => zh[i % zh.length]!);
  const advice = await adviseStrategy(model, zhLarge, { sample: 300 });
  assert.deepEqual(advice.strategy, { kind: 'full' });
  assert.match(advice.summary, /pieces\/word/);
});

test('bertft advise prints the decision and the numbers behind it', needsShared(), () => {
  const r = runCli(['advise', '--model', TINY_MODEL_DIR, '--train', sharedPath('datasets', 'sst2', 'sentiment-dev.tsv'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const advice = JSON.parse(r.stdout);
  assert.equal(advice.strategy.kind, 'frozen');
  assert.equal(advice.size, 'small');
  assert.equal(advice.examples, 872);
  assert.ok(advice.piecesPerWord > 1);
  assert.ok(advice.maskedLm.loss > 0 && advice.maskedLm.loss <= advice.thresholds.maxMaskedLmLoss, JSON.stringify(advice.maskedLm));
  assert.equal(advice.maskedLm.sampled, 200);
  assert.equal(advice.thresholds.maxMaskedLmLoss, MLM_SIMILARITY_THRESHOLDS.maxLoss);
});

test('masked-LM similarity is deterministic for a seed and changes with it', needsShared(), async () => {
  const model = await loadPretrained(TINY_MODEL_DIR);
  const a = await measureMlmSimilarity(model, english(), { seed: 42, sample: 64, minMasked: 300 });
  const b = await measureMlmSimilarity(model, english(), { seed: 42, sample: 64, minMasked: 300 });
  assert.deepEqual(a, b);
  assert.ok(a.maskedTokens >= 300 && a.sampled === 64, JSON.stringify(a));
  assert.ok(Number.isFinite(a.loss) && a.loss > 0 && a.accuracy >= 0 && a.accuracy <= 1);
  assert.ok(Math.abs(a.perplexity - Math.exp(a.loss)) < 1e-6 * a.perplexity);
  const c = await measureMlmSimilarity(model, english(), { seed: 7, sample: 64, minMasked: 300 });
  assert.notEqual(c.loss, a.loss);
});

test('off-domain text has a higher masked-LM loss than in-domain text on the shared IMDB model', needsShared(), async () => {
  const model = await loadPretrained(TINY_MODEL_DIR);
  const movies = await measureMlmSimilarity(model, english());
  const messages = await measureMlmSimilarity(model, sms());
  const zh = await measureMlmSimilarity(model, chinese(), { sample: 50 });
  assert.ok(movies.loss + 0.2 < messages.loss, `SST-2 ${movies.loss}, SMS ${messages.loss}`);
  assert.ok(messages.loss + 3 < zh.loss, `SMS ${messages.loss}, Chinese ${zh.loss}`);
  assert.equal(movies.similar, true, `SST-2 ${movies.loss} vs limit ${MLM_SIMILARITY_THRESHOLDS.maxLoss}`);
  assert.equal(messages.similar, false, `SMS ${messages.loss} vs limit ${MLM_SIMILARITY_THRESHOLDS.maxLoss}`);
  assert.deepEqual(movies.thresholds, { ...MLM_SIMILARITY_THRESHOLDS });
});

test('the masked-LM loss decides when fragmentation alone would call the text similar', needsShared(), async () => {
  // TREC questions: plain English words (≈1.2 pieces/word), but not text the IMDB model reads well.
  const model = await loadPretrained(TINY_MODEL_DIR);
  const questions = trec().slice(0, 1000);
  const measured = await adviseStrategy(model, questions);
  assert.ok(measured.piecesPerWord <= measured.thresholds.maxPiecesPerWord, `${measured.piecesPerWord}`);
  assert.ok(measured.maskedLm && measured.maskedLm.loss > measured.thresholds.maxMaskedLmLoss, JSON.stringify(measured.maskedLm));
  assert.equal(measured.similarity, 'different');
  assert.deepEqual(measured.strategy, { kind: 'top-k', layers: 1 });
  assert.match(measured.summary, /masked-LM loss \d+\.\d\d/);
  const vocabularyOnly = await adviseStrategy(model, questions, { maskedLm: false });
  assert.equal(vocabularyOnly.maskedLm, null);
  assert.deepEqual(vocabularyOnly.strategy, { kind: 'frozen' });
});

test('without a masked-LM head: fragmentation only, said in one line', needsShared(), async () => {
  const dir = TINY_MODEL_DIR;
  const { config } = await readBertConfig(dir);
  const { weights } = await loadBertWeights(dir, config);
  const advice = await adviseStrategy({ tokenizer: await BertTokenizer.fromDir(dir), config, weights }, english().slice(0, 500));
  assert.equal(advice.maskedLm, null);
  assert.deepEqual(advice.strategy, { kind: 'frozen' });
  const notes = advice.details.filter((d) => /no masked-LM head/.test(d));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /fragmentation only/);
  assert.doesNotMatch(advice.summary, /masked-LM/);
});

test('bertft advise prints the masked-LM numbers and what the limits mean', needsShared(), () => {
  const r = runCli(['advise', '--model', TINY_MODEL_DIR, '--train', sharedPath('datasets', 'sst2', 'sentiment-dev.tsv')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^strategy: frozen/);
  assert.match(r.stdout, /masked-LM loss \d+\.\d\d \(≤ [\d.]+: the model reads this text like its pre-training text\)/);
  assert.match(r.stdout, /masked-token accuracy \d+\.\d%/);
  assert.match(r.stdout, /pieces\/word/);
  assert.match(r.stdout, /similarity: similar, from word-piece fragmentation \(within its limits\) and masked-LM loss \(within its limits\)/);
  // small + similar: EDA (measured to help a little), no continued pre-training, dapt+dann for a shifted target.
  assert.match(r.stdout, /^augmentation: --augment eda .*docs\/domain-adaptation\.md/m);
  assert.match(r.stdout, /^continued pre-training: not needed/m);
  assert.match(r.stdout, /--domain-adaptation dapt\+dann --target-text FILE \(SpamAssassin → SMS: dapt\+dann \+0\.29 macro-F1/);
});

test('the adaptation advice follows the quadrant', async () => {
  const { recommendAdaptation } = await import('../../src/adaptation/recommend.js');
  assert.equal(recommendAdaptation('small', 'similar').augment, 'eda');
  assert.equal(recommendAdaptation('large', 'similar').augment, null);
  assert.equal(recommendAdaptation('small', 'different').continuedPretraining, true);
  assert.equal(recommendAdaptation('large', 'similar').continuedPretraining, false);
  assert.match(recommendAdaptation('large', 'different').lines[1]!, /^continued pre-training first: bertft pretrain/);
});

test('bertft advise on a model without a masked-LM head says it uses fragmentation only', needsShared(), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-advise-nomlm-'));
  try {
    const { config } = await readBertConfig(TINY_MODEL_DIR);
    const { weights } = await loadBertWeights(TINY_MODEL_DIR, config);
    await writeSafetensors(join(dir, 'model.safetensors'), weights);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'])
      copyFileSync(join(TINY_MODEL_DIR, f), join(dir, f));
    const r = runCli(['advise', '--model', dir, '--train', sharedPath('datasets', 'sst2', 'sentiment-dev.tsv')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /masked-LM: not measured, the model has no masked-LM head \(cls\.predictions\.\*\); similarity from word-piece fragmentation only/);
    assert.doesNotMatch(r.stdout, /masked-LM loss/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model may carry its own masked-LM loss limit in config.json (bert-tiny-en does); others get the default', async () => {
  const { modelThresholds } = await import('../../src/training/mlm-similarity.js');
  const { readBertConfig } = await import('../../src/checkpoint/index.js');
  const { EMBEDDED_MODEL_DIR } = await import('../helpers/shared.js');
  const { raw } = await readBertConfig(EMBEDDED_MODEL_DIR);
  assert.equal(modelThresholds({ raw }).maxLoss, 5.4);
  assert.deepEqual(modelThresholds({ raw: {} }), { ...MLM_SIMILARITY_THRESHOLDS });
  assert.deepEqual(modelThresholds({ raw: { bertft_similarity: { max_masked_lm_loss: 'x' } } }), { ...MLM_SIMILARITY_THRESHOLDS });
});
