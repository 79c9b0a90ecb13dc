/**
 * Training on onnxruntime (src/engine/onnx/training) against the TF.js engine, whose gradients
 * test/engine/gradients.test.ts checks against float64 finite differences:
 * - whole-model gradients of a random 2-layer BERT + head for every parameter (three poolings,
 *   three problem types, class weights, padding, a text pair), dropout off;
 * - 20 AdamW steps (clipping, weight-decay groups, layer-wise LR scales, warm-up, gradient
 *   accumulation) from the same weights and data: losses and final weights of both engines;
 * - frozen parameters, optimizer state round trips, reproducible dropout masks.
 *
 * Tolerances: both engines compute in float32 with differently ordered sums. Gradients must agree
 * to |Δ| ≤ 1e-6 + 1e-4·max|g| per tensor (observed: ≤ 7e-7·max|g|); after 20 steps the losses
 * to 1e-5 relative (observed ~1e-7) and the weights to 1e-4 absolute (observed ~1e-7, against
 * ~1e-2 of movement). An op with a wrong backward rule gives differences of the order of the
 * gradient itself.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { toTfjsParams } from '../../src/engine/tfjs/params.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { fillDropoutMask } from '../../src/engine/onnx/training/dropout-masks.js';
import { OnnxTrainingEngine, wordSegmentFeeds } from '../../src/engine/onnx/training/onnx-engine.js';
import { buildStepGraph, STEP_NAMES } from '../../src/engine/onnx/training/step-graph.js';
import type { Pooling } from '../../src/models/bert/bert.js';
import { tinyTestConfig } from '../helpers/tiny-config.js';
import { assertSameWeights, enginePair, randomClassifierWeights, randomTokens, stepBoth } from '../helpers/engines.js';
import { classifierLoss, sequenceClassifierLogits, type ProblemType } from '../../src/heads/classification.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { Rng } from '../../src/data/random.js';
import type { StepOptions, TrainBatch } from '../../src/engine/types.js';
import { paramSettings } from '../../src/trainer/schedule.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';

const cfg = tinyTestConfig();
const NUM_OUTPUTS = 3;

/** Random weights large enough that every gradient carries signal (LayerNorm γ around 1). */
const randomWeights = (seed: number, numOutputs = NUM_OUTPUTS) => randomClassifierWeights(cfg, seed, numOutputs);

// Three rows, the last two padded; the first is a text pair.
const tokens: TokenBatch = {
  batchSize: 3,
  seqLength: 7,
  inputIds: Int32Array.from([1, 7, 9, 2, 11, 13, 2, 1, 5, 6, 8, 2, 0, 0, 1, 30, 2, 0, 0, 0, 0]),
  tokenTypeIds: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0]),
};

function targetsFor(problem: ProblemType, rows: number, seed: number, width = NUM_OUTPUTS): Float32Array {
  const rng = new Rng(seed);
  const t = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    if (problem === 'single_label_classification') t[r * width + Math.floor(rng.next() * width)] = 1;
    else if (problem === 'multi_label_classification') for (let c = 0; c < width; c++) t[r * width + c] = rng.next() < 0.5 ? 1 : 0;
    else t[r * width] = rng.next() * 2 - 1;
  }
  return t;
}

/** A random batch of `rows` × `seq` tokens with some padding. */
function randomBatch(rows: number, seq: number, seed: number, problem: ProblemType, width = NUM_OUTPUTS): TrainBatch {
  const rng = new Rng(seed);
  const tokens = randomTokens(rows, seq, rng, (real) => (real ? 1 + Math.floor(rng.next() * (cfg.vocabSize - 1)) : 0));
  return { tokens, targets: targetsFor(problem, rows, seed + 1, width) };
}

/**
 * TfjsOps with log σ written as −softplus(−x): tf.logSigmoid's custom gradient fails inside
 * tf.variableGrads when its input is itself computed (tfjs-core 4.22, "Cannot read properties of
 * undefined (reading 'backend')"), which the multi-label loss does (log σ(−z)). Same function.
 */
class ReferenceOps extends TfjsOps {
  override logSigmoid(x: tf.Tensor): tf.Tensor {
    return tf.neg(tf.softplus(tf.neg(x)));
  }
}

/** A classification head and loss: pooling, problem type, number of outputs, class weights. */
interface Head {
  pooling: Pooling;
  problem: ProblemType;
  width: number;
  classWeights?: Float32Array;
}

function tfjsGradients(weights: Map<string, HostTensor>, batch: TrainBatch, { pooling, problem, width, classWeights }: Head): Map<string, Float32Array> {
  const params = toTfjsParams(weights, () => true);
  const ops = new ReferenceOps();
  const { grads, value } = tf.variableGrads(
    () => {
      const logits = sequenceClassifierLogits(ops, cfg, params, batchToTensors(batch.tokens), pooling);
      const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, width]);
      return classifierLoss(ops, problem, logits, targets, classWeights ? tf.tensor1d(classWeights) : undefined) as tf.Scalar;
    },
    [...params.values()] as tf.Variable[],
  );
  const byVar = new Map([...params].map(([name, v]) => [(v as tf.Variable).name, name]));
  const out = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) out.set(byVar.get(varName)!, g.dataSync() as Float32Array);
  out.set('__loss', value.dataSync() as Float32Array);
  for (const p of params.values()) p.dispose();
  return out;
}

async function onnxGradients(weights: Map<string, HostTensor>, batch: TrainBatch, { pooling, problem, width, classWeights }: Head) {
  const spec = {
    config: cfg,
    paramShapes: new Map([...weights].map(([n, t]) => [n, t.shape])),
    objective: { kind: 'classification' as const, pooling, problem, numOutputs: width, classWeights },
  };
  const built = buildStepGraph(spec, { kind: 'grads', trainable: [...weights.keys()], gradsIn: false });
  const session = await ort.InferenceSession.create(toModelBytes(built.graph), { logSeverityLevel: 3 });
  const wide = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [batch.tokens.batchSize, batch.tokens.seqLength],
    );
  const feeds: Record<string, ort.Tensor> = {
    input_ids: wide(batch.tokens.inputIds),
    attention_mask: wide(batch.tokens.attentionMask),
    token_type_ids: wide(batch.tokens.tokenTypeIds),
    targets: new ort.Tensor('float32', batch.targets, [batch.tokens.batchSize, width]),
    loss_scale: new ort.Tensor('float32', Float32Array.of(1), []),
    ...wordSegmentFeeds(ort, batch.tokens.inputIds, cfg.vocabSize),
  };
  for (const [n, t] of weights) feeds[n] = new ort.Tensor('float32', t.data, t.shape);
  const only = Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]]));
  const out = await session.run(only);
  await session.release();
  const grads = new Map<string, Float32Array>(built.differentiated.map((p) => [p, out[STEP_NAMES.grad(p)].data as Float32Array]));
  return { grads, loss: (out.loss.data as Float32Array)[0], differentiated: built.differentiated };
}

before(async () => {
  await initTfjs('cpu');
});

const cases: Head[] = [
  { pooling: 'pooler', problem: 'single_label_classification', width: 3 },
  { pooling: 'cls', problem: 'single_label_classification', width: 3, classWeights: Float32Array.of(0.5, 2, 1.25) },
  { pooling: 'mean', problem: 'multi_label_classification', width: 3 },
  { pooling: 'pooler', problem: 'regression', width: 1 },
];

for (const c of cases) {
  test(`whole-model gradients match TF.js for every parameter (${c.pooling} pooling, ${c.problem}${c.classWeights ? ', class weights' : ''})`, async () => {
    const weights = randomWeights(11, c.width);
    const batch: TrainBatch = { tokens, targets: targetsFor(c.problem, tokens.batchSize, 5, c.width) };
    const want = tfjsGradients(weights, batch, c);
    const got = await onnxGradients(weights, batch, c);
    assert.ok(Math.abs(got.loss - want.get('__loss')![0]) <= 1e-5 * (1 + Math.abs(got.loss)), `loss ${got.loss} vs ${want.get('__loss')![0]}`);
    for (const name of weights.keys()) {
      const g = got.grads.get(name);
      const w = want.get(name);
      if (c.pooling !== 'pooler' && name.startsWith('pooler.')) {
        assert.equal(g, undefined, `${name} is off the loss path and should get no gradient`);
        assert.ok(w === undefined || w.every((x) => x === 0));
        continue;
      }
      assert.ok(g && w, `missing gradient for ${name}`);
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < w.length; i++) {
        scale = Math.max(scale, Math.abs(w[i]));
        diff = Math.max(diff, Math.abs(g[i] - w[i]));
      }
      assert.ok(diff <= 1e-6 + 1e-4 * scale, `${name}: max |onnx − tfjs| = ${diff}, max |g| = ${scale}`);
    }
  });
}

function stepOptions(step: number, maxGradNorm: number): StepOptions {
  const settingsOf = paramSettings(cfg, { lr: 1e-3, headLr: 3e-3, layerLrDecay: 0.8, weightDecay: 0.01 });
  // Warm-up over 5 steps, then flat.
  return { lr: 1e-3 * Math.min(1, (step + 1) / 5), maxGradNorm, settingsOf, dropoutSeed: 1000 + step };
}

/** Both engines from the same random weights (`seed`), with a classification head. */
async function trainingPair(seed: number, pooling: Pooling, problem: ProblemType) {
  const weights = randomWeights(seed);
  return { weights, ...(await enginePair({ config: cfg, weights, objective: { kind: 'classification', pooling, problem, numOutputs: NUM_OUTPUTS } })) };
}

test('20 AdamW steps (clipping, decay groups, layer-wise LR, accumulation) match the TF.js engine', async () => {
  const problem: ProblemType = 'single_label_classification';
  const engines = await trainingPair(21, 'pooler', problem);
  const { weights, onnx, tfjs } = engines;
  // The clip norm (0.5) is below the gradient norm here, so clipping is active.
  const first = randomBatch(4, 8, 0, problem);
  const { grads } = await onnxGradients(weights, first, { pooling: 'pooler', problem, width: NUM_OUTPUTS });
  const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  assert.ok(norm > 1, `gradient norm ${norm} would not be clipped`);
  for (let step = 0; step < 20; step++) {
    // Every third step accumulates two micro-batches of different sizes.
    const micro = step % 3 === 2 ? [randomBatch(3, 6, step * 7, problem), randomBatch(2, 9, step * 7 + 3, problem)] : [randomBatch(4, 8, step * 7, problem)];
    await stepBoth(engines, micro, stepOptions(step, 0.5), step);
  }
  const moved = assertSameWeights(await onnx.weights(), await tfjs.weights(), weights);
  assert.ok(moved > 1e-3, 'the weights barely moved; the comparison proves little');
  const so = await onnx.optimizerState();
  const st = await tfjs.optimizerState();
  assert.equal(so.step, st.step);
  assert.deepEqual([...so.moments.keys()].sort(), [...st.moments.keys()].sort());
  onnx.dispose();
  tfjs.dispose();
});

test('a trainable parameter off the loss path (the pooler under cls pooling) is not updated, as in TF.js', async () => {
  const problem: ProblemType = 'single_label_classification';
  const engines = await trainingPair(71, 'cls', problem);
  const { weights, onnx, tfjs } = engines;
  for (let step = 0; step < 5; step++) await stepBoth(engines, [randomBatch(4, 8, 100 + step, problem)], stepOptions(step, 1), step);
  const wo = await onnx.weights();
  const wt = await tfjs.weights();
  for (const name of ['pooler.dense.weight', 'pooler.dense.bias']) {
    assert.deepEqual(wo.get(name)!.data, weights.get(name)!.data, `onnx moved ${name}`);
    assert.deepEqual(wt.get(name)!.data, weights.get(name)!.data, `tfjs moved ${name}`);
  }
  assert.ok(!(await onnx.optimizerState()).moments.has('pooler.dense.weight'));
  onnx.dispose();
  tfjs.dispose();
});

test('frozen parameters stay bit-identical, trainable ones move, and the trainable set can change', async () => {
  const weights = randomWeights(31);
  const problem: ProblemType = 'single_label_classification';
  const engine = new OnnxTrainingEngine({ config: cfg, weights, objective: { kind: 'classification', pooling: 'cls', problem, numOutputs: NUM_OUTPUTS } });
  const headOnly = new Set(['classifier.weight', 'classifier.bias']);
  engine.setTrainable(headOnly);
  for (let s = 0; s < 3; s++) await engine.trainStep([randomBatch(4, 8, s, problem)], stepOptions(s, 1));
  let after = await engine.weights();
  for (const [name, t] of after) {
    const same = t.data.every((v, i) => v === weights.get(name)!.data[i]);
    assert.equal(same, !headOnly.has(name), `${name} ${same ? 'did not move' : 'moved'}`);
  }
  // Unfreeze the top layer too (gradual unfreezing): it starts moving, the rest stays put.
  const top = new Set([...headOnly, ...[...weights.keys()].filter((n) => n.startsWith('encoder.layer.1.'))]);
  engine.setTrainable(top);
  const before = after;
  await engine.trainStep([randomBatch(4, 8, 9, problem)], stepOptions(3, 1));
  after = await engine.weights();
  for (const [name, t] of after) {
    const same = t.data.every((v, i) => v === before.get(name)!.data[i]);
    assert.equal(same, !top.has(name), `${name} ${same ? 'did not move' : 'moved'} after unfreezing`);
  }
  const state = await engine.optimizerState();
  assert.equal(state.step, 4);
  assert.deepEqual([...state.moments.keys()].sort(), [...top].sort());
  engine.dispose();
});

test('optimizer state and weights round-trip: a resumed engine continues exactly', async () => {
  const problem: ProblemType = 'multi_label_classification';
  const dropCfg = { ...cfg, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 };
  const options = {
    config: dropCfg,
    weights: randomWeights(41),
    objective: { kind: 'classification' as const, pooling: 'mean' as const, problem, numOutputs: NUM_OUTPUTS },
  };
  const all = new Set(options.weights.keys());
  const a = new OnnxTrainingEngine(options);
  a.setTrainable(all);
  for (let s = 0; s < 3; s++) await a.trainStep([randomBatch(4, 8, s, problem)], stepOptions(s, 1));
  const b = new OnnxTrainingEngine({ ...options, weights: await a.weights() });
  b.loadOptimizerState(await a.optimizerState());
  b.setTrainable(all);
  for (let s = 3; s < 5; s++) {
    const la = await a.trainStep([randomBatch(4, 8, s, problem)], stepOptions(s, 1));
    const lb = await b.trainStep([randomBatch(4, 8, s, problem)], stepOptions(s, 1));
    assert.equal(lb, la, `step ${s}: resumed loss differs`);
  }
  const wa = await a.weights();
  const wb = await b.weights();
  for (const [name, t] of wa) assert.deepEqual(wb.get(name)!.data, t.data, name);
  a.dispose();
  b.dispose();
});

test('dropout: masks come from the step seed (same seed, same loss; another seed, another loss)', async () => {
  const problem: ProblemType = 'single_label_classification';
  const dropCfg = { ...cfg, hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 };
  const weights = randomWeights(51);
  const make = () => {
    const e = new OnnxTrainingEngine({ config: dropCfg, weights, objective: { kind: 'classification', pooling: 'pooler', problem, numOutputs: NUM_OUTPUTS } });
    e.setTrainable(new Set(weights.keys()));
    return e;
  };
  const batch = randomBatch(4, 8, 3, problem);
  const losses = [];
  for (const seed of [7, 7, 8]) {
    const e = make();
    losses.push(await e.trainStep([batch], { ...stepOptions(0, 1), dropoutSeed: seed }));
    e.dispose();
  }
  assert.equal(losses[0], losses[1]);
  assert.notEqual(losses[0], losses[2]);
  // Dropout off for evaluation: the loss of the untouched weights is deterministic and differs
  // from the training loss under dropout.
  const e = make();
  const evalLoss = await e.evalLoss(batch);
  assert.equal(await e.evalLoss(batch), evalLoss);
  assert.notEqual(evalLoss, losses[0]);
  e.dispose();

  const mask = fillDropoutMask(new Float32Array(100001), 0.1, 123, 0, 0);
  const dropped = mask.filter((v) => v === 0).length / mask.length;
  assert.ok(Math.abs(dropped - 0.1) < 0.005, `dropped fraction ${dropped}`);
  assert.ok(mask.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6));
  const other = fillDropoutMask(new Float32Array(100001), 0.1, 123, 0, 1);
  assert.notDeepEqual(other, mask, 'two sites must get different masks');
});

test('logits() and evalLoss() use the current weights with dropout off', async () => {
  const problem: ProblemType = 'single_label_classification';
  const weights = randomWeights(61);
  const options = {
    config: { ...cfg, hiddenDropoutProb: 0.1 },
    weights,
    objective: { kind: 'classification' as const, pooling: 'pooler' as const, problem, numOutputs: NUM_OUTPUTS },
  };
  const onnx = new OnnxTrainingEngine(options);
  const tfjs = new TfjsTrainingEngine(options);
  const lo = await onnx.logits(tokens);
  const lt = await tfjs.logits(tokens);
  assert.equal(lo.length, tokens.batchSize * NUM_OUTPUTS);
  for (let i = 0; i < lo.length; i++) assert.ok(Math.abs(lo[i] - lt[i]) < 1e-5, `logit ${i}: ${lo[i]} vs ${lt[i]}`);
  const batch: TrainBatch = { tokens, targets: targetsFor(problem, 3, 1) };
  const before = await onnx.evalLoss(batch);
  assert.ok(Math.abs(before - (await tfjs.evalLoss(batch))) < 1e-5);
  onnx.setTrainable(new Set(weights.keys()));
  for (let s = 0; s < 5; s++) await onnx.trainStep([batch], { ...stepOptions(s, 1), lr: 1e-2 });
  const afterLogits = await onnx.logits(tokens);
  assert.notDeepEqual(afterLogits, lo, 'logits must follow the trained weights');
  assert.ok((await onnx.evalLoss(batch)) < before, 'five steps on one batch should lower its loss');
  onnx.dispose();
  tfjs.dispose();
});
