/**
 * The masked-LM heads of the BERT family (the `maskedLm` data of src/models/bert/family.ts, the math
 * of src/heads/masked-lm.ts) against Hugging Face `transformers` 5.17: each family's `mlm/` fixture
 * (`<Family>ForMaskedLM`, shared/fixtures/hf-families) loaded from the folder alone:
 * - the masked-LM logits at every real token and the last hidden state within 1e-4, on onnxruntime
 *   and TF.js;
 * - one masked-LM training step on each engine (onnxruntime, TF.js): its loss equals the float64 cross-entropy of
 *   Hugging Face's logits at the masked positions (what `<Family>ForMaskedLM(labels=…)` returns);
 * - the pre-trained folder writer (pretraining/output.ts) writes exactly the fixture's tensors
 *   (its state dict without the tied decoder), the family's `architectures` and `model_type`, and
 *   the folder reloads to the same logits.
 * ModernBERT's head (`head.dense` → classifier_activation → `head.norm`, no biases, then the tied
 * `decoder` with its bias) is family data like the others'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig, readSafetensorsHeader } from '../../src/checkpoint/index.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import { flatTargetIndex } from '../../src/heads/masked-lm.js';
import { createMaskedLmRunner, resolveMaskedLmHead } from '../../src/inference/masked-lm.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { writePretrainedFolder, type PretrainedOutput } from '../../src/pretraining/output.js';
import type { PretrainState } from '../../src/pretraining/objective.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { needsShared, sharedPath } from '../helpers/shared.js';
import { fixtureRun, fixtureTokens, onnxLastHidden } from '../helpers/family-fixtures.js';

const FAMILIES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  mlm: { logits: number[][][]; last_hidden_state: number[][][]; params: string[] };
}

interface Fixture {
  dir: string;
  config: BertConfig;
  raw: Record<string, unknown>;
  weights: Map<string, HostTensor>;
  head: Map<string, HostTensor>;
  expected: Expected;
  tokens: TokenBatch;
  /** Flat indices b·S + s of the real tokens. */
  real: Int32Array;
}

async function loadFixture(family: string, dir = join(sharedPath('fixtures', 'hf-families', family), 'mlm')): Promise<Fixture> {
  const expected = JSON.parse(await readFile(join(sharedPath('fixtures', 'hf-families', family), 'expected.json'), 'utf8')) as Expected;
  const { config, raw } = await readBertConfig(dir);
  const loaded = await loadBertWeights(dir, config);
  assert.deepEqual(loaded.ignored, [], `${family}: every tensor is used`);
  assert.ok(loaded.mlmHead, `${family}: the masked-LM head is loaded`);
  const tokens = fixtureTokens(expected);
  const real = Int32Array.from(expected.attention_mask.flat().flatMap((m, i) => (m === 1 ? [i] : [])));
  const head = resolveMaskedLmHead(loaded.mlmHead, loaded.weights, raw, config);
  return { dir, config, raw, weights: loaded.weights, head, expected, tokens, real };
}

/** Hugging Face's logits at flat rows. */
function wantLogits(f: Fixture, rows: ArrayLike<number>): Float64Array {
  const all = f.expected.mlm.logits.flat();
  const V = f.config.vocabSize;
  const out = new Float64Array(rows.length * V);
  Array.from(rows).forEach((r, m) => out.set(all[r]!, m * V));
  return out;
}

function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
  return max;
}

async function maskedLogits(f: Fixture, engine: 'onnxruntime' | 'tfjs', weights = f.weights, head = f.head): Promise<Float32Array> {
  const runner = await createMaskedLmRunner(f.config, weights, head, { engine, backend: 'cpu' });
  const logits = await runner.run(f.tokens, f.real);
  await runner.dispose();
  return logits;
}

async function onnxHidden(f: Fixture): Promise<number> {
  const got = await onnxLastHidden(f.config, f.weights, f.tokens);
  const want = f.expected.mlm.last_hidden_state.flat();
  const H = f.config.hiddenSize;
  let max = 0;
  for (const r of f.real) for (let h = 0; h < H; h++) max = Math.max(max, Math.abs(got[r * H + h]! - want[r]![h]!));
  return max;
}

/** Mean cross-entropy, in float64, of logits [M, V] against labels. */
function crossEntropy(logits: Float64Array, labels: Int32Array, V: number): number {
  let sum = 0;
  for (let m = 0; m < labels.length; m++) {
    const row = logits.subarray(m * V, (m + 1) * V);
    const max = Math.max(...row);
    sum += max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) - row[labels[m]!]!;
  }
  return sum / labels.length;
}

const { report, scratch } = fixtureRun('bertft-families-mlm-', 'max |diff| of masked-LM outputs against transformers 5.17');

for (const family of FAMILIES) {
  test(`${family}: masked-LM logits and hidden states match transformers on onnxruntime and TF.js`, needsShared(), async () => {
    const f = await loadFixture(family);
    const want = wantLogits(f, f.real);
    const onnx = maxDiff(await maskedLogits(f, 'onnxruntime'), want);
    const tfjs = maxDiff(await maskedLogits(f, 'tfjs'), want);
    const hidden = await onnxHidden(f);
    report.push(`${family}: logits onnx ${onnx.toExponential(1)}, tfjs ${tfjs.toExponential(1)}; hidden ${hidden.toExponential(1)}`);
    assert.ok(onnx < 1e-4, `onnxruntime logits off by ${onnx}`);
    assert.ok(tfjs < 1e-4, `TF.js logits off by ${tfjs}`);
    assert.ok(hidden < 1e-4, `hidden states off by ${hidden}`);
  });

  test(`${family}: one masked-LM step's loss on each engine is Hugging Face's cross-entropy at the masked positions`, needsShared(), async () => {
    const f = await loadFixture(family);
    const V = f.config.vocabSize;
    const positions = f.real.filter((_, i) => i % 3 === 1);
    const labels = Int32Array.from(positions, (p) => (p * 7 + 3) % V);
    const head = new Map(f.head);
    head.delete('cls.predictions.decoder.weight');
    const weights = new Map([...f.weights, ...head]);
    const batch = { tokens: f.tokens, targets: new Float32Array(0), masked: { positions, labels, targetIndex: flatTargetIndex(labels, V) } };
    const ref = crossEntropy(wantLogits(f, positions), labels, V);
    const options = { config: f.config, weights, objective: { kind: 'masked-lm' } } as const;
    for (const engine of [await OnnxTrainingEngine.create(options), new TfjsTrainingEngine(options)]) {
      engine.setTrainable(new Set(weights.keys()));
      const loss = await engine.trainStep([batch], { lr: 1e-3, maxGradNorm: 1, settingsOf: () => ({ lrScale: 1, weightDecay: 0.01 }), dropoutSeed: 0 });
      assert.ok(Math.abs(loss - ref) < 1e-4, `${engine.name}: step loss ${loss} vs ${ref}`);
      const after = await engine.evalLoss(batch);
      assert.ok(after < loss, `${engine.name}: the step lowers the loss (${loss} → ${after})`);
      await engine.dispose();
    }
  });

  test(`${family}: the pre-trained folder holds the fixture's tensors under the family's names and reloads`, needsShared(), async () => {
    const f = await loadFixture(family);
    const head = new Map(f.head);
    head.delete('cls.predictions.decoder.weight');
    const out = join(scratch(), family);
    const output = {
      config: f.config,
      raw: f.raw,
      tokenizerDir: f.dir,
      source: f.dir,
      corpus: { documents: 1, wordPieces: 1, size: 1 },
      text: [],
      maxLength: 20,
      lineByLine: false,
      batchSize: 1,
      hyperparameters: {},
    } as unknown as PretrainedOutput;
    const state: PretrainState = { step: 0, tokens: 0, elapsedMs: 0, history: [], evals: [], snapshots: [] };
    await writePretrainedFolder(out, false, new Map([...f.weights, ...head]), output, state);
    const header = await readSafetensorsHeader(join(out, 'model.safetensors'));
    const stored = await readSafetensorsHeader(join(f.dir, 'model.safetensors'));
    assert.deepEqual([...header.entries.keys()].sort(), [...stored.entries.keys()].sort());
    const tied = f.expected.mlm.params.filter((n) => !header.entries.has(n));
    assert.ok(
      tied.every((n) => /decoder\.(weight|bias)$|generator_lm_head\.weight$|vocab_projector\.weight$/.test(n)),
      `only the tied decoder is left out: ${tied.join(', ')}`,
    );
    const saved = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(saved.architectures, f.raw.architectures);
    assert.equal(saved.model_type, f.raw.model_type);
    const again = await loadFixture(family, out);
    assert.deepEqual(again.config, f.config);
    const diff = maxDiff(await maskedLogits(again, 'onnxruntime'), wantLogits(f, f.real));
    assert.ok(diff < 1e-4, `reloaded logits off by ${diff}`);
  });
}
