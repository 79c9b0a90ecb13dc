/**
 * The BERT family (src/models/bert/family.ts) against Hugging Face `transformers` 5.17:
 * shared/fixtures/hf-families holds tiny random `<Family>ForSequenceClassification` checkpoints and
 * what PyTorch computes for one batch (see its README.md). For bert (the control), distilbert,
 * roberta, xlm-roberta, electra, albert and modernbert, each loaded from its `seq/` folder alone:
 * - last_hidden_state (where the mask is 1) and logits within 1e-4 on onnxruntime (the traces
 *   `bertft predict` and `embed` run) and on TF.js;
 * - three AdamW steps on the ONNX training engine, and on the TF.js one (lr 1e-3, weight decay
 *   0.01 on every parameter, no clipping, dropout 0): the loss before each step within 1e-4, the logits after
 *   the third within 1e-3;
 * - the trained weights written by the classifier-folder writer carry exactly the fixture's
 *   state-dict names and `architectures`, and the folder reloads to the same logits;
 * - the frozen strategy's head engine, on the pooled features, gives the same logits and trains the
 *   family's head (and only it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadBertWeights, readBertConfig, readSafetensorsHeader } from '../../src/checkpoint/index.js';
import { OnnxEncoderRunner } from '../../src/engine/onnx/runner.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { TfjsHeadEngine } from '../../src/engine/tfjs/head-engine.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import type { TrainingEngine } from '../../src/engine/types.js';
import { disposeParams, toTfjsParams } from '../../src/engine/tfjs/params.js';
import { initClassifierHead, sequenceClassifierLogits } from '../../src/heads/classification.js';
import { bertForward, pool, type Pooling } from '../../src/models/bert/bert.js';
import type { PretrainedFolder } from '../../src/pretrained.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { writeClassifierFolder } from '../../src/training/output-folder.js';
import { needsShared, sharedPath } from '../helpers/shared.js';
import { fixtureRun, fixtureTokens, onnxLastHidden } from '../helpers/family-fixtures.js';

const FAMILIES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  seq: {
    logits: number[][];
    last_hidden_state: number[][][];
    params: string[];
    after_3_steps: { labels: number[]; losses: number[]; logits: number[][] };
  };
}

/** A fixture's `seq/` folder as bertft loads it, with the reference outputs and the batch they were computed on. */
type Fixture = Pick<PretrainedFolder, 'dir' | 'config' | 'weights'> & {
  classifier: Map<string, HostTensor>;
  expected: Expected;
  tokens: TokenBatch;
  pooling: Pooling;
};

async function loadFixture(family: string): Promise<Fixture> {
  const root = sharedPath('fixtures', 'hf-families', family);
  const dir = join(root, 'seq');
  const expected = JSON.parse(await readFile(join(root, 'expected.json'), 'utf8')) as Expected;
  const { config } = await readBertConfig(dir);
  const loaded = await loadBertWeights(dir, config);
  assert.deepEqual(loaded.ignored, [], `${family}: every tensor is used`);
  assert.ok(loaded.classifier, `${family}: the head is loaded`);
  const tokens = fixtureTokens(expected);
  // Hugging Face's heads read the pooler (BERT) or the first token (every other family).
  const pooling: Pooling = loaded.hasPooler ? 'pooler' : 'cls';
  return { dir, config, weights: loaded.weights, classifier: loaded.classifier, expected, tokens, pooling };
}

/** max |a − b| over the logits. */
function logitsDiff(got: ArrayLike<number>, want: number[][]): number {
  const flat = want.flat();
  assert.equal(got.length, flat.length);
  return Math.max(...flat.map((w, i) => Math.abs(got[i]! - w)));
}

/** max |a − b| over the hidden states of real tokens. */
function hiddenDiff(got: ArrayLike<number>, f: Fixture): number {
  const want = f.expected.seq.last_hidden_state;
  const H = f.config.hiddenSize;
  let max = 0;
  want.forEach((row, b) =>
    row.forEach((vec, s) => {
      if (f.expected.attention_mask[b]![s] !== 1) return;
      vec.forEach((w, h) => (max = Math.max(max, Math.abs(got[(b * row.length + s) * H + h]! - w))));
    }),
  );
  return max;
}

async function onnxHidden(f: Fixture): Promise<Float32Array> {
  return onnxLastHidden(f.config, f.weights, f.tokens);
}

async function onnxLogits(f: Fixture, weights = f.weights, classifier = f.classifier): Promise<Float32Array> {
  const runner = await OnnxEncoderRunner.create(f.config, weights, { pooling: f.pooling, classifier });
  const logits = await runner.run(f.tokens);
  await runner.dispose();
  return logits;
}

const fixtures = new Map<string, Fixture>();
const { report, scratch } = fixtureRun('bertft-families-', 'max |diff| against transformers 5.17');

test('dropout sits where each family has it: ALBERT has none after the feed-forward, DistilBERT none after the attention output', needsShared(), async () => {
  const rates = async (family: string) => {
    const f = await loadFixture(family);
    const seen: number[] = [];
    const ops = new TfjsOps();
    const dropout = (x: tf.Tensor, rate: number) => {
      seen.push(rate);
      return x;
    };
    const counting = Object.assign(Object.create(ops) as TfjsOps, { dropout });
    const params = toTfjsParams(f.weights);
    const inputs = batchToTensors(f.tokens);
    tf.tidy(() => void bertForward(counting, { ...f.config, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.2 }, params, inputs));
    tf.dispose(Object.values(inputs));
    disposeParams(params);
    return { L: f.config.numHiddenLayers, seen };
  };
  const bert = await rates('bert');
  assert.equal(bert.seen.filter((r) => r === 0.1).length, 1 + 2 * bert.L, 'BERT: embeddings, then attention output and feed-forward output per layer');
  const albert = await rates('albert');
  assert.equal(albert.seen.filter((r) => r === 0.1).length, 1 + albert.L, 'ALBERT: embeddings, then the attention output per layer');
  assert.equal(albert.seen.filter((r) => r === 0.2).length, albert.L, 'attention probabilities at every depth');
  const distil = await rates('distilbert');
  assert.equal(distil.seen.filter((r) => r === 0.1).length, 1 + distil.L, 'DistilBERT: embeddings, then the feed-forward output per layer (out_lin has none)');
  assert.equal(distil.seen.filter((r) => r === 0.2).length, distil.L, 'attention probabilities at every depth');
  const modern = await rates('modernbert');
  assert.equal(modern.seen.filter((r) => r === 0.1).length, modern.L, 'ModernBERT: mlp_dropout inside each GeGLU');
  assert.equal(modern.seen.filter((r) => r === 0.2).length, 2 * modern.L, 'attention_dropout on the probabilities and on Wo (out_drop)');
});

for (const family of FAMILIES) {
  const fixture = async () => {
    let f = fixtures.get(family);
    if (!f) fixtures.set(family, (f = await loadFixture(family)));
    return f;
  };

  test(`${family}: a fresh classification head has the checkpoint's names and shapes`, needsShared(), async () => {
    const f = await fixture();
    const fresh = initClassifierHead(f.config, 3, 7);
    assert.deepEqual([...fresh.keys()].sort(), [...f.classifier.keys()].sort());
    for (const [name, t] of fresh) assert.deepEqual(t.shape, f.classifier.get(name)!.shape, name);
  });

  test(`${family}: onnxruntime forward matches transformers (hidden states and logits)`, needsShared(), async () => {
    const f = await fixture();
    const hidden = hiddenDiff(await onnxHidden(f), f);
    const logits = logitsDiff(await onnxLogits(f), f.expected.seq.logits);
    report.push(`  ${family} onnx: hidden ${hidden.toExponential(1)}, logits ${logits.toExponential(1)}`);
    assert.ok(hidden < 1e-4, `hidden states off by ${hidden}`);
    assert.ok(logits < 1e-4, `logits off by ${logits}`);
  });

  test(`${family}: TF.js forward matches transformers (hidden states and logits)`, needsShared(), async () => {
    const f = await fixture();
    const ops = new TfjsOps();
    const params = toTfjsParams(new Map([...f.weights, ...f.classifier]));
    const inputs = batchToTensors(f.tokens);
    const [hidden, logits] = tf.tidy(() => [
      bertForward(ops, f.config, params, inputs).sequenceOutput.dataSync() as Float32Array,
      sequenceClassifierLogits(ops, f.config, params, inputs, f.pooling).dataSync() as Float32Array,
    ]);
    tf.dispose(Object.values(inputs));
    disposeParams(params);
    const h = hiddenDiff(hidden!, f);
    const l = logitsDiff(logits!, f.expected.seq.logits);
    report.push(`  ${family} tfjs: hidden ${h.toExponential(1)}, logits ${l.toExponential(1)}`);
    assert.ok(h < 1e-4, `hidden states off by ${h}`);
    assert.ok(l < 1e-4, `logits off by ${l}`);
  });

  test(`${family}: the frozen strategy's head engine runs and trains the family's head on pooled features`, needsShared(), async () => {
    const f = await fixture();
    const params = toTfjsParams(f.weights);
    const inputs = batchToTensors(f.tokens);
    const features = tf.tidy(
      () => pool(new TfjsOps(), bertForward(new TfjsOps(), f.config, params, inputs), inputs.attentionMask, f.pooling).dataSync() as Float32Array,
    );
    tf.dispose(Object.values(inputs));
    disposeParams(params);
    const width = f.expected.seq.logits[0]!.length;
    const engine = new TfjsHeadEngine({
      config: f.config,
      features: features!,
      encoderWeights: f.weights,
      head: f.classifier,
      problem: 'single_label_classification',
      numOutputs: width,
    });
    const B = f.tokens.batchSize;
    const rows: TokenBatch = {
      batchSize: B,
      seqLength: 1,
      inputIds: Int32Array.from({ length: B }, (_, i) => i),
      attentionMask: new Int32Array(B).fill(1),
      tokenTypeIds: new Int32Array(B),
    };
    const diff = logitsDiff(await engine.logits(rows), f.expected.seq.logits);
    assert.ok(diff < 1e-4, `head-engine logits off by ${diff}`);
    const targets = new Float32Array(B * width);
    f.expected.seq.after_3_steps.labels.forEach((l, r) => (targets[r * width + l] = 1));
    const loss = await engine.trainStep([{ tokens: rows, targets }], {
      lr: 1e-2,
      maxGradNorm: 1,
      settingsOf: () => ({ lrScale: 1, weightDecay: 0 }),
      dropoutSeed: 0,
    });
    assert.ok(Math.abs(loss - f.expected.seq.after_3_steps.losses[0]!) < 1e-4, `first loss ${loss}`);
    const after = await engine.weights();
    engine.dispose();
    const moved = [...after].filter(([n, t]) => t.data.some((v, i) => v !== (f.weights.get(n) ?? f.classifier.get(n))!.data[i])).map(([n]) => n);
    assert.deepEqual(moved.sort(), [...f.classifier.keys()].sort(), "only the family's head trains");
  });

  test(`${family}: three AdamW steps on onnxruntime and TF.js match transformers; the saved folder has its names and reloads`, needsShared(), async () => {
    const f = await fixture();
    const { labels, losses, logits: wantLogits } = f.expected.seq.after_3_steps;
    const width = f.expected.seq.logits[0]!.length;
    const targets = new Float32Array(labels.length * width);
    labels.forEach((l, r) => (targets[r * width + l] = 1));
    const all = new Map([...f.weights, ...f.classifier]);
    const options = {
      config: f.config,
      weights: all,
      objective: { kind: 'classification' as const, pooling: f.pooling, problem: 'single_label_classification' as const, numOutputs: width },
    };
    /** Three steps; returns the losses, the logits after them and the trained weights. */
    const train = async (engine: TrainingEngine) => {
      engine.setTrainable(new Set(all.keys()));
      const got: number[] = [];
      for (let step = 0; step < 3; step++) {
        const options = { lr: 1e-3, maxGradNorm: 1e9, settingsOf: () => ({ lrScale: 1, weightDecay: 0.01 }), dropoutSeed: step };
        got.push(await engine.trainStep([{ tokens: f.tokens, targets }], options));
      }
      const logits = await engine.logits(f.tokens);
      const weights = await engine.weights();
      engine.dispose();
      return { lossDiff: Math.max(...got.map((l, i) => Math.abs(l - losses[i]!))), logitsDiff: logitsDiff(logits, wantLogits), got, weights };
    };
    const onnx = await train(new OnnxTrainingEngine(options));
    const tfjs = await train(new TfjsTrainingEngine(options));
    for (const [name, r] of [
      ['onnx', onnx],
      ['tfjs', tfjs],
    ] as const) {
      report.push(`  ${family} ${name} train: losses ${r.lossDiff.toExponential(1)}, logits after 3 steps ${r.logitsDiff.toExponential(1)}`);
      assert.ok(r.lossDiff < 1e-4, `${name}: losses ${r.got.join(', ')} vs ${losses.join(', ')}`);
      assert.ok(r.logitsDiff < 1e-3, `${name}: logits after three steps off by ${r.logitsDiff}`);
    }
    const trained = onnx.weights;

    const out = join(scratch(), family);
    const { raw } = await readBertConfig(f.dir);
    const labelNames = ['LABEL_0', 'LABEL_1', 'LABEL_2'];
    await writeClassifierFolder(
      out,
      { config: f.config, baseRaw: raw, labels: labelNames, problem: 'single_label_classification', bertft: { pooling: f.pooling, max_length: 20 } },
      trained,
      f.dir,
    );
    const header = await readSafetensorsHeader(join(out, 'model.safetensors'));
    assert.deepEqual([...header.entries.keys()].sort(), [...f.expected.seq.params].sort());
    const savedRaw = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    const publishedRaw = JSON.parse(await readFile(join(f.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(savedRaw.architectures, publishedRaw.architectures);
    assert.equal(savedRaw.model_type, publishedRaw.model_type);
    const reloaded = await readBertConfig(out);
    assert.deepEqual(reloaded.config, f.config);
    const again = await loadBertWeights(out, reloaded.config);
    assert.deepEqual(again.ignored, []);
    const reloadedDiff = logitsDiff(await onnxLogits(f, again.weights, again.classifier!), wantLogits);
    assert.ok(reloadedDiff < 1e-3, `reloaded logits off by ${reloadedDiff}`);
  });
}

test('modernbert: a masked-LM checkpoint loads as an encoder, its head.* and decoder as the masked-LM head (not a classifier)', needsShared(), async () => {
  const root = sharedPath('fixtures', 'hf-families', 'modernbert');
  const expected = JSON.parse(await readFile(join(root, 'expected.json'), 'utf8')) as { mlm: { last_hidden_state: number[][][] } };
  const f = await loadFixture('modernbert');
  const { config } = await readBertConfig(join(root, 'mlm'));
  const loaded = await loadBertWeights(join(root, 'mlm'), config);
  assert.equal(loaded.classifier, undefined, 'the prediction head is not a classifier');
  assert.deepEqual(loaded.ignored, []);
  assert.deepEqual([...loaded.mlmHead!.keys()].sort(), [
    'cls.predictions.bias',
    'cls.predictions.decoder.weight',
    'cls.predictions.transform.LayerNorm.weight',
    'cls.predictions.transform.dense.weight',
  ]);
  assert.equal(loaded.mlmHead!.get('cls.predictions.decoder.weight'), loaded.weights.get('embeddings.tok_embeddings.weight'), 'the decoder is tied');
  const hidden = hiddenDiff(await onnxHidden({ ...f, config, weights: loaded.weights }), {
    ...f,
    expected: { ...f.expected, seq: { ...f.expected.seq, last_hidden_state: expected.mlm.last_hidden_state } },
  });
  assert.ok(hidden < 1e-4, `masked-LM encoder's hidden states off by ${hidden}`);
});
