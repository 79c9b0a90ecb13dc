/**
 * The ONNX engine's forward pass: every TensorOps op recorded by OnnxOps and run by onnxruntime
 * against the same op in TF.js; the traced BERT (the embedded pretrained BERT-Tiny,
 * models/bert-tiny-en, and random weights of another shape, padded batches, a text pair) against
 * the TF.js engine and against the independent float64 reference in test/reference/bert64.ts; and
 * the builder's symbolic shapes against the shapes onnxruntime actually produces.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { disposeParams, toTfjsParams } from '../../src/engine/tfjs/params.js';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { broadcastShapes, dimProduct, dimQuotient } from '../../src/engine/onnx/dims.js';
import { ElemType, type Dim, type Graph } from '../../src/engine/onnx/graph.js';
import { OnnxOps, type OnnxOpsOptions } from '../../src/engine/onnx/ops.js';
import { OnnxEncoderRunner } from '../../src/engine/onnx/runner.js';
import { createSession, int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { IR_VERSION, OPSET, toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { traceClassifier, traceEncoder, traceWith } from '../../src/engine/onnx/trace.js';
import { bertForward, pool, type Pooling } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { sequenceClassifierLogits } from '../../src/heads/classification.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TensorOps } from '../../src/models/ops.js';
import { BertTokenizer, type EncodedBatch } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { LONG_REVIEW, SENTENCES } from '../helpers/texts.js';
import { randomRefWeights, refBertForward, refClassifierLogits, type RefConfig, type RefWeights } from '../reference/bert64.js';
import { loadRefCheckpoint } from '../reference/safetensors64.js';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';

const TOLERANCE = 1e-4;
const POOLINGS: Pooling[] = ['cls', 'mean', 'pooler'];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function toBertConfig(r: RefConfig): BertConfig {
  return {
    vocabSize: r.vocabSize,
    hiddenSize: r.hiddenSize,
    numHiddenLayers: r.numLayers,
    numAttentionHeads: r.numHeads,
    intermediateSize: r.intermediateSize,
    hiddenAct: 'gelu',
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    maxPositionEmbeddings: r.maxPositions,
    typeVocabSize: r.typeVocabSize,
    layerNormEps: r.layerNormEps,
    padTokenId: 0,
    initializerRange: 0.02,
  };
}

function toFloat32(w: RefWeights): Map<string, HostTensor> {
  return new Map([...w].map(([k, v]) => [k, { shape: [...v.shape], data: Float32Array.from(v.data) }]));
}

/** The float32 values widened again, so the reference sees exactly the engine's weights. */
function toFloat64(w: ReadonlyMap<string, HostTensor>): RefWeights {
  return new Map([...w].map(([k, v]) => [k, { shape: [...v.shape], data: Float64Array.from(v.data) }]));
}

function splitHead(all: ReadonlyMap<string, HostTensor>) {
  const encoder = new Map<string, HostTensor>();
  const head = new Map<string, HostTensor>();
  for (const [k, v] of all) (k.startsWith('classifier.') ? head : encoder).set(k, v);
  return { encoder, head };
}

function rows(batch: EncodedBatch, data: Int32Array): number[][] {
  return Array.from({ length: batch.batchSize }, (_, b) => Array.from(data.subarray(b * batch.seqLength, (b + 1) * batch.seqLength)));
}

/** The float64 reference's forward pass over a batch. */
function refForward(cfg: RefConfig, weights: RefWeights, batch: EncodedBatch) {
  return refBertForward(cfg, weights, rows(batch, batch.inputIds), rows(batch, batch.tokenTypeIds), rows(batch, batch.attentionMask));
}

/** A small BERT of the given shape (BERT's vocabulary, 64 positions) with random float32 weights, and its config both ways. */
function randomModel(
  shape: Pick<RefConfig, 'hiddenSize' | 'numLayers' | 'numHeads' | 'intermediateSize'>,
  seed: number,
  opts?: Parameters<typeof randomRefWeights>[2],
) {
  const refCfg: RefConfig = { vocabSize: 30522, maxPositions: 64, typeVocabSize: 2, layerNormEps: 1e-12, ...shape };
  return { refCfg, cfg: toBertConfig(refCfg), weights: toFloat32(randomRefWeights(refCfg, seed, opts)) };
}

/** Runs a graph on onnxruntime with int64 BERT inputs (and optional extra float feeds). */
async function runGraph(
  graph: Graph,
  batch: EncodedBatch,
  extra: Record<string, HostTensor> = {},
): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>> {
  const ort = await loadOrt();
  const session = await createSession(toModelBytes(graph), { threads: 1 });
  const dims = [batch.batchSize, batch.seqLength];
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    input_ids: int64Tensor(ort, batch.inputIds, dims),
    attention_mask: int64Tensor(ort, batch.attentionMask, dims),
    token_type_ids: int64Tensor(ort, batch.tokenTypeIds, dims),
  };
  for (const [k, v] of Object.entries(extra)) feeds[k] = new ort.Tensor('float32', v.data, v.shape);
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.data as Float32Array }]));
}

/** The TF.js engine's pooled features (or logits, with a head) for a batch. */
function tfjsForward(cfg: BertConfig, weights: ReadonlyMap<string, HostTensor>, batch: EncodedBatch, pooling: Pooling, withHead = false): Float32Array {
  const params = toTfjsParams(weights);
  const ops = new TfjsOps();
  const out = tf.tidy(() => {
    const inputs = batchToTensors(batch);
    if (withHead) return sequenceClassifierLogits(ops, cfg, params, inputs, pooling).dataSync() as Float32Array;
    return pool(ops, bertForward(ops, cfg, params, inputs), inputs.attentionMask, pooling).dataSync() as Float32Array;
  });
  disposeParams(params);
  return out;
}

let tokenizer: BertTokenizer;
let batch: EncodedBatch;
/** The real checkpoint as the product loads it (src/checkpoint) … */
let tinyConfig: BertConfig;
let tinyWeights: Map<string, HostTensor>;
/** … and as the reference reads it, with its own parser, in float64. */
let tinyRef: ReturnType<typeof loadRefCheckpoint>;

before(async () => {
  await initTfjs('cpu');
  tinyConfig = (await readBertConfig(EMBEDDED_MODEL_DIR)).config;
  tinyWeights = (await loadBertWeights(EMBEDDED_MODEL_DIR, tinyConfig)).weights;
  tinyRef = loadRefCheckpoint(EMBEDDED_MODEL_DIR);
  tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  // Sentences of different lengths (so rows are padded), one long review cut at 48 tokens, and a text pair.
  const texts = [...SENTENCES.slice(0, 4), LONG_REVIEW, 'a fine film'];
  const pairs = [...texts.slice(0, -1).map(() => ''), 'and a story that stays with you'];
  batch = await tokenizer.encodeBatch(texts, pairs, { maxLength: 48 });
  assert.ok(
    batch.lengths.some((l) => l < batch.seqLength),
    'the batch must contain padded rows',
  );
  assert.ok(
    batch.tokenTypeIds.some((t) => t === 1),
    'the batch must contain a second segment',
  );
});

// ---------------------------------------------------------------------------------------------
// Symbolic dims

test('symbolic dim arithmetic: products, quotients and broadcasting', () => {
  assert.equal(dimProduct(['batch', 'seq', 4]), '4*batch*seq');
  assert.equal(dimQuotient('4*batch*seq', ['batch', 1, 1]), '4*seq');
  assert.equal(dimQuotient(dimProduct(['b', 's']), ['s']), 'b');
  assert.equal(dimQuotient(12, [3]), 4);
  assert.equal(dimQuotient(10, [3]), undefined);
  assert.equal(dimQuotient('b', ['s']), undefined);
  assert.deepEqual(broadcastShapes(['b', 's', 8], [8]), ['b', 's', 8]);
  assert.deepEqual(broadcastShapes(['b', 1, 1, 's'], ['b', 2, 's', 's']), ['b', 2, 's', 's']);
  assert.throws(() => broadcastShapes([3, 4], [5]), /do not broadcast/);
});

// ---------------------------------------------------------------------------------------------
// Op by op: OnnxOps on onnxruntime vs TfjsOps

interface FloatInput {
  shape: number[];
  data: Float32Array;
  /** Feed as int64 (ids) instead of float. */
  ids?: boolean;
}

function randomInput(shape: number[], seed: number, scale = 1): FloatInput {
  let s = seed;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * scale;
  });
  return { shape, data };
}

type OpCase = <T>(ops: TensorOps<T>, xs: T[]) => T;

async function onnxOp(fn: OpCase, inputs: FloatInput[], options: OnnxOpsOptions = {}): Promise<{ data: Float32Array; dims: readonly number[]; traced: Dim[] }> {
  const b = new GraphBuilder('op');
  const names = inputs.map((x, i) => b.addInput(`x${i}`, x.ids ? ElemType.Int64 : ElemType.Float, x.shape));
  const out = fn(new OnnxOps(b, options), names);
  const traced = b.shape(out);
  b.addOutput(out, 'y');
  const ort = await loadOrt();
  const session = await createSession(toModelBytes(b.graph), { threads: 1 });
  const feeds = Object.fromEntries(
    inputs.map((x, i) => [`x${i}`, x.ids ? int64Tensor(ort, Int32Array.from(x.data), x.shape) : new ort.Tensor('float32', x.data, x.shape)]),
  );
  const y = (await session.run(feeds)).y;
  await session.release();
  return { data: y.data as Float32Array, dims: y.dims, traced };
}

function tfjsOp(fn: OpCase, inputs: FloatInput[]): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const xs = inputs.map((x) => (x.ids ? tf.tensor(Int32Array.from(x.data), x.shape, 'int32') : tf.tensor(x.data, x.shape)));
    const y = fn(new TfjsOps(), xs);
    return { data: y.dataSync() as Float32Array, shape: [...y.shape] };
  });
}

const OP_CASES: [string, OpCase, FloatInput[]][] = [
  ['linear', (o, [x, w, b]) => o.linear(x, w, b), [randomInput([2, 3, 5], 1), randomInput([4, 5], 2), randomInput([4], 3)]],
  ['linear without bias', (o, [x, w]) => o.linear(x, w), [randomInput([3, 5], 4), randomInput([2, 5], 5)]],
  ['matmul', (o, [a, b]) => o.matmul(a, b), [randomInput([2, 3, 4, 5], 6), randomInput([2, 3, 5, 2], 7)]],
  ['matmul transposeB', (o, [a, b]) => o.matmul(a, b, true), [randomInput([2, 3, 4, 5], 8), randomInput([2, 3, 6, 5], 9)]],
  ['add/sub/mul/div broadcast', (o, [a, b]) => o.div(o.mul(o.sub(o.add(a, b), b), a), o.affine(b, 0.5, 2)), [randomInput([2, 3, 4], 10), randomInput([4], 11)]],
  ['affine', (o, [x]) => o.affine(x, -3, 0.25), [randomInput([3, 4], 12)]],
  [
    'embedding',
    (o, [t, ids]) => o.embedding(t, ids),
    [randomInput([7, 3], 13), { shape: [2, 4], data: Float32Array.from([0, 6, 2, 2, 5, 1, 3, 0]), ids: true }],
  ],
  [
    'leadingRows',
    (o, [t, ids]) => o.add(o.leadingRows(t, ids), o.embedding(t, ids)),
    [randomInput([9, 3], 14), { shape: [2, 4], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), ids: true }],
  ],
  [
    'leadingRows from an offset',
    (o, [t, ids]) => o.leadingRows(t, ids, 3),
    [randomInput([9, 3], 14), { shape: [2, 4], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), ids: true }],
  ],
  ['relu', (o, [x]) => o.relu(x), [randomInput([3, 4], 19)]],
  ['reshape with 0 and -1', (o, [x]) => o.reshape(x, [0, -1, 2]), [randomInput([2, 3, 4], 15)]],
  ['transpose', (o, [x]) => o.transpose(x, [0, 2, 1, 3]), [randomInput([2, 3, 4, 5], 16)]],
  ['softmax', (o, [x]) => o.softmax(x), [randomInput([3, 7], 17, 5)]],
  ['logSoftmax', (o, [x]) => o.logSoftmax(x), [randomInput([3, 7], 18, 5)]],
  ['sigmoid', (o, [x]) => o.sigmoid(x), [randomInput([10], 19, 8)]],
  ['logSigmoid incl. ±100', (o, [x]) => o.logSigmoid(x), [{ shape: [6], data: Float32Array.from([-100, -20, -0.5, 0, 3, 100]) }]],
  ['gelu', (o, [x]) => o.gelu(x), [randomInput([4, 6], 20, 4)]],
  ['tanh', (o, [x]) => o.tanh(x), [randomInput([4, 6], 21, 3)]],
  ['layerNorm', (o, [x, g, b]) => o.layerNorm(x, g, b, 1e-12), [randomInput([2, 3, 8], 22, 3), randomInput([8], 23), randomInput([8], 24)]],
  ['sum / mean keepDims', (o, [x]) => o.add(o.sum(x, 1, true), o.mean(x, 2, true)), [randomInput([2, 3, 4], 25)]],
  ['sum / mean', (o, [x]) => o.mul(o.sum(x, 1), o.mean(x, 1)), [randomInput([2, 3, 4], 26)]],
  ['selectAlongAxis1', (o, [x]) => o.selectAlongAxis1(x, 2), [randomInput([2, 3, 4], 27)]],
  [
    'splitLast',
    (o, [x]) => {
      const [p, q, r] = o.splitLast(x, [3, 2, 3]);
      return o.add(o.mul(p!, r!), o.sum(q!, 2, true));
    },
    [randomInput([2, 3, 8], 28)],
  ],
];

for (const [name, fn, inputs] of OP_CASES) {
  test(`op ${name}: onnxruntime equals TF.js, and the traced shape is the real one`, async () => {
    const want = tfjsOp(fn, inputs);
    const got = await onnxOp(fn, inputs);
    assert.deepEqual([...got.dims], want.shape);
    // Every input here has fixed dims, so the traced shape must be fully numeric and exact.
    assert.deepEqual(got.traced, want.shape);
    assert.ok(maxDiff(got.data, want.data) < 1e-5, `max diff ${maxDiff(got.data, want.data)}`);
    for (const v of got.data) assert.ok(Number.isFinite(v));
  });
}

test('decomposed layerNorm equals LayerNormalization', async () => {
  const fn: OpCase = (o, [x, g, b]) => o.layerNorm(x, g, b, 1e-5);
  const inputs = [randomInput([3, 16], 30, 2), randomInput([16], 31), randomInput([16], 32)];
  const fused = await onnxOp(fn, inputs);
  const decomposed = await onnxOp(fn, inputs, { layerNorm: 'decomposed' });
  assert.ok(maxDiff(fused.data, decomposed.data) < 1e-5);
});

test('the dropout hook receives each rate and its result is used', async () => {
  const rates: number[] = [];
  const fn: OpCase = (o, [x]) => o.dropout(o.dropout(x, 0.1), 0.25);
  const got = await onnxOp(fn, [randomInput([4], 33)], {
    dropout: (ops, x, rate) => {
      rates.push(rate);
      return ops.affine(x, 2); // a stand-in that makes the hook's effect visible
    },
  });
  assert.deepEqual(rates, [0.1, 0.25]);
  assert.ok(
    maxDiff(
      got.data,
      randomInput([4], 33).data.map((v) => v * 4),
    ) < 1e-6,
  );
  const identity = await onnxOp(fn, [randomInput([4], 33)]);
  assert.ok(maxDiff(identity.data, randomInput([4], 33).data) === 0);
});

// ---------------------------------------------------------------------------------------------
// Whole model

test('real BERT-Tiny: traced pooled features equal the TF.js engine and the float64 reference (cls, mean, pooler)', async () => {
  const cfg = tinyConfig;
  const weights = tinyWeights;
  const expected = refForward(tinyRef.config, tinyRef.weights, batch);
  for (const pooling of POOLINGS) {
    const runner = await OnnxEncoderRunner.create(cfg, weights, { pooling });
    const got = await runner.run(batch);
    await runner.dispose();
    assert.equal(got.length, batch.batchSize * cfg.hiddenSize);
    const tfjs = tfjsForward(cfg, weights, batch, pooling);
    const ref64 = pooling === 'pooler' ? expected.pooled : pooling === 'cls' ? expected.cls : expected.mean;
    assert.ok(maxDiff(got, tfjs) < TOLERANCE, `${pooling}: vs TF.js ${maxDiff(got, tfjs)}`);
    assert.ok(maxDiff(got, ref64) < TOLERANCE, `${pooling}: vs float64 ${maxDiff(got, ref64)}`);
  }
});

test('real BERT-Tiny: last_hidden_state equals the reference at every position, padding included', async () => {
  const cfg = tinyConfig;
  const graph = traceEncoder(cfg, tinyWeights, { output: 'last_hidden_state' });
  const out = (await runGraph(graph, batch)).last_hidden_state;
  assert.deepEqual([...out.dims], [batch.batchSize, batch.seqLength, cfg.hiddenSize]);
  const expected = refForward(tinyRef.config, tinyRef.weights, batch);
  assert.ok(maxDiff(out.data, expected.sequence) < TOLERANCE, `max diff ${maxDiff(out.data, expected.sequence)}`);
});

test('random weights of another shape (3 layers, H48, 4 heads) with a 3-label head: logits for every pooling', async () => {
  // std 0.1 (5× BERT's) makes attention far from uniform, so masking mistakes would show.
  const { refCfg, cfg, weights: all } = randomModel({ hiddenSize: 48, numLayers: 3, numHeads: 4, intermediateSize: 80 }, 7, { std: 0.1, numLabels: 3 });
  const { encoder, head } = splitHead(all);
  const expected = refForward(refCfg, toFloat64(all), batch);
  for (const pooling of POOLINGS) {
    const runner = await OnnxEncoderRunner.create(cfg, encoder, { pooling, classifier: head });
    assert.equal(runner.outputWidth, 3);
    const got = await runner.run(batch);
    await runner.dispose();
    const features = pooling === 'pooler' ? expected.pooled : pooling === 'cls' ? expected.cls : expected.mean;
    const ref64 = refClassifierLogits(features, batch.batchSize, toFloat64(all));
    const tfjs = tfjsForward(cfg, all, batch, pooling, true);
    assert.ok(maxDiff(got, tfjs) < TOLERANCE, `${pooling}: vs TF.js ${maxDiff(got, tfjs)}`);
    assert.ok(maxDiff(got, ref64) < TOLERANCE, `${pooling}: vs float64 ${maxDiff(got, ref64)}`);
    // The check means something only if logits differ between rows.
    assert.ok(maxDiff(got.subarray(0, 3), got.subarray(3, 6)) > 1e-3);
  }
});

test('parameters as graph inputs (training layout) give the same logits as stored weights', async () => {
  const { cfg, weights: all } = randomModel({ hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 40 }, 11, { std: 0.1, numLabels: 2 });
  const { encoder, head } = splitHead(all);
  const stored = (await runGraph(traceClassifier(cfg, encoder, head, 'mean'), batch)).logits;
  // Trainable = everything but the word embeddings, which stay stored (a frozen table).
  const { builder, result } = traceWith(
    { weights: all, params: (n) => (n.startsWith('embeddings.word') ? 'initializer' : 'input') },
    ({ ops, params, inputs }) => sequenceClassifierLogits(ops, cfg, params, inputs, 'mean'),
  );
  builder.addOutput(result, 'logits');
  const fed = Object.fromEntries([...all].filter(([k]) => !k.startsWith('embeddings.word')));
  assert.ok(builder.isGraphInput('classifier.weight') && builder.isInitializer('embeddings.word_embeddings.weight'));
  const viaInputs = (await runGraph(builder.graph, batch, fed)).logits;
  assert.ok(maxDiff(stored.data, viaInputs.data) < 1e-5);
});

test('every traced value has the symbolic shape onnxruntime computes for it', async () => {
  const { cfg, weights: all } = randomModel({ hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24 }, 3, { numLabels: 2 });
  const { builder } = traceWith({ weights: all, params: 'input' }, ({ ops, params, inputs }) => {
    for (const pooling of POOLINGS) sequenceClassifierLogits(ops, cfg, params, inputs, pooling);
    return undefined;
  });
  // Expose every node output, so onnxruntime reports each one's real shape.
  const values = builder.graph.nodes.flatMap((n) => n.outputs);
  const symbolic = new Map(values.map((v) => [v, builder.shape(v)]));
  for (const v of values) builder.addOutput(v);
  const out = await runGraph(builder.graph, batch, Object.fromEntries(all));
  const bind: Record<string, number> = { batch_size: batch.batchSize, sequence_length: batch.seqLength };
  const evaluate = (d: Dim): number => (typeof d === 'number' ? d : d.split('*').reduce((p, f) => p * (bind[f] ?? Number(f)), 1));
  assert.ok(values.length > 50);
  for (const v of values) {
    const dims = symbolic.get(v) as Dim[];
    assert.ok(!dims.some((d) => typeof d === 'string' && d.startsWith('unk_')), `${v} has an unknown dim`);
    assert.deepEqual(dims.map(evaluate), [...out[v].dims], `${v}: traced [${dims.join(', ')}]`);
  }
  // The mask reshape keeps the names: [batch_size, 1, 1, sequence_length].
  const maskShapes = values.filter((v) => v.startsWith('reshape')).map((v) => (symbolic.get(v) as Dim[]).join(','));
  assert.ok(maskShapes.includes('batch_size,1,1,sequence_length'));
});

test('the model bytes are ONNX IR 8, opset 17, producer bertft, weights as raw_data', () => {
  const weights = tinyWeights;
  const bytes = toModelBytes(traceEncoder(tinyConfig, weights, { pooling: 'cls', output: 'pooled' }));
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  assert.equal(Number(model.irVersion), IR_VERSION);
  assert.equal(IR_VERSION, 8);
  assert.equal(OPSET, 17);
  assert.deepEqual(
    model.opsetImport.map((o) => [o.domain, Number(o.version)]),
    [['', 17]],
  );
  assert.equal(model.producerName, 'bertft');
  const graph = model.graph as onnxProto.onnx.GraphProto;
  assert.deepEqual(
    graph.input.map((i) => i.name),
    ['input_ids', 'attention_mask', 'token_type_ids'],
  );
  for (const i of graph.input) {
    assert.equal(i.type?.tensorType?.elemType, ElemType.Int64);
    assert.deepEqual(
      i.type?.tensorType?.shape?.dim?.map((d) => d.dimParam),
      ['batch_size', 'sequence_length'],
    );
  }
  assert.deepEqual(
    graph.output.map((o) => o.name),
    ['pooled'],
  );
  const table = graph.initializer.find((t) => t.name === 'embeddings.word_embeddings.weight');
  assert.ok(table, 'the word embeddings are stored');
  assert.deepEqual((table.dims ?? []).map(Number), [tinyConfig.vocabSize, tinyConfig.hiddenSize]);
  const stored = new Float32Array(Uint8Array.from(table.rawData ?? []).buffer);
  assert.deepEqual(stored.subarray(0, 50), weights.get('embeddings.word_embeddings.weight')?.data.subarray(0, 50));
  // cls pooling needs no pooler: pruning removed its weights.
  assert.ok(!graph.initializer.some((t) => String(t.name).startsWith('pooler.')));
});

test('the runner: an empty batch, use after dispose, and a pooler-less model asked for pooler pooling', async () => {
  const { cfg, weights } = randomModel({ hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24 }, 5);
  const runner = await OnnxEncoderRunner.create(cfg, weights, { pooling: 'cls' });
  const empty = await runner.run({
    batchSize: 0,
    seqLength: 0,
    inputIds: new Int32Array(0),
    attentionMask: new Int32Array(0),
    tokenTypeIds: new Int32Array(0),
  });
  assert.equal(empty.length, 0);
  await runner.dispose();
  await assert.rejects(runner.run(batch), /after dispose/);
  const noPooler = new Map([...weights].filter(([k]) => !k.startsWith('pooler.') && !k.startsWith('classifier.')));
  await assert.rejects(OnnxEncoderRunner.create(cfg, noPooler, { pooling: 'pooler' }), /no pooler weights/);
  const missing = new Map([...noPooler].filter(([k]) => k !== 'encoder.layer.0.output.dense.bias'));
  await assert.rejects(OnnxEncoderRunner.create(cfg, missing, { pooling: 'cls' }), /encoder\.layer\.0\.output\.dense\.bias/);
});

test('int8 quantization stays close to fp32 (cosine > 0.99 per row)', async () => {
  const cfg = tinyConfig;
  const weights = tinyWeights;
  const fp32 = await OnnxEncoderRunner.create(cfg, weights, { pooling: 'mean' });
  const int8 = await OnnxEncoderRunner.create(cfg, weights, { pooling: 'mean', quantize: true });
  const a = await fp32.run(batch);
  const b = await int8.run(batch);
  await fp32.dispose();
  await int8.dispose();
  const H = cfg.hiddenSize;
  assert.ok(maxDiff(a, b) > 0, 'the quantized model must actually differ');
  for (let r = 0; r < batch.batchSize; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * H; i < (r + 1) * H; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    const cos = dot / Math.sqrt(na * nb);
    assert.ok(cos > 0.99, `row ${r}: cosine ${cos}`);
  }
});
