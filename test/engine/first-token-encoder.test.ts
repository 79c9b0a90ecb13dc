/**
 * The first-token-only encoder (bert.ts `BertForwardOptions.firstTokenOnly`, used by `pooledFeatures`
 * for `cls` and `pooler` pooling): its last layer computes queries, attention and feed-forward for
 * the first position alone. One ONNX graph holds both encoders over the same parameters and padded
 * batch (symbolic dims, as the engines trace them); the pooled features and every parameter's
 * gradient of Σ features ⊙ R must agree. Both compute the same sums over the same operands, but the
 * matrix products run on 1 row instead of S per example, so their kernels may block the sums
 * differently: tolerance 1e-5 absolute + 1e-4 relative (float32 rounding is ~1e-7 here; a wrong
 * residual, mask or query row is off by the order of the values, 0.1–1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { attr, GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { appendGradients } from '../../src/engine/onnx/training/autodiff.js';
import { TrainingOps } from '../../src/engine/onnx/training/training-ops.js';
import { bertForward, bertParamNames, pool, pooledFeatures, type Pooling } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { initBertWeights } from '../../src/models/bert/init.js';

const base: BertConfig = {
  vocabSize: 20,
  hiddenSize: 8,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 12,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  maxPositionEmbeddings: 16,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  initializerRange: 0.5,
};

const B = 3;
const S = 6;
const IDS = [2, 5, 7, 9, 3, 0, 2, 11, 4, 3, 0, 0, 2, 8, 13, 17, 19, 3];
const MASK = IDS.map((id) => (id === 0 ? 0 : 1));

async function compare(cfg: BertConfig, pooling: Pooling): Promise<void> {
  const weights = initBertWeights(cfg, 7, pooling === 'pooler');
  const names = bertParamNames(cfg, pooling === 'pooler');
  const b = new GraphBuilder('first_token');
  const params = new Map(names.map((n) => [n, b.addInput(n, ElemType.Float, weights.get(n)!.shape)]));
  const inputs = {
    inputIds: b.addInput('ids', ElemType.Int64, ['batch', 'seq']),
    tokenTypeIds: b.addInput('types', ElemType.Int64, ['batch', 'seq']),
    attentionMask: b.addInput('mask', ElemType.Float, ['batch', 'seq']),
  };
  const ops = new TrainingOps(b);
  const full = pool(ops, bertForward(ops, cfg, params, inputs), inputs.attentionMask, pooling);
  const pruned = pooledFeatures(ops, cfg, params, inputs, pooling);
  const r = b.addInput('r', ElemType.Float, ['batch', cfg.hiddenSize]);
  const weighted = (x: string) => b.op('ReduceSum', [b.op('Mul', [x, r])], { keepdims: attr.int(0) });
  const gFull = appendGradients(b, weighted(full), names);
  const gPruned = appendGradients(b, weighted(pruned), names);
  b.addOutput(full, 'full');
  b.addOutput(pruned, 'pruned');
  for (const n of names) {
    b.addOutput(gFull.get(n)!, `full/${n}`);
    b.addOutput(gPruned.get(n)!, `pruned/${n}`);
  }
  const session = await ort.InferenceSession.create(toModelBytes(b.graph), { logSeverityLevel: 3 });
  const feeds: Record<string, ort.Tensor> = {
    ids: new ort.Tensor('int64', BigInt64Array.from(IDS.map(BigInt)), [B, S]),
    types: new ort.Tensor('int64', new BigInt64Array(B * S), [B, S]),
    mask: new ort.Tensor('float32', Float32Array.from(MASK), [B, S]),
    r: new ort.Tensor(
      'float32',
      Float32Array.from({ length: B * cfg.hiddenSize }, (_, i) => Math.sin(1.7 * i + 0.3)),
      [B, cfg.hiddenSize],
    ),
  };
  for (const n of names) feeds[n] = new ort.Tensor('float32', weights.get(n)!.data as Float32Array, weights.get(n)!.shape);
  const out = await session.run(feeds);
  await session.release();
  const close = (what: string, a: Float32Array, c: Float32Array) => {
    assert.equal(a.length, c.length, what);
    let largest = 0;
    for (let i = 0; i < a.length; i++) {
      largest = Math.max(largest, Math.abs(a[i]!));
      assert.ok(Math.abs(a[i]! - c[i]!) <= 1e-5 + 1e-4 * Math.abs(a[i]!), `${what}[${i}]: full ${a[i]}, first-token-only ${c[i]}`);
    }
    return largest;
  };
  assert.ok(close(`${pooling} features`, out.full!.data as Float32Array, out.pruned!.data as Float32Array) > 0.1);
  const still: string[] = [];
  for (const n of names) if (close(`d/d ${n}`, out[`full/${n}`]!.data as Float32Array, out[`pruned/${n}`]!.data as Float32Array) <= 1e-3) still.push(n);
  // Every parameter reaches the first token's state (the last layer's keys and values read every position), so a
  // comparison of zeros would prove nothing; only the key biases get none (softmax ignores a shift of a query's scores).
  assert.deepEqual(
    still,
    names.filter((n) => n.endsWith('self.key.bias')),
  );
}

test('first-token-only encoder: BERT with the pooler gives the full encoder’s features and gradients', () => compare(base, 'pooler'));

test('first-token-only encoder: DistilBERT with cls pooling gives the full encoder’s features and gradients', () =>
  compare({ ...base, family: 'distilbert', maxPositionEmbeddings: 16 }, 'cls'));

test('first-token-only encoder: the last layer’s feed-forward runs on one position per example', () => {
  const cfg = base;
  const weights = initBertWeights(cfg, 7, true);
  const widths = (firstTokenOnly: boolean) => {
    const b = new GraphBuilder('shapes');
    const params = new Map(bertParamNames(cfg).map((n) => [n, b.addInput(n, ElemType.Float, weights.get(n)!.shape)]));
    const inputs = {
      inputIds: b.addInput('ids', ElemType.Int64, ['batch', 'seq']),
      tokenTypeIds: b.addInput('types', ElemType.Int64, ['batch', 'seq']),
      attentionMask: b.addInput('mask', ElemType.Float, ['batch', 'seq']),
    };
    const out = bertForward(new TrainingOps(b), cfg, params, inputs, { firstTokenOnly }).sequenceOutput;
    return b.shape(out);
  };
  assert.deepEqual(widths(false), ['batch', 'seq', cfg.hiddenSize]);
  assert.deepEqual(widths(true), ['batch', 1, cfg.hiddenSize]);
});
