/**
 * The encoder's partial last layer (bert.ts `BertForwardOptions`): `firstTokenOnly` (used by
 * `pooledFeatures` for `cls` and `pooler` pooling) computes queries, attention and feed-forward for
 * the first position alone; `rows` (masked LM's masked positions) attends from every position and
 * runs the attention output and feed-forward for the given rows alone. One ONNX graph holds the full
 * and the partial encoder over the same parameters and padded batch (symbolic dims, as the engines
 * trace them); the outputs and every parameter's gradient of Σ output ⊙ R must agree. Both compute the same sums over the same operands, but the
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
import { bertForward, bertParamNames, gatherRows, pool, pooledFeatures, type BertInputs, type ParamMap, type Pooling } from '../../src/models/bert/bert.js';
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

/** Rows of the padded batch (flat b·S + s) a masked LM might predict: real tokens of each example, one of them padding-adjacent. */
const ROWS = [1, 3, 7, 8, 9, 13, 16];

type Outputs = (ops: TrainingOps, params: ParamMap<string>, inputs: BertInputs<string>, rows: string) => { full: string; partial: string };

async function compare(cfg: BertConfig, withPooler: boolean, outputs: Outputs, count: number): Promise<void> {
  const weights = initBertWeights(cfg, 7, withPooler);
  const names = bertParamNames(cfg, withPooler);
  const b = new GraphBuilder('partial_last_layer');
  const params = new Map(names.map((n) => [n, b.addInput(n, ElemType.Float, weights.get(n)!.shape)]));
  const inputs = {
    inputIds: b.addInput('ids', ElemType.Int64, ['batch', 'seq']),
    tokenTypeIds: b.addInput('types', ElemType.Int64, ['batch', 'seq']),
    attentionMask: b.addInput('mask', ElemType.Float, ['batch', 'seq']),
  };
  const { full, partial: pruned } = outputs(new TrainingOps(b), params, inputs, b.addInput('rows', ElemType.Int64, ['rows']));
  const r = b.addInput('r', ElemType.Float, ['count', cfg.hiddenSize]);
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
    rows: new ort.Tensor('int64', BigInt64Array.from(ROWS.map(BigInt)), [ROWS.length]),
    r: new ort.Tensor(
      'float32',
      Float32Array.from({ length: count * cfg.hiddenSize }, (_, i) => Math.sin(1.7 * i + 0.3)),
      [count, cfg.hiddenSize],
    ),
  };
  for (const n of names) feeds[n] = new ort.Tensor('float32', weights.get(n)!.data as Float32Array, weights.get(n)!.shape);
  const out = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
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
  assert.ok(close('output', out.full!.data as Float32Array, out.pruned!.data as Float32Array) > 0.1);
  const still: string[] = [];
  for (const n of names) if (close(`d/d ${n}`, out[`full/${n}`]!.data as Float32Array, out[`pruned/${n}`]!.data as Float32Array) <= 1e-3) still.push(n);
  // Every parameter reaches the first token's state (the last layer's keys and values read every position), so a
  // comparison of zeros would prove nothing; only the key biases get none (softmax ignores a shift of a query's scores).
  assert.deepEqual(
    still,
    names.filter((n) => n.endsWith('self.key.bias')),
  );
}

const pooled =
  (cfg: BertConfig, pooling: Pooling): Outputs =>
  (ops, params, inputs) => ({
    full: pool(ops, bertForward(ops, cfg, params, inputs), inputs.attentionMask, pooling),
    partial: pooledFeatures(ops, cfg, params, inputs, pooling),
  });
const atRows =
  (cfg: BertConfig): Outputs =>
  (ops, params, inputs, rows) => ({
    full: gatherRows(ops, bertForward(ops, cfg, params, inputs).sequenceOutput, rows, cfg.hiddenSize),
    partial: bertForward(ops, cfg, params, inputs, { rows }).sequenceOutput,
  });

test('first-token-only encoder: BERT with the pooler gives the full encoder’s features and gradients', () => compare(base, true, pooled(base, 'pooler'), B));

test('first-token-only encoder: DistilBERT with cls pooling gives the full encoder’s features and gradients', () => {
  const cfg: BertConfig = { ...base, family: 'distilbert' };
  return compare(cfg, false, pooled(cfg, 'cls'), B);
});

test('rows-only last layer (masked LM): BERT’s hidden states at the rows and every gradient match the full encoder’s', () =>
  compare(base, false, atRows(base), ROWS.length));

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
