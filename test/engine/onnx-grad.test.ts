/**
 * Every VJP rule of src/engine/onnx/training/vjp against central finite differences.
 *
 * Each case builds a tiny float32 graph `L = Σ f(inputs) ⊙ R` (R a fixed random tensor, so every
 * output element matters with a different weight), appends its backward pass with
 * `appendGradients`, and compares each input's analytic gradient with (L(x+h) − L(x−h)) / 2h,
 * element by element, from the same onnxruntime session. The graphs are float32 because bertft's
 * graph IR and serialiser have no float64 type; with h = 1e-2 the float32 rounding of L (~1e-6)
 * contributes ~1e-4 and the truncation error ~h²·f'''/6 ≈ 2e-5, so the tolerance is
 * |g − fd| ≤ 2e-3 + 1e-2·|fd|. A wrong rule (missing factor, transpose or broadcast sum) is off
 * by the order of |g| ≈ 0.1–1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { attr, GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType, type Attribute, type Dim } from '../../src/engine/onnx/graph.js';
import { OnnxOps } from '../../src/engine/onnx/ops.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { appendGradients } from '../../src/engine/onnx/training/autodiff.js';
import type { GraphTarget } from '../../src/engine/onnx/training/graph-target.js';
import { TrainingOps } from '../../src/engine/onnx/training/training-ops.js';
import { bertForward, bertParamNames, bertParamShape } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { relativeScores, selections } from '../../src/models/bert/deberta.js';

/** A float input of a case: its shape, values (random in [lo, hi) by default). */
interface CaseInput {
  shape: number[];
  /** Symbolic dims to declare instead of the numbers (the values keep the numbers). */
  dims?: Dim[];
  lo?: number;
  hi?: number;
  values?: number[];
  /** Not differentiated (a constant-like input such as a mask). */
  constant?: boolean;
}

interface IntInput {
  shape: number[];
  values: number[];
  dims?: Dim[];
}

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}

async function checkCase(
  name: string,
  inputs: Record<string, CaseInput>,
  forward: (b: GraphBuilder, x: Record<string, string>) => string,
  ints: Record<string, IntInput> = {},
  target: GraphTarget = 'cpu',
): Promise<void> {
  const b = new GraphBuilder(name);
  const names: Record<string, string> = {};
  for (const [n, spec] of Object.entries(inputs)) names[n] = b.addInput(n, ElemType.Float, spec.dims ?? spec.shape);
  for (const [n, spec] of Object.entries(ints)) names[n] = b.addInput(n, ElemType.Int64, spec.dims ?? spec.shape);
  const out = forward(b, names);
  const outShape = b.shape(out);
  const concreteOut = await outputShape(b, out, inputs, ints);
  const size = concreteOut.reduce((p, d) => p * d, 1);
  const weightsName = b.addInput('loss_weights', ElemType.Float, outShape);
  const lossWeights = Float32Array.from({ length: size }, () => rand() * 2 - 1);
  const loss = b.op('ReduceSum', [b.op('Mul', [out, weightsName])], { keepdims: attr.int(0) });
  b.addOutput(loss, 'loss');
  const wrt = Object.entries(inputs)
    .filter(([, s]) => !s.constant)
    .map(([n]) => n);
  const grads = appendGradients(b, loss, wrt, { target });
  for (const w of wrt) {
    assert.ok(grads.has(w), `${name}: no gradient for ${w}`);
    b.addOutput(grads.get(w)!, `grad_${w}`);
  }
  const session = await ort.InferenceSession.create(toModelBytes(b.graph), { logSeverityLevel: 3 });
  const values: Record<string, Float32Array> = {};
  for (const [n, spec] of Object.entries(inputs)) {
    const count = spec.shape.reduce((p, d) => p * d, 1);
    const lo = spec.lo ?? -1;
    const hi = spec.hi ?? 1;
    values[n] = spec.values ? Float32Array.from(spec.values) : Float32Array.from({ length: count }, () => lo + (hi - lo) * rand());
  }
  const feeds = () => {
    const f: Record<string, ort.Tensor> = { loss_weights: new ort.Tensor('float32', lossWeights, concreteOut) };
    for (const [n, spec] of Object.entries(inputs)) f[n] = new ort.Tensor('float32', values[n], spec.shape);
    for (const [n, spec] of Object.entries(ints)) f[n] = new ort.Tensor('int64', BigInt64Array.from(spec.values.map(BigInt)), spec.shape);
    return f;
  };
  const result = await session.run(feeds());
  const lossOnly = async () => ((await session.run(feeds(), ['loss'])).loss.data as Float32Array)[0];
  const h = 1e-2;
  let checked = 0;
  for (const w of wrt) {
    const g = result[`grad_${w}`].data as Float32Array;
    assert.deepEqual([...result[`grad_${w}`].dims], inputs[w].shape, `${name}: gradient of ${w} has the wrong shape`);
    let largest = 0;
    for (let i = 0; i < values[w].length; i++) {
      const saved = values[w][i];
      values[w][i] = saved + h;
      const up = await lossOnly();
      values[w][i] = saved - h;
      const down = await lossOnly();
      values[w][i] = saved;
      const fd = (up - down) / (2 * h);
      largest = Math.max(largest, Math.abs(fd));
      assert.ok(Math.abs(g[i] - fd) <= 2e-3 + 1e-2 * Math.abs(fd), `${name}: d/d${w}[${i}] = ${g[i]}, finite difference ${fd}`);
      checked++;
    }
    assert.ok(largest > 1e-3, `${name}: the gradient of ${w} is ~0 everywhere, the check proves nothing`);
  }
  assert.ok(checked > 0);
  await session.release();
}

/** Runs the forward graph once to learn the concrete output shape. */
async function outputShape(b: GraphBuilder, out: string, inputs: Record<string, CaseInput>, ints: Record<string, IntInput>): Promise<number[]> {
  const shape = b.shape(out);
  if (shape.every((d): d is number => typeof d === 'number')) return shape;
  const probe = new GraphBuilder('probe');
  for (const v of b.graph.inputs) probe.addInput(v.name, v.elemType, v.shape);
  const graph = { ...b.graph, outputs: [{ name: out, elemType: ElemType.Float, shape }] };
  const session = await ort.InferenceSession.create(toModelBytes(graph), { logSeverityLevel: 3 });
  const f: Record<string, ort.Tensor> = {};
  for (const [n, spec] of Object.entries(inputs)) f[n] = new ort.Tensor('float32', new Float32Array(spec.shape.reduce((p, d) => p * d, 1)), spec.shape);
  for (const [n, spec] of Object.entries(ints)) f[n] = new ort.Tensor('int64', BigInt64Array.from(spec.values.map(BigInt)), spec.shape);
  const r = await session.run(f);
  await session.release();
  return [...r[out].dims];
}

const unary =
  (op: string, attrs: Record<string, Attribute> = {}) =>
  (b: GraphBuilder, x: Record<string, string>) =>
    b.op(op, [x.x], attrs);

test('Add, Sub, Mul, Div with broadcasting reduce gradients to each input shape', async () => {
  await checkCase('add', { x: { shape: [2, 3, 4] }, y: { shape: [4] } }, (b, x) => b.op('Add', [x.x, x.y]));
  await checkCase('add-both-broadcast', { x: { shape: [2, 1, 4] }, y: { shape: [3, 1] } }, (b, x) => b.op('Add', [x.x, x.y]));
  await checkCase('sub', { x: { shape: [3, 1] }, y: { shape: [2, 3, 4] } }, (b, x) => b.op('Sub', [x.x, x.y]));
  await checkCase('mul', { x: { shape: [2, 3, 4] }, y: { shape: [1, 3, 1] } }, (b, x) => b.op('Mul', [x.x, x.y]));
  await checkCase('mul-square', { x: { shape: [2, 3] } }, (b, x) => b.op('Mul', [x.x, x.x]));
  await checkCase('div', { x: { shape: [2, 3, 4] }, y: { shape: [2, 3, 1], lo: 0.5, hi: 2 } }, (b, x) => b.op('Div', [x.x, x.y]));
});

test('unary element-wise rules', async () => {
  await checkCase('neg', { x: { shape: [2, 3] } }, unary('Neg'));
  await checkCase('identity', { x: { shape: [2, 3] } }, unary('Identity'));
  await checkCase('abs', { x: { shape: [6], values: [-0.9, -0.5, -0.2, 0.3, 0.6, 1.1] } }, unary('Abs'));
  await checkCase('exp', { x: { shape: [2, 3] } }, unary('Exp'));
  await checkCase('log', { x: { shape: [2, 3], lo: 0.5, hi: 2 } }, unary('Log'));
  await checkCase('sqrt', { x: { shape: [2, 3], lo: 0.5, hi: 2 } }, unary('Sqrt'));
  await checkCase('reciprocal', { x: { shape: [2, 3], lo: 0.5, hi: 2 } }, unary('Reciprocal'));
  await checkCase('tanh', { x: { shape: [2, 3], lo: -2, hi: 2 } }, unary('Tanh'));
  // Values kept away from 0, where ReLU has no derivative and a finite difference straddles the kink.
  await checkCase('relu', { x: { shape: [2, 3], values: [-1.5, -0.5, 0.5, 1.5, -0.25, 0.75] } }, unary('Relu'));
  await checkCase('sigmoid', { x: { shape: [2, 3], lo: -3, hi: 3 } }, unary('Sigmoid'));
  await checkCase('erf', { x: { shape: [2, 3], lo: -2, hi: 2 } }, unary('Erf'));
  await checkCase('pow', { x: { shape: [2, 3], lo: 0.5, hi: 1.5 } }, (b, x) => b.op('Pow', [x.x, b.scalar(3)]));
  await checkCase('cast', { x: { shape: [2, 3] } }, (b, x) => b.op('Cast', [x.x], { to: attr.int(ElemType.Float) }));
});

test('Min, Max and Where send the gradient to the chosen input', async () => {
  // Values kept away from ties (a finite difference across a kink is meaningless).
  const xs = [-0.9, -0.4, 0.35, 0.8, -0.6, 0.7];
  const ys = [-0.2, -0.8, 0.9, 0.1, 0.5, -0.3];
  await checkCase('min-scalar', { x: { shape: [6], values: xs } }, (b, x) => b.op('Min', [x.x, b.scalar(0)]));
  await checkCase('max', { x: { shape: [2, 3], values: xs }, y: { shape: [2, 3], values: ys } }, (b, x) => b.op('Max', [x.x, x.y]));
  await checkCase('min-broadcast', { x: { shape: [2, 3], values: xs }, y: { shape: [3], values: ys.slice(0, 3) } }, (b, x) => b.op('Min', [x.x, x.y]));
  await checkCase('where', { x: { shape: [2, 3] }, y: { shape: [3] } }, (b, x) => b.op('Where', [b.op('Greater', [x.x, b.scalar(0)]), x.x, x.y]));
});

test('MatMul: batched, broadcast over batch, and activations times a 2-D weight', async () => {
  await checkCase('matmul-2d', { a: { shape: [3, 4] }, w: { shape: [4, 5] } }, (b, x) => b.op('MatMul', [x.a, x.w]));
  await checkCase('matmul-batched', { a: { shape: [2, 2, 3, 4] }, w: { shape: [2, 2, 4, 3] } }, (b, x) => b.op('MatMul', [x.a, x.w]));
  await checkCase('matmul-3d-by-2d', { a: { shape: [2, 3, 4] }, w: { shape: [4, 5] } }, (b, x) => b.op('MatMul', [x.a, x.w]));
  await checkCase('matmul-batch-broadcast', { a: { shape: [2, 3, 4] }, w: { shape: [1, 4, 2] } }, (b, x) => b.op('MatMul', [x.a, x.w]));
  await checkCase('matmul-symbolic-batch', { a: { shape: [2, 3, 4], dims: ['batch', 'seq', 4] }, w: { shape: [4, 5] } }, (b, x) => b.op('MatMul', [x.a, x.w]));
});

test('Gemm with every transpose combination, alpha, beta and a broadcast bias', async () => {
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      const a = transA ? [4, 3] : [3, 4];
      const w = transB ? [5, 4] : [4, 5];
      await checkCase(`gemm-${transA}${transB}`, { a: { shape: a }, w: { shape: w }, c: { shape: [5] } }, (b, x) =>
        b.op('Gemm', [x.a, x.w, x.c], { transA: attr.int(transA), transB: attr.int(transB), alpha: attr.float(0.7), beta: attr.float(1.3) }),
      );
    }
  }
});

test('Softmax and LogSoftmax over the last and a middle axis', async () => {
  await checkCase('softmax', { x: { shape: [2, 3, 4], lo: -2, hi: 2 } }, unary('Softmax', { axis: attr.int(-1) }));
  await checkCase('softmax-axis1', { x: { shape: [2, 3, 4], lo: -2, hi: 2 } }, unary('Softmax', { axis: attr.int(1) }));
  await checkCase('log-softmax', { x: { shape: [3, 5], lo: -2, hi: 2 } }, unary('LogSoftmax', { axis: attr.int(-1) }));
});

test('ReduceSum and ReduceMean, with and without keepdims, on known and symbolic axes', async () => {
  await checkCase('reduce-sum', { x: { shape: [2, 3, 4] } }, (b, x) => b.op('ReduceSum', [x.x, b.int64s([1])], { keepdims: attr.int(0) }));
  await checkCase('reduce-sum-keep', { x: { shape: [2, 3, 4] } }, (b, x) => b.op('ReduceSum', [x.x, b.int64s([0, 2])], { keepdims: attr.int(1) }));
  await checkCase('reduce-mean', { x: { shape: [2, 3, 4] } }, (b, x) => b.op('ReduceMean', [x.x], { axes: attr.ints([-1]), keepdims: attr.int(1) }));
  await checkCase('reduce-mean-symbolic', { x: { shape: [3, 4], dims: ['batch', 4] } }, (b, x) =>
    b.op('ReduceMean', [x.x], { axes: attr.ints([0]), keepdims: attr.int(0) }),
  );
  await checkCase('reduce-mean-all', { x: { shape: [2, 3] } }, (b, x) => b.op('ReduceMean', [x.x], { keepdims: attr.int(0) }));
});

test('Reshape, Transpose, Squeeze, Unsqueeze', async () => {
  await checkCase('reshape', { x: { shape: [2, 3, 4] } }, (b, x) => b.op('Reshape', [x.x, b.int64s([0, 0, 2, 2])]));
  await checkCase('reshape-symbolic', { x: { shape: [2, 3, 4], dims: ['batch', 'seq', 4] } }, (b, x) => b.op('Reshape', [x.x, b.int64s([-1, 4])]));
  await checkCase('transpose', { x: { shape: [2, 3, 4, 5] } }, (b, x) => b.op('Transpose', [x.x], { perm: attr.ints([0, 2, 3, 1]) }));
  await checkCase('unsqueeze-squeeze', { x: { shape: [2, 3] } }, (b, x) => b.op('Squeeze', [b.op('Unsqueeze', [x.x, b.int64s([1])]), b.int64s([1])]));
  await checkCase('unsqueeze', { x: { shape: [2, 3] } }, (b, x) => b.op('Unsqueeze', [x.x, b.int64s([0, 3])]));
});

test('Slice with a constant start and a run-time end (position embeddings)', async () => {
  await checkCase('slice-const', { x: { shape: [5, 3] } }, (b, x) => b.op('Slice', [x.x, b.int64s([1]), b.int64s([4]), b.int64s([0])]));
  await checkCase('leading-rows', { table: { shape: [6, 3] } }, (b, x) => new OnnxOps(b).leadingRows(x.table, x.ids), {
    ids: { shape: [2, 4], dims: ['batch', 'seq'], values: [1, 2, 3, 4, 5, 6, 7, 8] },
  });
  // RoBERTa's positions: rows from pad_token_id + 1 on (the end is the run-time length plus the offset).
  await checkCase('leading-rows-offset', { table: { shape: [7, 3] } }, (b, x) => new OnnxOps(b).leadingRows(x.table, x.ids, 2), {
    ids: { shape: [2, 4], dims: ['batch', 'seq'], values: [1, 2, 3, 4, 5, 6, 7, 8] },
  });
});

test('Gather: embedding rows (repeated ids add up) and a scalar index along axis 1', async () => {
  await checkCase('embedding', { table: { shape: [5, 3] } }, (b, x) => b.op('Gather', [x.table, x.ids], { axis: attr.int(0) }), {
    ids: { shape: [2, 3], dims: ['batch', 'seq'], values: [1, 3, 1, 0, 1, 3] },
  });
  await checkCase('select-axis1', { x: { shape: [2, 4, 3], dims: ['batch', 'seq', 3] } }, (b, x) => new OnnxOps(b).selectAlongAxis1(x.x, 0));
  await checkCase('select-axis1-middle', { x: { shape: [2, 4, 3] } }, (b, x) => b.op('Gather', [x.x, b.int64Scalar(2)], { axis: attr.int(1) }));
});

test('LayerNormalization (fused) and its decomposed form give the same gradients as finite differences', async () => {
  const ln = (mode: 'fused' | 'decomposed') => (b: GraphBuilder, x: Record<string, string>) =>
    new OnnxOps(b, { layerNorm: mode }).layerNorm(x.x, x.g, x.beta, 1e-5);
  const inputs = () => ({ x: { shape: [2, 3, 6], lo: -2, hi: 2 }, g: { shape: [6], lo: 0.5, hi: 1.5 }, beta: { shape: [6] } });
  await checkCase('layer-norm', inputs(), ln('fused'));
  await checkCase('layer-norm-decomposed', inputs(), ln('decomposed'));
  // Without β (ModernBERT's norm_bias false): LayerNormalization with two inputs, and the decomposed form without the Add.
  const noBias = () => ({ x: { shape: [2, 3, 6], lo: -2, hi: 2 }, g: { shape: [6], lo: 0.5, hi: 1.5 } });
  for (const mode of ['fused', 'decomposed'] as const) {
    await checkCase(`layer-norm-no-beta-${mode}`, noBias(), (b, x) => new OnnxOps(b, { layerNorm: mode }).layerNorm(x.x, x.g, undefined, 1e-5));
  }
});

test('ModernBERT as traced: RoPE tables, the sliding-window bias, fused Wqkv and GeGLU splits, norms without β', async () => {
  const cfg: BertConfig = {
    family: 'modernbert',
    vocabSize: 5,
    hiddenSize: 4,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 3,
    hiddenAct: 'gelu',
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    maxPositionEmbeddings: 6,
    typeVocabSize: 2,
    layerNormEps: 1e-5,
    padTokenId: 0,
    initializerRange: 0.5,
    modernBert: {
      layerTypes: ['full', 'sliding'],
      localAttention: 2,
      globalRopeTheta: 100,
      localRopeTheta: 10,
      classifierActivation: 'gelu',
      embeddingDropout: 0,
    },
  };
  const names = bertParamNames(cfg);
  const inputs: Record<string, CaseInput> = Object.fromEntries(
    names.map((n) => [n, n.endsWith('norm.weight') ? { shape: bertParamShape(cfg, n), lo: 0.5, hi: 1.5 } : { shape: bertParamShape(cfg, n) }]),
  );
  inputs.mask = { shape: [2, 4], values: [1, 1, 1, 1, 1, 1, 1, 0], constant: true };
  await checkCase(
    'modernbert',
    inputs,
    (b, x) => {
      const params = new Map(names.map((n) => [n, x[n]!]));
      return bertForward(new TrainingOps(b), cfg, params, { inputIds: x.ids!, tokenTypeIds: x.ids!, attentionMask: x.mask! }).sequenceOutput;
    },
    { ids: { shape: [2, 4], dims: ['batch', 'seq'], values: [1, 2, 3, 4, 4, 3, 1, 0] } },
  );
});

test('composite ops as the model traces them: GELU (exact and tanh), log-sigmoid, Gemm-based linear', async () => {
  await checkCase('gelu', { x: { shape: [2, 5], lo: -3, hi: 3 } }, (b, x) => new OnnxOps(b).gelu(x.x));
  await checkCase('gelu-tanh', { x: { shape: [2, 5], lo: -3, hi: 3 } }, (b, x) => new OnnxOps(b).geluTanh(x.x));
  await checkCase('log-sigmoid', { x: { shape: [6], values: [-4, -1.5, -0.3, 0.2, 1.7, 5] } }, (b, x) => new OnnxOps(b).logSigmoid(x.x));
  await checkCase('linear-3d', { x: { shape: [2, 3, 4], dims: ['batch', 'seq', 4] }, w: { shape: [5, 4] }, bias: { shape: [5] } }, (b, x) =>
    new TrainingOps(b).linear(x.x, x.w, x.bias),
  );
  await checkCase('linear-2d', { x: { shape: [3, 4] }, w: { shape: [2, 4] } }, (b, x) => new TrainingOps(b).linear(x.x, x.w));
  await checkCase('attention-scores', { q: { shape: [2, 2, 3, 4] }, k: { shape: [2, 2, 3, 4] } }, (b, x) =>
    new OnnxOps(b).softmax(new OnnxOps(b).matmul(x.q, x.k, true)),
  );
});

test("DeBERTa's relative scores (c2p + p2c through the constant selection, run-time length) differentiate by matmul alone", async () => {
  // 4 buckets over 8 positions: distances beyond 2 fall in log buckets, beyond 7 are clamped; 5 tokens reach both.
  const cfg = { maxPositionEmbeddings: 8, relativeAttention: { positionBuckets: 4, maxRelativePositions: 8 } } as BertConfig;
  const perHead = (dims: Dim[]) => ({ shape: dims.map((d) => (d === 'seq' ? 5 : d)) as number[], dims });
  await checkCase(
    'deberta-relative-scores',
    { q: perHead([1, 2, 'seq', 3]), k: perHead([1, 2, 'seq', 3]), posQuery: perHead([1, 2, 8, 3]), posKey: perHead([1, 2, 8, 3]) },
    (b, x) => {
      const ops = new OnnxOps(b);
      return relativeScores(ops, x.q!, x.k!, x.posQuery!, x.posKey!, selections(ops, cfg, x.ids!));
    },
    { ids: { shape: [1, 5], dims: [1, 'seq'], values: [0, 0, 0, 0, 0] } },
  );
});

test('values that do not depend on a differentiated input get no backward nodes', () => {
  const b = new GraphBuilder('prune');
  const x = b.addInput('x', ElemType.Float, [3]);
  const frozen = b.addInput('frozen', ElemType.Float, [3]);
  const unused = b.addInput('unused', ElemType.Float, [3]);
  b.op('Exp', [unused]); // a side branch the loss never reads
  const loss = b.op('ReduceSum', [b.op('Mul', [b.op('Tanh', [frozen]), x])], { keepdims: attr.int(0) });
  const before = b.graph.nodes.length;
  const grads = appendGradients(b, loss, ['x', 'unused']);
  assert.deepEqual([...grads.keys()], ['x']);
  const added = b.graph.nodes.slice(before).map((n) => n.opType);
  assert.ok(!added.includes('Tanh') && !added.includes('Exp'), `unexpected backward ops: ${added.join(', ')}`);
  assert.throws(() => appendGradients(b, loss, ['nope']), /not a float value/);
});

test('Split along the last axis (splitLast): the gradient is one Concat, zeros for an unused part', async () => {
  const combine = (b: GraphBuilder, [p, q, r]: string[]) =>
    b.op('Add', [b.op('Mul', [p!, r!]), b.op('ReduceSum', [q!, b.int64s([-1])], { keepdims: attr.int(1) })]);
  await checkCase('split-last', { x: { shape: [2, 3, 8] } }, (b, x) => combine(b, new OnnxOps(b).splitLast(x.x, [3, 2, 3])));
  await checkCase('split-last-symbolic', { x: { shape: [2, 3, 8], dims: ['batch', 'seq', 8] } }, (b, x) =>
    combine(b, new OnnxOps(b).splitLast(x.x, [3, 2, 3])),
  );
  await checkCase('split-last-unused-part', { x: { shape: [2, 3, 6], dims: ['batch', 'seq', 6] } }, (b, x) => new OnnxOps(b).splitLast(x.x, [2, 4])[1]!);
});

/**
 * The rules as written for the webgpu target (graph-target.ts: the same gradients from ops the WebGPU
 * provider has kernels for), run here on the CPU provider against finite differences.
 */
test('webgpu target: written-out log-softmax, run-time mean, padding by Concat, row scatters, one-hot by Gather, sign, chained sums', async () => {
  const gpu = (b: GraphBuilder) => new TrainingOps(b, { target: 'webgpu' });
  const ids = { ids: { shape: [2, 4], dims: ['batch', 'seq'], values: [1, 2, 3, 4, 5, 6, 7, 8] } };
  // Logits far from 0: the row maximum (gradient stopped) keeps exp in range.
  await checkCase('log-softmax-webgpu', { x: { shape: [3, 5], lo: 60, hi: 64 } }, (b, x) => gpu(b).logSoftmax(x.x), {}, 'webgpu');
  await checkCase(
    'reduce-mean-symbolic-webgpu',
    { x: { shape: [3, 4], dims: ['batch', 4] } },
    (b, x) => b.op('ReduceMean', [x.x], { axes: attr.ints([0]), keepdims: attr.int(0) }),
    {},
    'webgpu',
  );
  await checkCase(
    'reduce-mean-symbolic-keep-webgpu',
    { x: { shape: [3, 4], dims: ['batch', 4] } },
    (b, x) => b.op('ReduceMean', [x.x], { axes: attr.ints([0]), keepdims: attr.int(1) }),
    {},
    'webgpu',
  );
  await checkCase('leading-rows-webgpu', { table: { shape: [6, 3] } }, (b, x) => gpu(b).leadingRows(x.table, x.ids), ids, 'webgpu');
  // Every row read (the run-time length equals the table's): the trailing zeros are empty.
  await checkCase('leading-rows-all-webgpu', { table: { shape: [4, 3] } }, (b, x) => gpu(b).leadingRows(x.table, x.ids), ids, 'webgpu');
  await checkCase('select-axis1-webgpu', { x: { shape: [2, 4, 3], dims: ['batch', 'seq', 3] } }, (b, x) => gpu(b).selectAlongAxis1(x.x, 0), {}, 'webgpu');
  await checkCase(
    'select-axis1-middle-webgpu',
    { x: { shape: [2, 4, 3], dims: ['batch', 'seq', 3] } },
    (b, x) => gpu(b).selectAlongAxis1(x.x, 2),
    {},
    'webgpu',
  );
  const gather = (b: GraphBuilder, x: Record<string, string>) => b.op('Gather', [x.table, x.ids], { axis: attr.int(0) });
  await checkCase(
    'embedding-rows-webgpu',
    { table: { shape: [20, 3] } },
    gather,
    { ids: { shape: [2, 3], dims: ['batch', 'seq'], values: [1, 13, 1, 0, 1, 19] } },
    'webgpu',
  );
  await checkCase('embedding-column-webgpu', { table: { shape: [20, 1] } }, gather, { ids: { shape: [4], dims: ['m'], values: [3, 17, 3, 8] } }, 'webgpu');
  await checkCase(
    'token-types-one-hot-webgpu',
    { table: { shape: [2, 3] } },
    gather,
    { ids: { shape: [2, 3], dims: ['batch', 'seq'], values: [0, 1, 1, 0, 0, 1] } },
    'webgpu',
  );
  await checkCase('abs-webgpu', { x: { shape: [6], values: [-0.9, -0.5, -0.2, 0.3, 0.6, 1.1] } }, unary('Abs'), {}, 'webgpu');
  await checkCase('three-consumers-webgpu', { x: { shape: [2, 3] } }, (b, x) => b.op('Add', [b.op('Mul', [x.x, x.x]), b.op('Exp', [x.x])]), {}, 'webgpu');
  await checkCase(
    'linear-3d-webgpu',
    { x: { shape: [2, 3, 4], dims: ['batch', 'seq', 4] }, w: { shape: [5, 4] }, bias: { shape: [5] } },
    (b, x) => gpu(b).linear(x.x, x.w, x.bias),
    {},
    'webgpu',
  );
  await checkCase(
    'split-last-unused-part-webgpu',
    { x: { shape: [2, 3, 6], dims: ['batch', 'seq', 6] } },
    (b, x) => gpu(b).splitLast(x.x, [2, 4])[1]!,
    {},
    'webgpu',
  );
});
