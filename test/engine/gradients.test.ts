/**
 * Gradient check: TF.js autograd through the one BERT definition (float32, the engine under test)
 * against central finite differences of an independent float64 implementation
 * (test/reference/bert64.ts), for every parameter tensor of a randomly initialised 2-layer model.
 *
 * Tolerance: |g_tfjs − g_fd| ≤ 1e-4 + 2e-3·|g_fd| per sampled entry. float32 forward/backward
 * errors are ~1e-6 here and the float64 central difference (h = 1e-5) has truncation error
 * ~h² · |f'''| ≈ 1e-9, so the bound is loose enough for rounding and tight enough to catch any
 * wrong rule (a missing factor or transpose gives errors of order |g|).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { toTfjsParams } from '../../src/engine/tfjs/params.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { sequenceClassifierLogits } from '../../src/heads/classification.js';
import { softmaxCrossEntropy } from '../../src/heads/losses.js';
import type { Pooling } from '../../src/models/bert/bert.js';
import { randomRefWeights, refClassificationLoss, type RefWeights } from '../reference/bert64.js';
import { refConfigOf, tinyTestConfig } from '../helpers/tiny-config.js';

const cfg = tinyTestConfig();
const ref = refConfigOf(cfg);

// Three rows, the last two padded; the first is a text pair (token types 1 after the first [SEP]).
const inputIds = [
  [1, 7, 9, 2, 11, 13, 2],
  [1, 5, 6, 8, 2, 0, 0],
  [1, 30, 2, 0, 0, 0, 0],
];
const tokenTypeIds = [
  [0, 0, 0, 0, 1, 1, 1],
  [0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0],
];
const attentionMask = inputIds.map((row, r) => row.map((id, c) => (c === 0 || id !== 0 ? 1 : 0)));
const labels = [2, 0, 1];
const numLabels = 3;

function tfjsGradients(weights: RefWeights, pooling: Pooling): Map<string, Float32Array> {
  const host = new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
  const params = toTfjsParams(host, () => true);
  const ops = new TfjsOps();
  const B = inputIds.length;
  const S = inputIds[0].length;
  const batch = {
    batchSize: B,
    seqLength: S,
    inputIds: Int32Array.from(inputIds.flat()),
    tokenTypeIds: Int32Array.from(tokenTypeIds.flat()),
    attentionMask: Int32Array.from(attentionMask.flat()),
  };
  const { grads } = tf.variableGrads(
    () => {
      const inputs = batchToTensors(batch);
      const logits = sequenceClassifierLogits(ops, cfg, params, inputs, pooling, 0);
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), numLabels), 'float32');
      return softmaxCrossEntropy(ops, logits, oneHot) as tf.Scalar;
    },
    [...params.values()] as tf.Variable[],
  );
  const out = new Map<string, Float32Array>();
  const byVarName = new Map([...params].map(([name, v]) => [(v as tf.Variable).name, name]));
  for (const [varName, g] of Object.entries(grads)) out.set(byVarName.get(varName)!, g.dataSync() as Float32Array);
  for (const p of params.values()) p.dispose();
  return out;
}

/** A few entry indices per tensor; for embedding tables, only rows the batch actually uses. */
function sampleEntries(name: string, shape: number[], count: number, seed: number): number[] {
  const cols = shape.length === 2 ? shape[1] : 1;
  let rows: number[];
  if (name === 'embeddings.word_embeddings.weight') rows = [...new Set(inputIds.flat())];
  else if (name === 'embeddings.position_embeddings.weight') rows = [...Array(inputIds[0].length).keys()];
  else rows = [...Array(shape.length === 2 ? shape[0] : shape[0]).keys()];
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const row = rows[s % rows.length];
    s = (s * 1103515245 + 12345) % 2147483648;
    const col = shape.length === 2 ? s % cols : 0;
    out.push(shape.length === 2 ? row * cols + col : row);
  }
  return out;
}

before(async () => {
  await initTfjs('auto');
});

for (const pooling of ['pooler', 'cls', 'mean'] as const) {
  test(`tfjs gradients of cross-entropy (${pooling} pooling) match float64 finite differences for every parameter`, () => {
    const weights = randomRefWeights(ref, 7, { std: 0.3, numLabels });
    const analytic = tfjsGradients(weights, pooling);
    const loss = () => refClassificationLoss(ref, weights, { inputIds, tokenTypeIds, attentionMask }, labels, pooling);
    const h = 1e-5;
    let checked = 0;
    let worst = { name: '', err: 0 };
    for (const [name, w] of weights) {
      const g = analytic.get(name);
      if (pooling !== 'pooler' && name.startsWith('pooler.')) {
        // The pooler is not on the loss path: tfjs gives no gradient or an all-zero one.
        assert.ok(g === undefined || g.every((x) => x === 0), `${name} should get no gradient with ${pooling} pooling`);
        continue;
      }
      assert.ok(g, `no tfjs gradient for ${name}`);
      let largest = 0;
      for (const i of sampleEntries(name, w.shape, 4, name.length * 31 + 1)) {
        const saved = w.data[i];
        w.data[i] = saved + h;
        const up = loss();
        w.data[i] = saved - h;
        const down = loss();
        w.data[i] = saved;
        const fd = (up - down) / (2 * h);
        const err = Math.abs(g[i] - fd);
        largest = Math.max(largest, Math.abs(fd));
        if (err > worst.err) worst = { name: `${name}[${i}]`, err };
        assert.ok(err <= 1e-4 + 2e-3 * Math.abs(fd), `${name}[${i}]: tfjs ${g[i]} vs finite difference ${fd}`);
        checked++;
      }
      // A check on all-zero gradients would prove nothing: every tensor must carry signal, except
      // the key bias — it adds q·b to a whole row of scores, which softmax ignores, so its true
      // gradient is exactly 0 (checked above against the finite differences all the same).
      if (!name.endsWith('attention.self.key.bias')) {
        assert.ok(largest > 1e-5, `${name}: finite-difference gradients are all ~0, the check is vacuous`);
      }
    }
    assert.ok(checked > 100, `only ${checked} entries checked`);
  });
}
