/**
 * Tests of the float64 reference BERT itself (test/reference/bert64.ts), which other tests use as
 * the ground truth for the engine's embeddings and gradients. Known values come from mpmath
 * (erf, GELU) and numpy (checkpoint bytes), not from the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  erf,
  gelu,
  randomRefWeights,
  refBertForward,
  refClassificationLoss,
  refClassifierLogits,
  refCrossEntropy,
  refLayerNorm,
  refLinear,
  refWeightShapes,
  type RefConfig,
  type RefOutputs,
  type RefWeights,
} from '../reference/bert64.js';
import { loadRefCheckpoint, readRefConfig, readSafetensors64 } from '../reference/safetensors64.js';
import { needsShared, sharedPath, TINY_MODEL_DIR } from '../helpers/shared.js';
import { refConfigOf, tinyTestConfig } from '../helpers/tiny-config.js';

const tiny = refConfigOf(tinyTestConfig());

/** Largest |a[i] − b[i]| (and a length check). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Rows [from, to) of a [B, S, H] sequence output for batch row b. */
function tokens(out: RefOutputs, b: number, S: number, H: number, from: number, to: number): Float64Array {
  return out.sequence.subarray((b * S + from) * H, (b * S + to) * H);
}

const row = (out: Float64Array, b: number, H: number) => out.subarray(b * H, (b + 1) * H);
const zeros = (ids: number[][]) => ids.map((r) => r.map(() => 0));
const ones = (ids: number[][]) => ids.map((r) => r.map(() => 1));

test('erf matches high-precision values to ~1e-15 on both branches and at the switch points', () => {
  // mpmath.erf at 30 digits (Python's math.erf agrees).
  const known: [number, number][] = [
    // biome-ignore lint/correctness/noPrecisionLoss: mpmath reference digits, kept as published
    [0.1, 0.11246291601828489],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    // biome-ignore lint/correctness/noPrecisionLoss: mpmath reference digits, kept as published
    [-0.3, -0.32862675945912743], // (−0.3286267594591112, sometimes quoted, is off by 1.6e-14)
    [2.99, 0.9999764743969194],
    [3, 0.9999779095030014],
    [3.5, 0.9999992569016276],
    [4, 0.9999999845827421],
    [5.5, 0.9999999999999926],
    [-6.5, -1],
  ];
  for (const [x, y] of known) assert.ok(Math.abs(erf(x) - y) <= 1e-15, `erf(${x}) = ${erf(x)}, expected ${y}`);
  assert.ok(Math.abs(erf(1e-10) / 1.1283791670955126e-10 - 1) < 1e-15, 'erf is accurate relative to tiny x');
  assert.equal(erf(0), 0);
  assert.equal(erf(Infinity), 1);
  assert.equal(erf(-Infinity), -1);
  assert.ok(Number.isNaN(erf(NaN)));
  for (const x of [0.3, 1.7, 2.5, 4.2]) assert.equal(erf(-x), -erf(x));
  for (const x of [3, 6]) assert.ok(Math.abs(erf(x - 1e-12) - erf(x + 1e-12)) < 1e-14, `erf jumps at ${x}`);
});

test('gelu is the exact erf form x·½·(1 + erf(x/√2))', () => {
  // mpmath values; the tanh approximation would be off by ~1e-4 at these points.
  const known: [number, number][] = [
    // biome-ignore lint/correctness/noPrecisionLoss: mpmath reference digits, kept as published
    [-3, -0.0040496940948902836],
    [-1, -0.15865525393145705],
    // biome-ignore lint/correctness/noPrecisionLoss: mpmath reference digits, kept as published
    [0.5, 0.34573123063700655],
    [2, 1.9544997361036416],
  ];
  for (const [x, y] of known) assert.ok(Math.abs(gelu(x) - y) <= 1e-15, `gelu(${x}) = ${gelu(x)}, expected ${y}`);
  // erf is odd, so gelu(x) − gelu(−x) = x exactly in exact arithmetic.
  for (const x of [0.2, 1.3, 3.7, 7]) assert.ok(Math.abs(gelu(x) - gelu(-x) - x) < 1e-14);
});

test('refLinear computes x·Wᵀ + b with W in HF [out, in] layout, including ragged edges', () => {
  for (const [rows, inDim, outDim] of [
    [5, 7, 10],
    [4, 3, 8],
    [1, 2, 3],
  ]) {
    const x = Float64Array.from({ length: rows * inDim }, (_, i) => Math.sin(i + 1));
    const W = Float64Array.from({ length: outDim * inDim }, (_, i) => Math.cos(3 * i));
    const b = Float64Array.from({ length: outDim }, (_, i) => i - 2);
    const y = refLinear(x, rows, W, b, inDim, outDim);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outDim; o++) {
        let s = b[o];
        for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * W[o * inDim + i];
        assert.ok(Math.abs(y[r * outDim + o] - s) < 1e-12, `y[${r}, ${o}] for ${rows}×${inDim}→${outDim}`);
      }
    }
  }
});

test('LayerNorm gives mean 0 and biased variance 1 before the affine, with eps inside the square root', () => {
  const rows = 3;
  const dim = 8;
  const x = Float64Array.from({ length: rows * dim }, (_, i) => 100 * Math.floor(i / dim) + 5 * Math.sin(i * 1.3));
  const y = refLayerNorm(x.slice(), rows, dim, new Float64Array(dim).fill(1), new Float64Array(dim), 1e-12);
  for (let r = 0; r < rows; r++) {
    const v = y.subarray(r * dim, (r + 1) * dim);
    const mean = v.reduce((a, b) => a + b, 0) / dim;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / dim;
    assert.ok(Math.abs(mean) < 1e-12, `row ${r} mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 1e-9, `row ${r} variance ${variance}`);
  }
  // [1, −1] has mean 0 and biased variance 1: with eps = 3 the scale is 1/√(1+3) = ½
  // (eps outside the root would give 1/(1+3); the unbiased variance 1/√(2+3)).
  assert.deepEqual([...refLayerNorm(Float64Array.of(1, -1), 1, 2, Float64Array.of(1, 1), Float64Array.of(0, 0), 3)], [0.5, -0.5]);
  // γ scales and β shifts each feature after the normalisation.
  const affine = refLayerNorm(x.slice(), rows, dim, new Float64Array(dim).fill(2), new Float64Array(dim).fill(-1), 1e-12);
  assert.ok(
    maxDiff(
      affine,
      y.map((v) => 2 * v - 1),
    ) < 1e-12,
  );
});

test('one encoder layer matches a token-by-token transcription of the HF BertModel definition', () => {
  const cfg: RefConfig = { ...tiny, numLayers: 1, numHeads: 4 };
  const w = randomRefWeights(cfg, 9, { std: 0.5 });
  const ids = [1, 7, 9, 2, 11, 3];
  const types = [0, 0, 0, 0, 1, 1];
  const mask = [1, 1, 1, 1, 1, 0];
  const out = refBertForward(cfg, w, [ids], [types], [mask]);

  // Written with plain arrays, one token at a time, straight from the definition.
  const H = cfg.hiddenSize;
  const d = H / cfg.numHeads;
  const vec = (name: string) => [...w.get(name)!.data];
  const tableRow = (name: string, r: number) => vec(name).slice(r * H, (r + 1) * H);
  const linear = (x: number[], name: string) => {
    const W = vec(`${name}.weight`);
    return vec(`${name}.bias`).map((b, o) => x.reduce((s, xi, i) => s + xi * W[o * x.length + i], b));
  };
  const layerNorm = (x: number[], name: string) => {
    const mean = x.reduce((a, b) => a + b) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    const [g, b] = [vec(`${name}.weight`), vec(`${name}.bias`)];
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + cfg.layerNormEps)) * g[i] + b[i]);
  };
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]);
  const emb = ids.map((id, s) =>
    layerNorm(
      add(
        add(tableRow('embeddings.word_embeddings.weight', id), tableRow('embeddings.position_embeddings.weight', s)),
        tableRow('embeddings.token_type_embeddings.weight', types[s]),
      ),
      'embeddings.LayerNorm',
    ),
  );
  const p = 'encoder.layer.0';
  const Q = emb.map((e) => linear(e, `${p}.attention.self.query`));
  const K = emb.map((e) => linear(e, `${p}.attention.self.key`));
  const V = emb.map((e) => linear(e, `${p}.attention.self.value`));
  const hidden = emb.map((e, i) => {
    const ctx = new Array<number>(H).fill(0);
    for (let h = 0; h < cfg.numHeads; h++) {
      const heads = (x: number[]) => x.slice(h * d, (h + 1) * d);
      const scores = K.map((k, j) => heads(Q[i]).reduce((s, q, e) => s + q * heads(k)[e], 0) / Math.sqrt(d) + (1 - mask[j]) * -10000);
      const max = Math.max(...scores);
      const z = scores.reduce((s, v) => s + Math.exp(v - max), 0);
      scores.forEach((v, j) => heads(V[j]).forEach((x, e) => (ctx[h * d + e] += (Math.exp(v - max) / z) * x)));
    }
    const a = layerNorm(add(linear(ctx, `${p}.attention.output.dense`), e), `${p}.attention.output.LayerNorm`);
    return layerNorm(add(linear(linear(a, `${p}.intermediate.dense`).map(gelu), `${p}.output.dense`), a), `${p}.output.LayerNorm`);
  });
  assert.ok(maxDiff(out.sequence, hidden.flat()) < 1e-12, 'sequence output');
  assert.ok(maxDiff(out.cls, hidden[0]) < 1e-12, 'cls');
  assert.ok(maxDiff(out.pooled, linear(hidden[0], 'pooler.dense').map(Math.tanh)) < 1e-12, 'pooled');
  const real = hidden.filter((_, s) => mask[s] === 1);
  assert.ok(
    maxDiff(
      out.mean,
      real.reduce(add).map((v) => v / real.length),
    ) < 1e-12,
    'mean over mask-1 tokens',
  );
});

test('padding with attention mask 0 leaves every unpadded output unchanged, whatever the pad tokens are', () => {
  const w = randomRefWeights(tiny, 3, { std: 0.3 });
  const H = tiny.hiddenSize;
  const short = [1, 7, 9, 2, 11];
  const shortTypes = [0, 0, 0, 1, 1];
  const alone = refBertForward(tiny, w, [short], [shortTypes], [[1, 1, 1, 1, 1]]);
  // The same row padded to 9 with arbitrary (non-zero) pad ids and types, next to another row.
  const padIds = [
    [...short, 33, 5, 17, 8],
    [1, 4, 4, 6, 3, 2, 20, 21, 2],
  ];
  const padTypes = [
    [...shortTypes, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1, 1, 1],
  ];
  const padMask = [
    [1, 1, 1, 1, 1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1],
  ];
  const padded = refBertForward(tiny, w, padIds, padTypes, padMask);
  assert.ok(maxDiff(tokens(padded, 0, 9, H, 0, 5), alone.sequence) < 1e-12, 'sequence output of the real tokens');
  for (const k of ['cls', 'mean', 'pooled'] as const) assert.ok(maxDiff(row(padded[k], 0, H), alone[k]) < 1e-12, k);
  // The other row of the batch is computed as if alone too.
  const second = refBertForward(tiny, w, [padIds[1]], [padTypes[1]], [padMask[1]]);
  assert.ok(maxDiff(tokens(padded, 1, 9, H, 0, 9), second.sequence) < 1e-12, 'rows of a batch are independent');
  // Not vacuous: changing a real token does change the row.
  const changed = refBertForward(tiny, w, [[1, 7, 10, 2, 11]], [shortTypes], [[1, 1, 1, 1, 1]]);
  assert.ok(maxDiff(changed.mean, alone.mean) > 1e-3);
});

test('with position embeddings zeroed, permuting the non-[CLS] tokens permutes the sequence output', () => {
  const w = randomRefWeights(tiny, 5, { std: 0.3 });
  const H = tiny.hiddenSize;
  const ids = [1, 7, 9, 2, 11, 13];
  const perm = [0, 3, 5, 1, 4, 2]; // permuted[t] = original[perm[t]], [CLS] stays first
  const permuted = perm.map((p) => ids[p]);
  const run = (weights: RefWeights, row: number[]) => refBertForward(tiny, weights, [row], zeros([row]), ones([row]));

  const withPositions = run(w, ids);
  const movedWithPositions = run(w, permuted);
  assert.ok(maxDiff(withPositions.cls, movedWithPositions.cls) > 1e-3, 'positions make order matter (not vacuous)');

  const noPos = new Map(w);
  const pos = w.get('embeddings.position_embeddings.weight')!;
  noPos.set('embeddings.position_embeddings.weight', { shape: pos.shape, data: new Float64Array(pos.data.length) });
  const a = run(noPos, ids);
  const b = run(noPos, permuted);
  for (let t = 0; t < ids.length; t++) {
    assert.ok(maxDiff(tokens(b, 0, ids.length, H, t, t + 1), tokens(a, 0, ids.length, H, perm[t], perm[t] + 1)) < 1e-12, `token ${t}`);
  }
  for (const k of ['cls', 'mean', 'pooled'] as const) assert.ok(maxDiff(a[k], b[k]) < 1e-12, k);
});

test('the classification loss is refCrossEntropy(classifier(features)) for each pooling, and smooth', () => {
  const w = randomRefWeights(tiny, 11, { std: 0.3, numLabels: 3 });
  const batch = {
    inputIds: [
      [1, 7, 9, 2, 11, 2],
      [1, 5, 6, 2, 0, 0],
    ],
    tokenTypeIds: [
      [0, 0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0, 0],
    ],
    attentionMask: [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0, 0],
    ],
  };
  const labels = [2, 0];
  const out = refBertForward(tiny, w, batch.inputIds, batch.tokenTypeIds, batch.attentionMask);
  const features = { pooler: out.pooled, cls: out.cls, mean: out.mean };
  const losses = new Set<number>();
  for (const pooling of ['pooler', 'cls', 'mean'] as const) {
    const expected = refCrossEntropy(refClassifierLogits(features[pooling], 2, w), 2, 3, labels);
    const loss = refClassificationLoss(tiny, w, batch, labels, pooling);
    assert.equal(loss, expected, pooling);
    losses.add(loss);
  }
  assert.equal(losses.size, 3, 'the three poolings give different losses');
  // Central differences with two step sizes agree: the loss is smooth and deterministic, fit for
  // finite-difference gradient checks (which perturb RefWeights entries in place).
  const loss = () => refClassificationLoss(tiny, w, batch, labels, 'mean');
  for (const name of ['encoder.layer.0.attention.self.query.weight', 'embeddings.LayerNorm.bias', 'classifier.weight']) {
    const data = w.get(name)!.data;
    const fd = (h: number) => {
      const saved = data[1];
      data[1] = saved + h;
      const up = loss();
      data[1] = saved - h;
      const down = loss();
      data[1] = saved;
      return (up - down) / (2 * h);
    };
    const g4 = fd(1e-4);
    const g5 = fd(1e-5);
    assert.ok(Math.abs(g4 - g5) < 1e-6 + 1e-4 * Math.abs(g5), `${name}: ${g4} vs ${g5}`);
  }
});

test('refCrossEntropy: known values, stable for large logits, gradient = (softmax − onehot)/B', () => {
  assert.ok(Math.abs(refCrossEntropy(Float64Array.of(0, 0), 1, 2, [0]) - Math.LN2) < 1e-15);
  assert.ok(Math.abs(refCrossEntropy(Float64Array.of(1000, 0, 0, 1000), 2, 2, [0, 0]) - 500) < 1e-9);
  const B = 3;
  const C = 4;
  const logits = Float64Array.from({ length: B * C }, (_, i) => Math.sin(i * 2.1) * 3);
  const labels = [1, 3, 0];
  const h = 1e-6;
  for (let b = 0; b < B; b++) {
    const z = logits.subarray(b * C, (b + 1) * C);
    const denom = z.reduce((a, v) => a + Math.exp(v), 0);
    for (let c = 0; c < C; c++) {
      const analytic = (Math.exp(z[c]) / denom - (c === labels[b] ? 1 : 0)) / B;
      const i = b * C + c;
      const saved = logits[i];
      logits[i] = saved + h;
      const up = refCrossEntropy(logits, B, C, labels);
      logits[i] = saved - h;
      const down = refCrossEntropy(logits, B, C, labels);
      logits[i] = saved;
      assert.ok(Math.abs((up - down) / (2 * h) - analytic) < 1e-8, `logit [${b}, ${c}]`);
    }
  }
});

test('randomRefWeights: every HF tensor, deterministic from the seed, LayerNorm γ around 1', () => {
  const a = randomRefWeights(tiny, 1, { numLabels: 3 });
  const b = randomRefWeights(tiny, 1, { numLabels: 3 });
  const c = randomRefWeights(tiny, 2, { numLabels: 3 });
  assert.deepEqual(
    [...a.keys()],
    refWeightShapes(tiny, 3).map(([n]) => n),
  );
  assert.deepEqual(a.get('classifier.weight')!.shape, [3, 16]);
  assert.deepEqual(a.get('encoder.layer.1.intermediate.dense.weight')!.shape, [24, 16]);
  assert.deepEqual(a.get('encoder.layer.1.output.dense.weight')!.shape, [16, 24]);
  for (const [name, t] of a) {
    assert.deepEqual(t.data, b.get(name)!.data, `${name} is deterministic`);
    assert.ok(maxDiff(t.data, c.get(name)!.data) > 0, `${name} depends on the seed`);
    const mean = t.data.reduce((s, v) => s + v, 0) / t.data.length;
    const expectedMean = name.endsWith('LayerNorm.weight') ? 1 : 0;
    assert.ok(Math.abs(mean - expectedMean) < 0.02, `${name} mean ${mean}`);
  }
  const big = a.get('embeddings.word_embeddings.weight')!.data;
  const sd = Math.sqrt(big.reduce((s, v) => s + v * v, 0) / big.length);
  assert.ok(Math.abs(sd - 0.02) < 0.004, `std ${sd}`);
});

test('a weight of the wrong shape or a missing one is named in the error', () => {
  const w = randomRefWeights(tiny, 1);
  const q = w.get('encoder.layer.0.attention.self.query.weight')!;
  w.set('encoder.layer.0.attention.self.query.weight', { shape: [16, 8], data: q.data.subarray(0, 128) });
  assert.throws(() => refBertForward(tiny, w, [[1, 2]], [[0, 0]], [[1, 1]]), /encoder\.layer\.0\.attention\.self\.query\.weight has shape \[16,8\]/);
  w.delete('pooler.dense.bias');
  w.set('encoder.layer.0.attention.self.query.weight', q);
  assert.throws(() => refBertForward(tiny, w, [[1, 2]], [[0, 0]], [[1, 1]]), /pooler\.dense\.bias missing/);
  assert.throws(() => refBertForward(tiny, randomRefWeights(tiny, 1), [[1, 40]], [[0, 0]], [[1, 1]]), /inputIds\[0\]\[1\] = 40/);
});

test('safetensors reader decodes F64, F32, F16 and BF16 little-endian tensors', () => {
  const header = {
    a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
    b: { dtype: 'F32', shape: [1, 2], data_offsets: [16, 24] },
    c: { dtype: 'F16', shape: [4], data_offsets: [24, 32] },
    d: { dtype: 'BF16', shape: [2], data_offsets: [32, 36] },
    __metadata__: { format: 'pt' },
  };
  const json = Buffer.from(JSON.stringify(header));
  const data = Buffer.alloc(36);
  data.writeDoubleLE(Math.PI, 0);
  data.writeDoubleLE(-1e300, 8);
  data.writeFloatLE(0.25, 16);
  data.writeFloatLE(-3, 20);
  // binary16: 1.5, −2, 65504 (largest), 2^-24 (smallest subnormal)
  [0x3e00, 0xc000, 0x7bff, 0x0001].forEach((h, i) => data.writeUInt16LE(h, 24 + 2 * i));
  // bfloat16: 1.5, −2 (upper halves of the float32 bit patterns)
  [0x3fc0, 0xc000].forEach((h, i) => data.writeUInt16LE(h, 32 + 2 * i));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const dir = mkdtempSync(join(tmpdir(), 'bert64-'));
  try {
    const file = join(dir, 'x.safetensors');
    writeFileSync(file, Buffer.concat([len, json, data]));
    const t = readSafetensors64(file);
    assert.deepEqual([...t.keys()], ['a', 'b', 'c', 'd']);
    assert.deepEqual([...t.get('a')!.data], [Math.PI, -1e300]);
    assert.deepEqual(t.get('b')!.shape, [1, 2]);
    assert.deepEqual([...t.get('b')!.data], [0.25, -3]);
    assert.deepEqual([...t.get('c')!.data], [1.5, -2, 65504, 2 ** -24]);
    assert.deepEqual([...t.get('d')!.data], [1.5, -2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The shared IMDB model in particular: its config (512 positions), float32 values read with numpy, its MLM head's copying rate.
test('the real bert-tiny checkpoint loads and runs: shapes, finite values, padding invariance, token copying', needsShared(), () => {
  sharedPath('models', 'bert-tiny-imdb-mlm', 'model.safetensors');
  const cfg = readRefConfig(join(TINY_MODEL_DIR, 'config.json'));
  assert.deepEqual(cfg, {
    vocabSize: 30522,
    hiddenSize: 128,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 512,
    maxPositions: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  });
  const { config, weights } = loadRefCheckpoint(TINY_MODEL_DIR);
  assert.deepEqual(config, cfg);
  // Every BertModel tensor present under its un-prefixed name, no pre-training heads.
  const expected = refWeightShapes(cfg, 1).filter(([n]) => !n.startsWith('classifier.'));
  assert.deepEqual([...weights.keys()].sort(), expected.map(([n]) => n).sort());
  for (const [name, shape] of expected) assert.deepEqual(weights.get(name)!.shape, shape, name);
  // Float32 values widened exactly (numpy reading of the same bytes).
  const word = weights.get('embeddings.word_embeddings.weight')!.data;
  assert.equal(word[101 * 128], -0.027371108531951904);
  assert.equal(word[30521 * 128 + 127], 0.12469784170389175);
  assert.equal(weights.get('encoder.layer.1.output.dense.bias')!.data[5], 0.00733325257897377);
  assert.equal(weights.get('pooler.dense.weight')!.data[3 * 128 + 7], 0.010190540924668312);

  // "[CLS] this movie was great , i loved the acting . [SEP]" and
  // "[CLS] the plot was boring and the film is too long . [SEP]" in the uncased WordPiece vocabulary.
  const a = [101, 2023, 3185, 2001, 2307, 1010, 1045, 3866, 1996, 3772, 1012, 102];
  const b = [101, 1996, 5436, 2001, 11771, 1998, 1996, 2143, 2003, 2205, 2146, 1012, 102];
  const S = b.length;
  const H = 128;
  const ids = [[...a, 0], b];
  const mask = [[...a.map(() => 1), 0], b.map(() => 1)];
  const out = refBertForward(config, weights, ids, zeros(ids), mask);
  assert.equal(out.sequence.length, 2 * S * H);
  for (const k of ['pooled', 'cls', 'mean'] as const) assert.equal(out[k].length, 2 * H, k);
  for (const k of ['sequence', 'pooled', 'cls', 'mean'] as const) assert.ok(out[k].every(Number.isFinite), `${k} is finite`);
  assert.ok(
    out.pooled.every((v) => Math.abs(v) < 1),
    'pooled is a tanh',
  );
  assert.ok(maxDiff(out.cls, [...tokens(out, 0, S, H, 0, 1), ...tokens(out, 1, S, H, 0, 1)]) === 0, 'cls is token 0');
  const alone = refBertForward(config, weights, [a], zeros([a]), ones([a]));
  assert.ok(maxDiff(tokens(out, 0, S, H, 0, a.length), alone.sequence) < 1e-10, 'padding invariance on the real model');
  assert.ok(maxDiff(row(out.mean, 0, H), alone.mean) < 1e-10);

  // Semantic check of the whole route (safetensors decoding, HF [out, in] layout, names):
  // pre-training taught the masked-LM head (transform dense → GELU → LayerNorm → tied decoder) to
  // reproduce unmasked input tokens, so most words must come back as themselves. Garbled or
  // transposed weights give ~0 %.
  const heads = readSafetensors64(join(TINY_MODEL_DIR, 'model.safetensors'));
  const g = (n: string) => heads.get(`cls.predictions.${n}`)!.data;
  const positions: { r: number; s: number }[] = [];
  ids.forEach((r, ri) => r.forEach((id, s) => id > 102 && positions.push({ r: ri, s })));
  const n = positions.length;
  const hsel = new Float64Array(n * H);
  positions.forEach(({ r, s }, k) => hsel.set(tokens(out, r, S, H, s, s + 1), k * H));
  const t = refLinear(hsel, n, g('transform.dense.weight'), g('transform.dense.bias'), H, H).map(gelu);
  refLayerNorm(t, n, H, g('transform.LayerNorm.weight'), g('transform.LayerNorm.bias'), config.layerNormEps);
  const V = config.vocabSize;
  const logits = refLinear(t, n, word, g('bias'), H, V);
  let copied = 0;
  positions.forEach(({ r, s }, k) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[k * V + v] > logits[k * V + best]) best = v;
    if (best === ids[r][s]) copied++;
  });
  assert.ok(copied / n >= 0.6, `the MLM head reproduced only ${copied} of ${n} input tokens`);
});
