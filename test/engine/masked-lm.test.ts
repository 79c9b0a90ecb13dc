/**
 * The masked-LM head (src/heads/masked-lm.ts) trained on onnxruntime (OnnxTrainingEngine with
 * `objective: { kind: 'masked-lm' }`):
 * - gradients of the masked-LM loss w.r.t. every parameter of a random 2-layer BERT + MLM head
 *   against central finite differences of an independent float64 implementation
 *   (test/reference/bert64.ts plus the head written out below), including the tied word
 *   embeddings — rows the batch reads get gradient from the input embedding and the decoder, rows
 *   it never reads from the decoder alone — and every entry of `cls.predictions.bias`;
 * - the same gradients and 8 AdamW steps (with accumulation) against the TF.js engine;
 * - logits, loss and host-side scores of the engine against the float64 reference.
 *
 * Tolerances as in gradients.test.ts: float32 gradients vs a float64 central difference (h = 1e-5,
 * truncation ~1e-9) agree to 1e-4 + 2e-3·|fd|; a wrong rule (a missing transpose, a decoder
 * gradient dropped from the tied embeddings) is off by the order of |g|.
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
import { OnnxTrainingEngine, wordSegmentFeeds } from '../../src/engine/onnx/training/onnx-engine.js';
import { buildStepGraph, STEP_NAMES } from '../../src/engine/onnx/training/step-graph.js';
import {
  flatTargetIndex,
  initMaskedLmHead,
  isMaskedLmParam,
  MASKED_LM_PARAMS,
  maskedLmSequenceLogits,
  maskedLmLoss,
  maskedLmParamShape,
  maskedLmScores,
  TIED_DECODER,
} from '../../src/heads/masked-lm.js';
import { bertForward, gatherRows } from '../../src/models/bert/bert.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { Rng } from '../../src/data/random.js';
import type { MaskedTargets, TrainBatch } from '../../src/engine/types.js';
import { decays } from '../../src/trainer/schedule.js';
import { gelu, randomRefWeights, refBertForward, refCrossEntropy, refLayerNorm, refLinear, type RefWeights } from '../reference/bert64.js';
import { refConfigOf, tinyTestConfig } from '../helpers/tiny-config.js';
import { assertSameWeights, enginePair, stepBoth } from '../helpers/engines.js';

const cfg = tinyTestConfig();
const ref = refConfigOf(cfg);

const MASK = 3;
// Three rows, the last two padded; [MASK] (3) and a random replacement (17 at position 9) stand
// where tokens were selected. The first row is a text pair.
const inputIds = [
  [1, 7, MASK, 2, 11, MASK, 2],
  [1, 5, 17, 8, 2, 0, 0],
  [1, MASK, 2, 0, 0, 0, 0],
];
const tokenTypeIds = [
  [0, 0, 0, 0, 1, 1, 1],
  [0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0],
];
const attentionMask = inputIds.map((row) => row.map((id) => (id !== 0 ? 1 : 0)));
const S = inputIds[0]!.length;
// Flat rows b·S + s: two [MASK]s of row 0, the replaced token and a kept one (8) of row 1, row 2's [MASK].
const positions = [2, 5, 9, 10, 15];
// Labels: 9 twice (a repeated target), 8 kept as is, 35 never in the input, 11 also an input token.
const labels = [9, 35, 9, 8, 11];

const tokens: TokenBatch = {
  batchSize: inputIds.length,
  seqLength: S,
  inputIds: Int32Array.from(inputIds.flat()),
  tokenTypeIds: Int32Array.from(tokenTypeIds.flat()),
  attentionMask: Int32Array.from(attentionMask.flat()),
};
const masked: MaskedTargets = { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, cfg.vocabSize) };
const batch: TrainBatch = { tokens, targets: new Float32Array(0), masked };

/** Encoder (with pooler, off the loss path) + MLM head, all entries ~N(0, 0.3²), LayerNorm γ ~ 1 + N(0, 0.3²). */
function mlmRefWeights(seed: number): RefWeights {
  const w = randomRefWeights(ref, seed, { std: 0.3 });
  w.delete('classifier.weight');
  w.delete('classifier.bias');
  const rng = new Rng(seed + 99);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  for (const name of MASKED_LM_PARAMS) {
    const shape = maskedLmParamShape(cfg, name);
    const centre = name.endsWith('LayerNorm.weight') ? 1 : 0;
    w.set(name, { shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => centre + 0.3 * normal()) });
  }
  return w;
}

const toHost = (w: RefWeights): Map<string, HostTensor> => new Map([...w].map(([k, v]) => [k, { shape: [...v.shape], data: Float32Array.from(v.data) }]));

/** Float64 masked-LM logits [M, V]: gather → dense → GELU → LayerNorm → · word_embeddingsᵀ + bias. */
function refMaskedLmLogits(w: RefWeights): Float64Array {
  const H = ref.hiddenSize;
  const V = ref.vocabSize;
  const get = (n: string) => w.get(n)!.data;
  const out = refBertForward(ref, w, inputIds, tokenTypeIds, attentionMask);
  const M = positions.length;
  const rows = new Float64Array(M * H);
  positions.forEach((p, m) => rows.set(out.sequence.subarray(p * H, (p + 1) * H), m * H));
  const dense = refLinear(rows, M, get('cls.predictions.transform.dense.weight'), get('cls.predictions.transform.dense.bias'), H, H);
  for (let i = 0; i < dense.length; i++) dense[i] = gelu(dense[i]!);
  const t = refLayerNorm(dense, M, H, get('cls.predictions.transform.LayerNorm.weight'), get('cls.predictions.transform.LayerNorm.bias'), ref.layerNormEps);
  return refLinear(t, M, get(TIED_DECODER), get('cls.predictions.bias'), H, V);
}

const refMaskedLmLoss = (w: RefWeights) => refCrossEntropy(refMaskedLmLogits(w), positions.length, ref.vocabSize, labels);

async function onnxGradients(weights: Map<string, HostTensor>): Promise<{ grads: Map<string, Float32Array>; loss: number }> {
  const spec = { config: cfg, paramShapes: new Map([...weights].map(([n, t]) => [n, t.shape])), objective: { kind: 'masked-lm' as const } };
  const built = buildStepGraph(spec, { kind: 'grads', trainable: [...weights.keys()], gradsIn: false });
  const session = await ort.InferenceSession.create(toModelBytes(built.graph), { logSeverityLevel: 3 });
  const wide = (a: ArrayLike<number>, dims: number[]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(Array.from(a), (v) => BigInt(v)),
      dims,
    );
  const dims = [tokens.batchSize, tokens.seqLength];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: wide(tokens.inputIds, dims),
    attention_mask: wide(tokens.attentionMask, dims),
    token_type_ids: wide(tokens.tokenTypeIds, dims),
    [STEP_NAMES.mlmPositions]: wide(masked.positions, [positions.length]),
    [STEP_NAMES.mlmTargetIndex]: wide(masked.targetIndex, [positions.length]),
    [STEP_NAMES.lossScale]: new ort.Tensor('float32', Float32Array.of(1), []),
    ...wordSegmentFeeds(ort, Int32Array.from(tokens.inputIds), cfg.vocabSize),
  };
  for (const [n, t] of weights) feeds[n] = new ort.Tensor('float32', t.data, t.shape);
  for (const n of session.inputNames) assert.ok(feeds[n], `the grads graph wants an input the test does not feed: ${n}`);
  const out = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
  await session.release();
  const grads = new Map<string, Float32Array>(built.differentiated.map((p) => [p, out[STEP_NAMES.grad(p)]!.data as Float32Array]));
  return { grads, loss: (out[STEP_NAMES.loss]!.data as Float32Array)[0]! };
}

function tfjsGradients(weights: Map<string, HostTensor>): { grads: Map<string, Float32Array>; loss: number } {
  const params = toTfjsParams(weights, () => true);
  const ops = new TfjsOps();
  const { grads, value } = tf.variableGrads(
    () => {
      // The full encoder and head at every position, then the masked rows: a reference independent of the
      // rows-only last layer (bert.ts `rows`) that the ONNX graph runs.
      const sequence = bertForward(ops, cfg, params, batchToTensors(tokens)).sequenceOutput;
      const logits = gatherRows(ops, maskedLmSequenceLogits(ops, cfg, params, sequence), tf.tensor1d(masked.positions, 'int32'), cfg.vocabSize);
      return maskedLmLoss(ops, logits, tf.tensor1d(masked.targetIndex, 'int32')) as tf.Scalar;
    },
    [...params.values()] as tf.Variable[],
  );
  const byVar = new Map([...params].map(([name, v]) => [(v as tf.Variable).name, name]));
  const out = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) out.set(byVar.get(varName)!, g.dataSync() as Float32Array);
  const loss = (value.dataSync() as Float32Array)[0]!;
  for (const p of params.values()) p.dispose();
  return { grads: out, loss };
}

/** Entry indices to check: a few per tensor; every one of `cls.predictions.bias`; word-embedding rows read and not read. */
function entriesToCheck(name: string, shape: number[], seed: number): number[] {
  if (name === 'cls.predictions.bias') return [...Array(shape[0]).keys()];
  const cols = shape.length === 2 ? shape[1]! : 1;
  let rows: number[];
  let count = 4;
  if (name === TIED_DECODER) {
    // Rows of input tokens (input embedding + decoder), of labels only (35), and of ids the batch
    // never mentions (decoder only: every logit of the softmax has a gradient).
    rows = [...new Set([...inputIds.flat(), 35, 20, 39, 4])];
    count = 3 * rows.length;
  } else if (name === 'embeddings.position_embeddings.weight') rows = [...Array(S).keys()];
  else rows = [...Array(shape[0]).keys()];
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const row = name === TIED_DECODER ? rows[i % rows.length]! : rows[s % rows.length]!;
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(shape.length === 2 ? row * cols + (s % cols) : row);
  }
  return out;
}

before(async () => {
  await initTfjs('cpu');
});

test('flatTargetIndex is m·V + label; initMaskedLmHead has the HF shapes and init', () => {
  assert.deepEqual([...flatTargetIndex([4, 0, 39], 40)], [4, 40, 119]);
  const head = initMaskedLmHead({ ...cfg, hiddenSize: 8, vocabSize: 30 }, 1);
  assert.deepEqual([...head.keys()], [...MASKED_LM_PARAMS]);
  assert.deepEqual(head.get('cls.predictions.transform.dense.weight')!.shape, [8, 8]);
  assert.deepEqual(head.get('cls.predictions.bias')!.shape, [30]);
  assert.ok(head.get('cls.predictions.bias')!.data.every((v) => v === 0));
  assert.ok(head.get('cls.predictions.transform.LayerNorm.weight')!.data.every((v) => v === 1));
  assert.ok(head.get('cls.predictions.transform.dense.weight')!.data.some((v) => v !== 0));
  assert.ok(MASKED_LM_PARAMS.every(isMaskedLmParam) && !isMaskedLmParam(TIED_DECODER));
});

test('onnx masked-LM gradients match float64 finite differences for every parameter (tied embeddings, output bias)', async () => {
  const weights = mlmRefWeights(7);
  const host = toHost(weights);
  const { grads, loss } = await onnxGradients(host);
  const refLoss = refMaskedLmLoss(weights);
  assert.ok(Math.abs(loss - refLoss) <= 1e-5 * (1 + refLoss), `loss ${loss} vs float64 ${refLoss}`);
  const h = 1e-5;
  let checked = 0;
  const tiedRows = { read: 0, decoderOnly: 0 };
  for (const [name, w] of weights) {
    const g = grads.get(name);
    if (name.startsWith('pooler.')) {
      assert.equal(g, undefined, `${name} is off the masked-LM loss path and should get no gradient`);
      continue;
    }
    assert.ok(g, `no gradient for ${name}`);
    assert.equal(g.length, w.data.length, `${name}: gradient size`);
    let largest = 0;
    for (const i of entriesToCheck(name, w.shape, name.length * 31 + 1)) {
      const saved = w.data[i]!;
      w.data[i] = saved + h;
      const up = refMaskedLmLoss(weights);
      w.data[i] = saved - h;
      const down = refMaskedLmLoss(weights);
      w.data[i] = saved;
      const fd = (up - down) / (2 * h);
      largest = Math.max(largest, Math.abs(fd));
      assert.ok(Math.abs(g[i]! - fd) <= 1e-4 + 2e-3 * Math.abs(fd), `${name}[${i}]: onnx ${g[i]} vs finite difference ${fd}`);
      if (name === TIED_DECODER && Math.abs(fd) > 1e-4) {
        const row = Math.floor(i / ref.hiddenSize);
        if (inputIds.flat().includes(row)) tiedRows.read++;
        else tiedRows.decoderOnly++;
      }
      checked++;
    }
    // The key bias adds q·b to a whole row of attention scores, which softmax ignores: its true
    // gradient is 0 (still checked above). Every other tensor must carry signal.
    if (!name.endsWith('attention.self.key.bias')) assert.ok(largest > 1e-5, `${name}: finite differences all ~0, the check is vacuous`);
  }
  assert.ok(tiedRows.read >= 10 && tiedRows.decoderOnly >= 5, `tied embedding rows checked with signal: ${JSON.stringify(tiedRows)}`);
  assert.ok(checked > 200, `only ${checked} entries checked`);
});

test('onnx and TF.js agree on the masked-LM loss and every gradient', async () => {
  const host = toHost(mlmRefWeights(11));
  const onnx = await onnxGradients(host);
  const tfjs = tfjsGradients(host);
  assert.ok(Math.abs(onnx.loss - tfjs.loss) <= 1e-5 * (1 + Math.abs(tfjs.loss)), `loss ${onnx.loss} vs ${tfjs.loss}`);
  for (const name of host.keys()) {
    const g = onnx.grads.get(name);
    const w = tfjs.grads.get(name);
    if (name.startsWith('pooler.')) {
      assert.equal(g, undefined, `onnx: ${name} should get no gradient`);
      assert.ok(w === undefined || w.every((x) => x === 0), `tfjs: ${name} should get no gradient`);
      continue;
    }
    assert.ok(g && w, `missing gradient for ${name}`);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < w.length; i++) {
      scale = Math.max(scale, Math.abs(w[i]!));
      diff = Math.max(diff, Math.abs(g[i]! - w[i]!));
    }
    assert.ok(diff <= 1e-6 + 1e-4 * scale, `${name}: max |onnx − tfjs| = ${diff}, max |g| = ${scale}`);
  }
});

test('engine: maskedLmLogits, evalLoss and maskedLmScores match the float64 reference', async () => {
  const weights = mlmRefWeights(13);
  const engine = await OnnxTrainingEngine.create({ config: cfg, weights: toHost(weights), objective: { kind: 'masked-lm' } });
  const logits = await engine.maskedLmLogits(batch);
  const want = refMaskedLmLogits(weights);
  assert.equal(logits.length, positions.length * cfg.vocabSize);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(logits[i]! - want[i]!) < 1e-4, `logit ${i}: ${logits[i]} vs ${want[i]}`);
  const refLoss = refMaskedLmLoss(weights);
  const loss = await engine.evalLoss(batch);
  assert.ok(Math.abs(loss - refLoss) <= 1e-5 * (1 + refLoss), `evalLoss ${loss} vs ${refLoss}`);
  const scores = maskedLmScores(logits, labels, cfg.vocabSize);
  assert.equal(scores.count, positions.length);
  assert.ok(Math.abs(scores.lossSum / scores.count - refLoss) < 1e-5, `host loss ${scores.lossSum / scores.count} vs ${refLoss}`);
  let correct = 0;
  for (let m = 0; m < positions.length; m++) {
    const row = want.subarray(m * cfg.vocabSize, (m + 1) * cfg.vocabSize);
    if (row.indexOf(Math.max(...row)) === labels[m]) correct++;
  }
  assert.equal(scores.correct, correct);
  // The scores of a known row: logits (0, ln 3) with label 1 → loss ln(4/3), correct.
  const s = maskedLmScores(Float32Array.of(0, Math.log(3)), [1], 2);
  assert.ok(Math.abs(s.lossSum - Math.log(4 / 3)) < 1e-7 && s.correct === 1);
  engine.dispose();
});

/** A random masked-LM micro-batch: rows × seq tokens, [CLS] … [SEP] then padding, ~25% of the real tokens predicted. */
function randomMlmBatch(rows: number, seq: number, seed: number): TrainBatch {
  const rng = new Rng(seed);
  const n = rows * seq;
  const ids = new Int32Array(n);
  const mask = new Int32Array(n);
  const pos: number[] = [];
  const lab: number[] = [];
  for (let r = 0; r < rows; r++) {
    const len = 4 + Math.floor(rng.next() * (seq - 3));
    for (let c = 0; c < len; c++) {
      const i = r * seq + c;
      mask[i] = 1;
      ids[i] = c === 0 ? 1 : c === len - 1 ? 2 : 4 + Math.floor(rng.next() * (cfg.vocabSize - 8)); // 4..35: ids 36..39 never occur
      if (c > 0 && c < len - 1 && (rng.next() < 0.25 || c === 1)) {
        pos.push(i);
        lab.push(ids[i]!);
        ids[i] = MASK;
      }
    }
  }
  const m: MaskedTargets = { positions: Int32Array.from(pos), labels: Int32Array.from(lab), targetIndex: flatTargetIndex(lab, cfg.vocabSize) };
  return {
    tokens: { batchSize: rows, seqLength: seq, inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(n) },
    targets: new Float32Array(0),
    masked: m,
  };
}

test('8 AdamW steps of masked LM (clipping, decay groups, accumulation) match the TF.js engine', async () => {
  const weights = toHost(mlmRefWeights(17));
  const options = { config: cfg, weights, objective: { kind: 'masked-lm' as const } };
  const engines = await enginePair(options);
  const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? 0.01 : 0 });
  for (let step = 0; step < 8; step++) {
    const micro = step % 3 === 2 ? [randomMlmBatch(3, 7, step * 7), randomMlmBatch(2, 9, step * 7 + 3)] : [randomMlmBatch(4, 8, step * 7)];
    await stepBoth(engines, micro, { lr: 3e-3, maxGradNorm: 0.5, settingsOf, dropoutSeed: step }, step);
  }
  const wo = await engines.onnx.weights();
  const moved = assertSameWeights(wo, await engines.tfjs.weights(), weights, (name, o, start) => {
    if (name.startsWith('pooler.')) assert.deepEqual(o.data, start.data, `${name} is off the loss path and must not move`);
  });
  assert.ok(moved > 1e-3, 'the weights barely moved; the comparison proves little');
  // Rows of the tied embedding no batch ever reads still move: the decoder trains them.
  const emb = wo.get(TIED_DECODER)!;
  const row38 = (d: Float32Array) => d.subarray(38 * cfg.hiddenSize, 39 * cfg.hiddenSize);
  assert.notDeepEqual(row38(emb.data), row38(weights.get(TIED_DECODER)!.data));
  engines.onnx.dispose();
  engines.tfjs.dispose();
});
