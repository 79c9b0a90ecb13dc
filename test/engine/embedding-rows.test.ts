/**
 * The word-embedding update of the ONNX engine (src/engine/onnx/training/embedding-rows.ts):
 * `wordEmbeddingUpdate: 'rows'` (default) feeds the step graph only the rows a step reads and
 * applies the other rows' zero-gradient AdamW steps when they are next read; `'dense'` updates
 * every row in the graph every step. Both are torch.optim.AdamW, so they must agree to float32
 * rounding.
 *
 * Setup: a 400-row vocabulary with ids drawn so that most rows are absent from most batches
 * (a row may wait many steps before it is read again), weight decay 0.1 on the table, clipping
 * active, warm-up, layer-wise LR, accumulated micro-batches, a stretch in which the table is
 * frozen, a mid-run evaluation (which forces every pending row current) and a resume from the
 * optimizer state. Tolerance: every weight and moment within 2e-6 absolute of the dense run
 * (observed: ≤ 8e-7 for the table, whose catch-up runs in float64, ≤ 1.2e-7 elsewhere, against
 * about 1e-2 of movement); a row that missed its zero-gradient
 * steps (or got them twice) is off by lr·m/√v per step, about 1e-3 here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { EmbeddingRowsAdamW } from '../../src/engine/onnx/training/embedding-rows.js';
import { DEFAULT_ADAMW, biasCorrection } from '../../src/engine/onnx/training/optimizer.js';
import { tinyTestConfig } from '../helpers/tiny-config.js';
import { randomClassifierWeights, randomTokens } from '../helpers/engines.js';
import { Rng } from '../../src/data/random.js';
import type { StepOptions, TrainBatch } from '../../src/engine/types.js';

const cfg = tinyTestConfig({ vocabSize: 400, maxPositionEmbeddings: 16 });
const WORDS = 'embeddings.word_embeddings.weight';

/** Ids skewed towards a few frequent rows, so most of the 400 rows sit out most steps. */
function batch(rows: number, seq: number, seed: number): TrainBatch {
  const rng = new Rng(seed);
  const tokens = randomTokens(rows, seq, rng, (real) => {
    const u = rng.next();
    return real ? 1 + Math.floor(u * u * u * (cfg.vocabSize - 1)) : 0;
  });
  const targets = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) targets[r * 2 + (rng.next() < 0.5 ? 0 : 1)] = 1;
  return { tokens, targets };
}

function stepOptions(step: number): StepOptions {
  // Layer-wise LR scales and decay groups as the trainer makes them; the table decays by 0.1.
  const settingsOf = (name: string) => ({
    lrScale: name.startsWith('encoder.layer.0.') ? 0.7 : name.startsWith('embeddings.') ? 0.5 : 1,
    weightDecay: name.endsWith('.bias') || name.includes('LayerNorm') ? 0 : 0.1,
  });
  return { lr: 2e-3 * Math.min(1, (step + 1) / 4), maxGradNorm: 0.5, settingsOf, dropoutSeed: step };
}

const micro = (step: number) => (step % 4 === 3 ? [batch(3, 6, step * 11), batch(2, 9, step * 11 + 5)] : [batch(4, 8, step * 11)]);

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test("'rows' word-embedding AdamW equals dense AdamW: weights, moments and losses over 40 steps", async () => {
  const weights = randomClassifierWeights(cfg, 5, 2);
  const options = {
    config: cfg,
    weights,
    objective: { kind: 'classification' as const, pooling: 'pooler' as const, problem: 'single_label_classification' as const, numOutputs: 2 },
  };
  const dense = new OnnxTrainingEngine({ ...options, wordEmbeddingUpdate: 'dense' });
  let rows = new OnnxTrainingEngine({ ...options, wordEmbeddingUpdate: 'rows' });
  const all = new Set(weights.keys());
  const withoutWords = new Set([...all].filter((n) => n !== WORDS));
  let unread = 0;
  const seen = new Set<number>();
  for (let step = 0; step < 40; step++) {
    // Steps 12-17: the table is frozen (gradual unfreezing); its pending steps must skip them.
    const trainable = step >= 12 && step < 18 ? withoutWords : all;
    dense.setTrainable(trainable);
    rows.setTrainable(trainable);
    const mb = micro(step);
    for (const b of mb) for (const id of b.tokens.inputIds) seen.add(id);
    const ld = await dense.trainStep(mb, stepOptions(step));
    const lr = await rows.trainStep(mb, stepOptions(step));
    assert.ok(Math.abs(ld - lr) <= 1e-6 * Math.max(1, Math.abs(ld)), `step ${step}: dense loss ${ld}, rows loss ${lr}`);
    if (step === 20) {
      // An evaluation mid-run reads the whole table.
      const probe = batch(6, 10, 999).tokens;
      assert.ok(maxDiff(await dense.logits(probe), await rows.logits(probe)) <= 1e-5, 'logits after 21 steps differ');
    }
    if (step === 27) {
      // Resume: a new engine from the weights and optimizer state continues the run.
      const next = new OnnxTrainingEngine({ ...options, weights: await rows.weights(), wordEmbeddingUpdate: 'rows' });
      next.loadOptimizerState(await rows.optimizerState());
      rows.dispose();
      rows = next;
    }
  }
  unread = cfg.vocabSize - seen.size;
  assert.ok(unread > 50, `only ${unread} rows never read: the test would not exercise decay-only rows`);
  const wd = await dense.weights();
  const wr = await rows.weights();
  let moved = 0;
  for (const [name, t] of wd) {
    // The key bias adds q·b to a whole row of scores, which softmax ignores: its true gradient is
    // 0, and AdamW scales the rounding noise of either run up to full-size steps (as in
    // test/engine/onnx-train-engine.test.ts).
    if (name.endsWith('attention.self.key.bias')) continue;
    const d = maxDiff(t.data as Float32Array, wr.get(name)!.data as Float32Array);
    if (process.env.SHOW_DIFFS) process.stderr.write(`${name} ${d}\n`);
    assert.ok(d <= 2e-6, `${name}: rows differs from dense by ${d}`);
    moved = Math.max(moved, maxDiff(t.data as Float32Array, weights.get(name)!.data as Float32Array));
  }
  assert.ok(moved > 1e-2, `weights moved only ${moved}`);
  // Rows never read moved by weight decay alone: 40 − 6 frozen steps of (1 − lr·0.5·0.1).
  const sd = await dense.optimizerState();
  const sr = await rows.optimizerState();
  assert.equal(sr.step, sd.step);
  for (const [name, m] of sd.moments) {
    assert.ok(maxDiff(m.m, sr.moments.get(name)!.m) <= 1e-7, `${name}: first moments differ`);
    assert.ok(maxDiff(m.v, sr.moments.get(name)!.v) <= 1e-9, `${name}: second moments differ`);
  }
  dense.dispose();
  rows.dispose();
});

test('EmbeddingRowsAdamW catch-up applies each recorded zero-gradient step once, skipping frozen steps', () => {
  const H = 3;
  const table = Float32Array.of(0.5, -0.2, 0.1, 0.3, 0.3, -0.4);
  const m = Float32Array.of(0.01, -0.02, 0.0, 0, 0, 0);
  const v = Float32Array.of(1e-4, 4e-4, 1e-6, 0, 0, 0);
  const arrays = { table: Float32Array.from(table), m: Float32Array.from(m), v: Float32Array.from(v) };
  const lazy = new EmbeddingRowsAdamW(2, H, 0, DEFAULT_ADAMW, { m, v });
  const steps = [
    { lr: 1e-2, on: true },
    { lr: 2e-2, on: false },
    { lr: 3e-2, on: true },
  ];
  // Reference: dense AdamW with g = 0 written out step by step.
  const ref = { table: Array.from(table, Number), m: Array.from(m, Number), v: Array.from(v, Number) };
  steps.forEach((s, k) => {
    const t = k + 1;
    const { biasCorrection: bc, epsHat } = biasCorrection(DEFAULT_ADAMW, t);
    lazy.recordStep(t, s.on ? { lr: s.lr, lrScale: 1, weightDecay: 0.1, biasCorrection: bc, epsHat } : undefined);
    if (!s.on) return;
    for (let i = 0; i < 6; i++) {
      ref.m[i] *= 0.9;
      ref.v[i] *= 0.999;
      ref.table[i] = ref.table[i] * (1 - s.lr * 0.1) - (s.lr * bc * ref.m[i]) / (Math.sqrt(ref.v[i]) + epsHat);
    }
  });
  lazy.flush(3, arrays);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(arrays.table[i]! - ref.table[i]!) <= 1e-7 * Math.max(1, Math.abs(ref.table[i]!)), `table[${i}]: ${arrays.table[i]} vs ${ref.table[i]}`);
    // Stored as float32: relative 1e-7.
    assert.ok(Math.abs(arrays.m[i]! - ref.m[i]!) <= 1e-7 * Math.abs(ref.m[i]!) && Math.abs(arrays.v[i]! - ref.v[i]!) <= 1e-7 * ref.v[i]!, `moments[${i}]`);
  }
  // The second row (m = v = 0) decayed only; a second flush changes nothing.
  assert.ok(Math.abs(arrays.table[3]! - Math.fround(0.3) * (1 - 1e-3) * (1 - 3e-3)) <= 3e-8, `decay-only row: ${arrays.table[3]}`);
  const before = Float32Array.from(arrays.table);
  lazy.flush(3, arrays);
  assert.deepEqual(arrays.table, before);
  assert.throws(() => lazy.recordStep(5), /expected 4/);
});
