/**
 * Token classification for the BERT family against Hugging Face `transformers` 5.17: each
 * family's `tok/` folder of shared/fixtures/hf-families (a tiny random `<Family>ForTokenClassification`,
 * 5 labels; README.md there) loaded alone, and
 * - per-token logits within 1e-4 of PyTorch's where the attention mask is 1, on the ONNX and the TF.js
 *   training engines (the `logits` graph every evaluation runs), with the same argmax labels;
 * - the loss over labelled tokens equals the mean cross-entropy computed on the host from the reference
 *   logits (HF's `CrossEntropyLoss(ignore_index=-100)`), within 1e-5, and the class-weighted one equals
 *   PyTorch's Σ w·nll / Σ w;
 * - one AdamW step moves the same weights the same way on both engines (within a tenth of the
 *   learning rate, see the test), and a fresh head has the checkpoint's names and shapes;
 * - a folder written by the token-classifier writer holds exactly the fixture's state-dict names
 *   and `architectures`, and reloads to the same logits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { isTokenClassifierConfig } from '../../src/checkpoint/token-classifier-config.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import type { TrainBatch, TrainingEngine, TokenClassificationObjective } from '../../src/engine/types.js';
import { flatTargetIndex } from '../../src/heads/masked-lm.js';
import { initTokenClassifierHead, normalisedRowWeights, tokenHostLoss } from '../../src/heads/token-classification.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { needsShared, sharedPath } from '../helpers/shared.js';
import { fixtureRun, fixtureTokens } from '../helpers/family-fixtures.js';
import { readSafetensorsHeader } from '../../src/checkpoint/index.js';
import { writeTokenClassifierFolder } from '../../src/training/output-folder.js';
import type { RawConfig } from '../../src/models/bert/config.js';

const FAMILIES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;
const LABELS = 5;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  tok: { logits: number[][][]; params: string[] };
}

interface Fixture {
  dir: string;
  raw: RawConfig;
  config: BertConfig;
  weights: Map<string, HostTensor>;
  head: Map<string, HostTensor>;
  expected: Expected;
  tokens: TokenBatch;
}

async function loadFixture(family: string): Promise<Fixture> {
  const root = sharedPath('fixtures', 'hf-families', family);
  return loadFixtureFrom(join(root, 'tok'), JSON.parse(await readFile(join(root, 'expected.json'), 'utf8')) as Expected);
}

/** A token-classifier folder as bertft loads it, with the fixture's reference outputs. */
async function loadFixtureFrom(dir: string, expected: Expected): Promise<Fixture> {
  const { config, raw } = await readBertConfig(dir);
  assert.ok(isTokenClassifierConfig(raw), `${dir}: config.json names a …ForTokenClassification`);
  const loaded = await loadBertWeights(dir, config, { tokenHead: true });
  assert.deepEqual(loaded.ignored, [], `${dir}: every tensor is used`);
  assert.ok(loaded.tokenClassifier, `${dir}: the token head is loaded`);
  assert.equal(loaded.classifier, undefined);
  return { dir, raw, config, weights: loaded.weights, head: loaded.tokenClassifier, expected, tokens: fixtureTokens(expected) };
}

/** Labelled positions: every real token of the batch but the first and last (the specials), labels (b + s) mod C. */
function labelledBatch(f: Fixture, classWeights?: Float32Array): TrainBatch {
  const positions: number[] = [];
  const labels: number[] = [];
  const S = f.tokens.seqLength;
  f.expected.attention_mask.forEach((row, b) => {
    const length = row.filter((m) => m === 1).length;
    for (let s = 1; s < length - 1; s++) {
      positions.push(b * S + s);
      labels.push((b + s) % LABELS);
    }
  });
  const masked = { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, LABELS) };
  return { tokens: f.tokens, targets: classWeights ? normalisedRowWeights(labels, classWeights) : new Float32Array(0), masked };
}

/** max |got − want| over real tokens, and whether every real token's argmax agrees. */
function compare(got: Float32Array, f: Fixture): { diff: number; sameLabels: boolean } {
  let diff = 0;
  let sameLabels = true;
  const argmax = (row: ArrayLike<number>) => Array.from(row).reduce((best, v, i, a) => (v > a[best]! ? i : best), 0);
  f.expected.tok.logits.forEach((row, b) =>
    row.forEach((want, s) => {
      if (f.expected.attention_mask[b]![s] !== 1) return;
      const off = (b * f.tokens.seqLength + s) * LABELS;
      const mine = got.subarray(off, off + LABELS);
      want.forEach((w, c) => (diff = Math.max(diff, Math.abs(mine[c]! - w))));
      if (argmax(mine) !== argmax(want)) sameLabels = false;
    }),
  );
  return { diff, sameLabels };
}

function engines(f: Fixture, objective: TokenClassificationObjective): TrainingEngine[] {
  const weights = new Map([...f.weights, ...f.head]);
  return [new OnnxTrainingEngine({ config: f.config, weights, objective }), new TfjsTrainingEngine({ config: f.config, weights, objective })];
}

/** The loss PyTorch computes from the reference logits at the labelled tokens, in float64. */
function referenceLoss(f: Fixture, batch: TrainBatch, classWeights?: Float32Array): number {
  const flat = Float32Array.from(f.expected.tok.logits.flat(2));
  const rows = new Float32Array(batch.masked!.positions.length * LABELS);
  batch.masked!.positions.forEach((p, m) => rows.set(flat.subarray(p * LABELS, (p + 1) * LABELS), m * LABELS));
  return tokenHostLoss(rows, batch.masked!.labels, LABELS, classWeights);
}

const { report, scratch } = fixtureRun('bertft-token-families-', 'token classification: max |diff| against transformers 5.17');
const fixtures = new Map<string, Fixture>();

for (const family of FAMILIES) {
  const fixture = async () => {
    let f = fixtures.get(family);
    if (!f) fixtures.set(family, (f = await loadFixture(family)));
    return f;
  };

  test(`${family}: a fresh token head has the checkpoint's names and shapes`, needsShared(), async () => {
    const f = await fixture();
    const fresh = initTokenClassifierHead(f.config, LABELS, 3);
    assert.deepEqual([...fresh.keys()].sort(), [...f.head.keys()].sort());
    for (const [name, t] of fresh) assert.deepEqual(t.shape, f.head.get(name)!.shape, name);
  });

  test(`${family}: per-token logits and the loss match transformers on both engines`, needsShared(), async () => {
    const f = await fixture();
    const weights = Float32Array.of(1, 3, 0.5, 2, 1);
    for (const engine of engines(f, { kind: 'token-classification', numLabels: LABELS })) {
      const { diff, sameLabels } = compare(await engine.logits(f.tokens), f);
      const batch = labelledBatch(f);
      const lossDiff = Math.abs((await engine.evalLoss(batch)) - referenceLoss(f, batch));
      report.push(`  ${family} ${engine.name}: logits ${diff.toExponential(1)}, loss ${lossDiff.toExponential(1)}`);
      assert.ok(diff < 1e-4, `${engine.name}: logits off by ${diff}`);
      assert.ok(sameLabels, `${engine.name}: the argmax label of every token agrees`);
      assert.ok(lossDiff < 1e-5, `${engine.name}: loss off by ${lossDiff}`);
      engine.dispose();
    }
    for (const engine of engines(f, { kind: 'token-classification', numLabels: LABELS, classWeights: weights })) {
      const batch = labelledBatch(f, weights);
      const lossDiff = Math.abs((await engine.evalLoss(batch)) - referenceLoss(f, batch, weights));
      assert.ok(lossDiff < 1e-5, `${engine.name}: class-weighted loss off by ${lossDiff}`);
      engine.dispose();
    }
  });

  test(`${family}: one AdamW step on the labelled tokens moves the weights alike on both engines`, needsShared(), async () => {
    const f = await fixture();
    const after: Map<string, HostTensor>[] = [];
    const losses: number[] = [];
    for (const engine of engines(f, { kind: 'token-classification', numLabels: LABELS })) {
      engine.setTrainable(new Set([...f.weights.keys(), ...f.head.keys()]));
      const settingsOf = () => ({ lrScale: 1, weightDecay: 0.01 });
      losses.push(await engine.trainStep([labelledBatch(f)], { lr: 1e-3, maxGradNorm: 0, settingsOf, dropoutSeed: 1 }));
      after.push(await engine.weights());
      engine.dispose();
    }
    assert.ok(Math.abs(losses[0]! - losses[1]!) < 1e-5, `losses ${losses.join(' vs ')}`);
    let diff = 0;
    let moved = 0;
    for (const [name, t] of after[0]!) {
      const other = after[1]!.get(name)!;
      const before = f.weights.get(name) ?? f.head.get(name)!;
      t.data.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - other.data[i]!));
        moved = Math.max(moved, Math.abs(v - before.data[i]!));
      });
    }
    report.push(`  ${family} one step: onnx vs tfjs weights ${diff.toExponential(1)} (largest move ${moved.toExponential(1)})`);
    assert.ok(moved > 1e-4, 'the step moved the weights');
    // AdamW's first step is lr·g/(|g| + ε) per weight: where |g| is near ε, float32 rounding of g on
    // the two engines moves the step by a fraction of lr. A tenth of lr bounds that; a wrong gradient moves it by ~lr.
    assert.ok(diff < 1e-4, `weights after one step differ by ${diff}`);
  });

  test(`${family}: a written token-classifier folder holds exactly transformers' state-dict names and reloads to the same logits`, needsShared(), async () => {
    const f = await fixture();
    const out = join(scratch(), `${family}-tok`);
    const labels = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG'];
    await writeTokenClassifierFolder(
      out,
      { dir: f.dir, config: f.config, raw: f.raw },
      { labels, maxLength: 20, stride: 5, labelAllTokens: false },
      new Map([...f.weights, ...f.head]),
    );
    const names = [...(await readSafetensorsHeader(join(out, 'model.safetensors'))).entries.keys()].sort();
    assert.deepEqual(names, [...f.expected.tok.params].sort());
    const written = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(written.architectures, (f.raw as { architectures: string[] }).architectures);
    const again = await loadFixtureFrom(out, f.expected);
    const [engine] = engines(again, { kind: 'token-classification', numLabels: LABELS });
    const { diff } = compare(await engine!.logits(f.tokens), f);
    engine!.dispose();
    assert.ok(diff < 1e-4, `reloaded logits off by ${diff}`);
  });
}
