/**
 * `--strategy frozen` for token classification: the encoder's hidden states of every window token
 * are computed once (training/token-features.ts) and only the token head trains on them
 * (engine/tfjs/token-head-engine.ts).
 * - On the BERT token-classification fixture (shared/fixtures/hf-families/bert/tok), the head engine
 *   on the cached features gives the full onnxruntime engine's [B, S, C] logits at every real token
 *   and its loss (plain and class-weighted), within 1e-5; one AdamW step of the head alone equals
 *   the full engine's step with only the head trainable, within 1e-5.
 * - End to end, fineTuneTokens with `strategy: 'frozen'` extracts the features once for two epochs,
 *   writes a folder whose encoder is the base model's, bit for bit, and whose head moved; a second
 *   run with the same seed reads the features from the cache and writes the same weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { TfjsTokenHeadEngine } from '../../src/engine/tfjs/token-head-engine.js';
import type { StepOptions, TrainBatch, TrainingEngine } from '../../src/engine/types.js';
import { flatTargetIndex } from '../../src/heads/masked-lm.js';
import { initTokenClassifierHead, normalisedRowWeights } from '../../src/heads/token-classification.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { fineTuneTokens } from '../../src/training/token-fine-tune.js';
import { frozenTokenFeatures, type TokenFeatures } from '../../src/training/token-features.js';
import { collate, type TokenizedSet } from '../../src/training/tokenized.js';
import { EMBEDDED_MODEL_DIR, needsShared, sharedPath } from '../helpers/shared.js';
import { fixtureRun, fixtureTokens } from '../helpers/family-fixtures.js';

const LABELS = 5;
const { report, scratch } = fixtureRun('bertft-token-frozen-', 'frozen token head: max |diff| against the full onnxruntime engine');

interface Fixture {
  config: BertConfig;
  encoder: Map<string, HostTensor>;
  head: Map<string, HostTensor>;
  tokens: TokenBatch;
}

async function loadFixture(): Promise<Fixture> {
  const root = sharedPath('fixtures', 'hf-families', 'bert');
  const expected = JSON.parse(await readFile(join(root, 'expected.json'), 'utf8')) as Parameters<typeof fixtureTokens>[0];
  const dir = join(root, 'tok');
  const { config } = await readBertConfig(dir);
  const loaded = await loadBertWeights(dir, config, { tokenHead: true });
  return { config, encoder: loaded.weights, head: loaded.tokenClassifier!, tokens: fixtureTokens(expected) };
}

/** The padded fixture batch as unpadded windows (what sentenceWindows gives the trainer). */
function windowsOf(tokens: TokenBatch): TokenizedSet {
  const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: 0 };
  for (let b = 0; b < tokens.batchSize; b++) {
    const row = (a: Int32Array) => a.subarray(b * tokens.seqLength, (b + 1) * tokens.seqLength);
    const length = row(tokens.attentionMask).reduce((n, m) => n + m, 0);
    set.ids.push(row(tokens.inputIds).slice(0, length));
    set.typeIds.push(row(tokens.tokenTypeIds).slice(0, length));
    set.lengths.push(length);
  }
  return set;
}

/** Every real token but the first and last of each row is labelled (b + s) mod C: positions b·S + s fit either batch. */
function labelled(tokens: TokenBatch, lengths: readonly number[], classWeights?: Float32Array): TrainBatch {
  const positions: number[] = [];
  const labels: number[] = [];
  lengths.forEach((length, b) => {
    for (let s = 1; s < length - 1; s++) {
      positions.push(b * tokens.seqLength + s);
      labels.push((b + s) % LABELS);
    }
  });
  const masked = { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, LABELS) };
  return { tokens, targets: classWeights ? normalisedRowWeights(labels, classWeights) : new Float32Array(0), masked };
}

/** max |a − b| over the real tokens of a [B, S, C] pair. */
function realTokenDiff(a: Float32Array, b: Float32Array, tokens: TokenBatch): number {
  let diff = 0;
  for (let r = 0; r < tokens.batchSize * tokens.seqLength; r++) {
    if (tokens.attentionMask[r] !== 1) continue;
    for (let c = 0; c < LABELS; c++) diff = Math.max(diff, Math.abs(a[r * LABELS + c]! - b[r * LABELS + c]!));
  }
  return diff;
}

interface Pair {
  f: Fixture;
  frozen: TokenFeatures;
  /** The fixture batch as the head engine reads it: feature-row ids, the same B and S. */
  rows: TokenBatch;
  /** The full engine; with class weights it reads each batch's row weights (the objective's `classWeights`). */
  full: (classWeights?: Float32Array) => TrainingEngine;
  head: () => TrainingEngine;
}

let pair: Pair | undefined;
async function enginePair(): Promise<Pair> {
  if (pair) return pair;
  const f = await loadFixture();
  const windows = windowsOf(f.tokens);
  const frozen = await frozenTokenFeatures(f.config, f.encoder, { train: windows }, { featureCacheDir: scratch(), engine: 'onnxruntime' }, {});
  const rows = collate(frozen.train, [...windows.lengths.keys()]);
  pair = {
    f,
    frozen,
    rows,
    full: (classWeights) =>
      new OnnxTrainingEngine({
        config: f.config,
        weights: new Map([...f.encoder, ...f.head]),
        objective: { kind: 'token-classification', numLabels: LABELS, classWeights },
      }),
    head: () => new TfjsTokenHeadEngine({ config: f.config, features: frozen.features, encoderWeights: f.encoder, head: f.head, numLabels: LABELS }),
  };
  return pair;
}

test('the head on cached token features gives the full engine’s [B, S, C] logits and loss', needsShared(), async () => {
  const { f, rows, full, head } = await enginePair();
  assert.equal(rows.seqLength, f.tokens.seqLength, 'the feature-row batch pads to the same S');
  const [a, b] = [full(), head()];
  const lengths = windowsOf(f.tokens).lengths;
  const [la, lb] = [await a.logits(f.tokens), await b.logits(rows)];
  assert.equal(lb.length, f.tokens.batchSize * f.tokens.seqLength * LABELS, 'logits are [B, S, C]');
  const diff = realTokenDiff(la, lb, f.tokens);
  const weights = Float32Array.of(1, 3, 0.5, 2, 1);
  let lossDiff = Math.abs((await a.evalLoss(labelled(f.tokens, lengths))) - (await b.evalLoss(labelled(rows, lengths))));
  const weighted = full(weights);
  lossDiff = Math.max(
    lossDiff,
    Math.abs((await weighted.evalLoss(labelled(f.tokens, lengths, weights))) - (await b.evalLoss(labelled(rows, lengths, weights)))),
  );
  weighted.dispose();
  report.push(`  logits ${diff.toExponential(1)}, loss ${lossDiff.toExponential(1)}`);
  assert.ok(diff < 1e-5, `logits differ by ${diff}`);
  assert.ok(lossDiff < 1e-5, `losses differ by ${lossDiff}`);
  a.dispose();
  b.dispose();
});

test('one AdamW step of the head alone equals the full engine’s step with only the head trainable', needsShared(), async () => {
  const { f, rows, full, head } = await enginePair();
  const lengths = windowsOf(f.tokens).lengths;
  const options: StepOptions = { lr: 1e-3, maxGradNorm: 1, settingsOf: () => ({ lrScale: 1, weightDecay: 0.01 }), dropoutSeed: 3 };
  const a = full();
  a.setTrainable(new Set(f.head.keys()));
  const lossA = await a.trainStep([labelled(f.tokens, lengths)], options);
  const b = head();
  b.setTrainable(new Set(f.head.keys()));
  const lossB = await b.trainStep([labelled(rows, lengths)], options);
  const [wa, wb] = [await a.weights(), await b.weights()];
  a.dispose();
  b.dispose();
  assert.ok(Math.abs(lossA - lossB) < 1e-5, `losses ${lossA} vs ${lossB}`);
  let diff = 0;
  let moved = 0;
  for (const [name, before] of f.head) {
    wa.get(name)!.data.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - wb.get(name)!.data[i]!));
      moved = Math.max(moved, Math.abs(v - before.data[i]!));
    });
  }
  report.push(`  one step: head weights ${diff.toExponential(1)} (largest move ${moved.toExponential(1)})`);
  assert.ok(moved > 1e-4, 'the step moved the head');
  assert.ok(diff < 1e-5, `head weights after one step differ by ${diff}`);
  for (const [name, t] of f.encoder) assert.deepEqual(wb.get(name)!.data, t.data, `${name}: the head engine returns the encoder unchanged`);
});

/** A small CoNLL set: a person, a city and an organisation per sentence, in two templates. */
function conll(from: number, count: number): string {
  const people = ['Anna Schmidt', 'John Miller', 'Maria Garcia', 'David Brown'];
  const cities = ['Paris', 'Berlin', 'New York', 'Tokyo'];
  const orgs = ['Siemens', 'Google', 'Oxfam'];
  const tag = (words: string, type: string) => words.split(' ').map((w, i) => `${w}\t${i === 0 ? 'B' : 'I'}-${type}`);
  const block = (k: number) =>
    [
      ...tag(people[k % 4]!, 'PER'),
      ...(k % 2 ? ['flew\tO', 'to\tO'] : ['lives\tO', 'in\tO']),
      ...tag(cities[(k + Math.floor(k / 4)) % 4]!, 'LOC'),
      'for\tO',
      ...tag(orgs[k % 3]!, 'ORG'),
      '.\tO',
    ].join('\n');
  return `${Array.from({ length: count }, (_, i) => block(from + i)).join('\n\n')}\n`;
}

test('fineTuneTokens --strategy frozen extracts features once, keeps the encoder and trains the head, deterministically', async () => {
  const dir = scratch();
  const train = join(dir, 'train.conll');
  const validation = join(dir, 'dev.conll');
  await writeFile(train, conll(0, 48));
  await writeFile(validation, conll(100, 12));
  const featureCacheDir = join(dir, 'features');
  const run = async (output: string) => {
    const logs: string[] = [];
    const extracted: string[] = [];
    const results = await fineTuneTokens(
      { model: EMBEDDED_MODEL_DIR, train, validation, output, strategy: 'frozen', epochs: 2, batchSize: 8, maxLength: 32, seed: 5, featureCacheDir },
      { onLog: (m) => logs.push(m), onFeatures: (e) => e.done === e.total && extracted.push(e.split) },
    );
    return { results, logs, extracted };
  };
  const first = await run(join(dir, 'first'));
  assert.equal(first.results.engine, 'tfjs-token-head');
  assert.equal(first.results.history.length, 2, 'it evaluated after each epoch');
  assert.deepEqual(first.extracted, ['train', 'validation'], 'each split’s features were computed once for both epochs');
  assert.equal(first.logs.filter((m) => /token features: computed and cached/.test(m)).length, 2);
  assert.ok((first.results.feature_extraction_s ?? 0) > 0);
  assert.ok(first.results.final_eval !== null);

  const { config } = await readBertConfig(EMBEDDED_MODEL_DIR);
  const base = (await loadBertWeights(EMBEDDED_MODEL_DIR, config)).weights;
  const saved = await loadBertWeights(join(dir, 'first'), config, { tokenHead: true });
  for (const [name, t] of saved.weights)
    assert.deepEqual(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      Buffer.from(base.get(name)!.data.buffer, base.get(name)!.data.byteOffset, base.get(name)!.data.byteLength),
      `${name} is the base model's`,
    );
  const fresh = initTokenClassifierHead(config, first.results.labels.length, 5);
  const moved = Math.max(...[...fresh].map(([n, t]) => Math.max(...t.data.map((v, i) => Math.abs(v - saved.tokenClassifier!.get(n)!.data[i]!)))));
  assert.ok(moved > 1e-4, `the head moved (by at most ${moved})`);

  const second = await run(join(dir, 'second'));
  assert.deepEqual(second.extracted, [], 'the second run computes no features');
  assert.equal(second.logs.filter((m) => /token features: reused from cache/.test(m)).length, 2);
  const again = await loadBertWeights(join(dir, 'second'), config, { tokenHead: true });
  for (const [name, t] of saved.tokenClassifier!) assert.deepEqual(again.tokenClassifier!.get(name)!.data, t.data, `${name}: same seed, same head`);
});
