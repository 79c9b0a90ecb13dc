/**
 * The dropout generator (src/engine/onnx/training/dropout-masks.ts, dropout-mask-graph.ts): one counter-based
 * function of (seed, micro-batch, site, element), computed on the host or by graph nodes.
 *
 * - The host function, the graph on onnxruntime's CPU provider and the graph on its WebGPU provider draw
 *   bit-identical masks (even and odd element counts, several rates and sites); the WebGPU session starts with
 *   `session.disable_cpu_ep_fallback`, so every node of the generator is placed on WebGPU. The WebGPU part needs
 *   an adapter (Mesa's lavapipe on a CPU machine, docs/gpu.md) and is skipped without one, unless
 *   BERTFT_REQUIRE_WEBGPU=1.
 * - Statistics over 2²⁰ elements: the keep rate within 5σ of 1 − rate (σ = √(p(1 − p)/n) ≈ 0.0003 at rate 0.1);
 *   no correlation of the drop indicators between adjacent elements (lags 1 … 2¹⁶), sites, micro-batches and
 *   consecutive seeds beyond |r| ≤ 0.005 (5σ of a correlation over 2²⁰ pairs); the 16-bit uniforms of adjacent
 *   elements (both halves of a word, and across words) pass a 64 × 64 χ² pair test within 5σ.
 * - Determinism: a mask depends only on (seed, micro-batch, site): drawing others first changes nothing, and a
 *   shorter mask is a prefix of a longer one. The engine with masks fed and the engine with masks made in the
 *   graph train bit-identically (gradient accumulation included: the micro-batch word), and an engine resumed
 *   from another's weights and optimizer state takes the same next step.
 * - The TF.js engine draws the same masks (its dropout calls are the same sites in the same order): with dropout
 *   0.2 the two engines' losses agree to 1e-5 relative over 5 steps with two micro-batches, and their weights to
 *   1e-4, the tolerances of test/engine/onnx-train-engine.test.ts with dropout off.
 * - The same for masked LM and token classification (their own heads and dropout sites): fed and in-graph masks
 *   give bit-identical losses, and the TF.js engine agrees to 1e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { loadOrt, type OrtModule } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { DROPOUT_KEYS, DropoutMaskGraph } from '../../src/engine/onnx/training/dropout-mask-graph.js';
import { dropoutKeys, dropoutWord, dropoutWordCount, fillDropoutMask } from '../../src/engine/onnx/training/dropout-masks.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { StepOptions, TrainBatch, TrainingObjective } from '../../src/engine/types.js';
import { flatTargetIndex, maskedLmParamNames, maskedLmParamShape } from '../../src/heads/masked-lm.js';
import { Rng } from '../../src/data/random.js';
import { paramSettings } from '../../src/trainer/schedule.js';
import { assertSameWeights, enginePair, randomClassifierWeights, randomTokens, stepBoth } from '../helpers/engines.js';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import { tinyTestConfig } from '../helpers/tiny-config.js';
import { needsWebgpu } from '../helpers/webgpu.js';

/** Masked values of two shapes: [B, S, 6] (even count) and [B, 3, S, S] (odd for odd B and S). */
interface MaskCase {
  name: string;
  shape: 'hidden' | 'scores';
  rate: number;
  site: number;
}
const CASES: MaskCase[] = [
  { name: 'hidden, rate 0.1, site 0', shape: 'hidden', rate: 0.1, site: 0 },
  { name: 'hidden, rate 0.3, site 3', shape: 'hidden', rate: 0.3, site: 3 },
  { name: 'scores, rate 0.1, site 1', shape: 'scores', rate: 0.1, site: 1 },
  { name: 'scores, rate 0.5, site 2', shape: 'scores', rate: 0.5, site: 2 },
];

/** A graph of the generator alone: inputs shaped like the masked values, one mask output per case. */
function maskGraph() {
  const b = new GraphBuilder('dropout_masks');
  const hidden = b.addInput('hidden', ElemType.Float, ['batch_size', 'sequence_length', 6]);
  const scores = b.addInput('scores', ElemType.Float, ['batch_size', 3, 'sequence_length', 'sequence_length']);
  const g = new DropoutMaskGraph(b);
  const sizes: Record<string, string> = {};
  CASES.forEach((c, k) => {
    const { mask, size } = g.mask(c.shape === 'hidden' ? hidden : scores, c.rate, c.site);
    sizes[c.shape] = size;
    b.addOutput(mask, `mask_${k}`);
  });
  return { graph: b.graph, sizes };
}

function dims(shape: MaskCase['shape'], B: number, S: number): number[] {
  return shape === 'hidden' ? [B, S, 6] : [B, 3, S, S];
}

async function graphMasks(ort: OrtModule, providers: string[], B: number, S: number, seed: number, microBatch: number): Promise<Float32Array[]> {
  const { graph, sizes } = maskGraph();
  const gpu = providers[0] === 'webgpu';
  const session = await ort.InferenceSession.create(toModelBytes(graph), {
    executionProviders: providers,
    logSeverityLevel: 3,
    // disable_cpu_ep_fallback: the session fails to start if any node is assigned to the CPU provider.
    ...(gpu ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
  });
  try {
    const keys = new Uint32Array(8);
    for (const c of CASES) keys.set(dropoutKeys(seed, microBatch, c.site), 2 * c.site);
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = { [DROPOUT_KEYS]: new ort.Tensor('uint32', keys, [keys.length]) };
    for (const shape of ['hidden', 'scores'] as const) {
      const d = dims(shape, B, S);
      const count = d.reduce((a, x) => a * x, 1);
      feeds[shape] = new ort.Tensor('float32', new Float32Array(count), d);
      feeds[sizes[shape]!] = new ort.Tensor('int32', Int32Array.of(dropoutWordCount(count)), []);
    }
    const out = await session.run(feeds);
    return CASES.map((_, k) => out[`mask_${k}`]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

function hostMasks(B: number, S: number, seed: number, microBatch: number): Float32Array[] {
  return CASES.map((c) => {
    const count = dims(c.shape, B, S).reduce((a, x) => a * x, 1);
    return fillDropoutMask(new Float32Array(count), c.rate, seed, microBatch, c.site);
  });
}

/** Bit-for-bit equality of float arrays, naming the first difference. */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((v, k) => v !== e[k]);
  assert.equal(i, -1, `${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
}

/** [B, S]: an odd element count for the scores (3 · 5 · 5 · 3), an even one for larger. */
const SIZES: [number, number][] = [
  [3, 5],
  [4, 33],
  [1, 1],
];

test('the host generator and the graph on the CPU provider draw the same masks', async () => {
  const ort = await loadOrt();
  for (const [B, S] of SIZES) {
    for (const [seed, mb] of [
      [12345, 0],
      [7, 3],
    ] as const) {
      const host = hostMasks(B, S, seed, mb);
      const cpu = await graphMasks(ort, ['cpu'], B, S, seed, mb);
      CASES.forEach((c, k) => assertSameBits(cpu[k]!, host[k]!, `${c.name}, ${B}×${S}, seed ${seed}, micro-batch ${mb}`));
    }
  }
});

test('the graph on WebGPU draws the same masks, every node on WebGPU', needsWebgpu({ timeout: 120_000 }), async () => {
  const ort = await loadOrt();
  for (const [B, S] of SIZES) {
    const host = hostMasks(B, S, 99, 1);
    const gpu = await graphMasks(ort, ['webgpu'], B, S, 99, 1);
    CASES.forEach((c, k) => assertSameBits(gpu[k]!, host[k]!, `WebGPU: ${c.name}, ${B}×${S}`));
  }
});

const N = 1 << 20;
const dropped = (mask: Float32Array) => Uint8Array.from(mask, (v) => (v === 0 ? 1 : 0));

/** Pearson correlation of x[i] and y[i + lag]. */
function correlation(x: Uint8Array, y: Uint8Array, lag = 0): number {
  const m = x.length - lag;
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  for (let i = 0; i < m; i++) {
    sx += x[i]!;
    sy += y[i + lag]!;
    sxy += x[i]! * y[i + lag]!;
  }
  const mx = sx / m;
  const my = sy / m;
  return (sxy / m - mx * my) / Math.sqrt(mx * (1 - mx) * my * (1 - my));
}

test('keep rate within 5σ of 1 − rate over 2²⁰ elements', () => {
  for (const rate of [0.1, 0.25, 0.5]) {
    for (const seed of [1, 2024]) {
      const mask = fillDropoutMask(new Float32Array(N), rate, seed, 0, 0);
      const kept = mask.reduce((s, v) => s + (v === 0 ? 0 : 1), 0) / N;
      const sigma = Math.sqrt((rate * (1 - rate)) / N);
      assert.ok(Math.abs(kept - (1 - rate)) <= 5 * sigma, `rate ${rate}, seed ${seed}: kept ${kept}`);
      assert.ok(
        mask.every((v) => v === 0 || v === Math.fround(1 / (1 - rate))),
        'a kept element is 1/(1 − rate)',
      );
    }
  }
});

test('no correlation between adjacent elements, sites, micro-batches or seeds beyond |r| ≤ 0.005', () => {
  const BOUND = 0.005;
  for (const seed of [1, 77]) {
    const draw = (s: number, mb: number, site: number) => dropped(fillDropoutMask(new Float32Array(N), 0.1, s, mb, site));
    const base = draw(seed, 0, 0);
    const checks: [string, number][] = [
      ['next site', correlation(base, draw(seed, 0, 1))],
      ['next micro-batch', correlation(base, draw(seed, 1, 0))],
      ['next seed', correlation(base, draw(seed + 1, 0, 0))],
    ];
    for (const lag of [1, 2, 3, 4, 64, 128, 256, 4096, 65536]) checks.push([`lag ${lag}`, correlation(base, base, lag)]);
    for (const [what, r] of checks) assert.ok(Math.abs(r) <= BOUND, `seed ${seed}, ${what}: r = ${r}`);
  }
});

test('the 16-bit uniforms of adjacent elements pass a 64 × 64 χ² pair test within 5σ', () => {
  const [k1, k2] = dropoutKeys(5, 0, 2);
  const bins = (lag: 'within' | 'across') => {
    const counts = new Float64Array(4096);
    let prevLow = 0;
    for (let j = 0; j < N / 2; j++) {
      const u = dropoutWord(k1, k2, j);
      // Six leading bits of each 16-bit half: within a word (elements 2j, 2j + 1) or across (2j − 1, 2j).
      const high = u >>> 26;
      const low = (u >>> 10) & 63;
      if (lag === 'within') counts[(high << 6) | low]!++;
      else if (j > 0) counts[(prevLow << 6) | high]!++;
      prevLow = low;
    }
    return counts;
  };
  for (const lag of ['within', 'across'] as const) {
    const counts = bins(lag);
    const total = counts.reduce((a, b) => a + b, 0);
    const expected = total / counts.length;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    const z = (chi2 - 4095) / Math.sqrt(2 * 4095);
    assert.ok(Math.abs(z) <= 5, `${lag}: χ² = ${chi2.toFixed(0)} (z = ${z.toFixed(2)})`);
  }
});

test('a mask depends only on (seed, micro-batch, site): not on what was drawn before, nor on its length', () => {
  const first = fillDropoutMask(new Float32Array(1001), 0.2, 31, 2, 5);
  for (let site = 0; site < 8; site++) fillDropoutMask(new Float32Array(4096), 0.2, 31, 2, site);
  assertSameBits(fillDropoutMask(new Float32Array(1001), 0.2, 31, 2, 5), first, 'drawn again');
  const longer = fillDropoutMask(new Float32Array(5000), 0.2, 31, 2, 5);
  assertSameBits(longer.subarray(0, 1001), first, 'prefix of a longer mask');
  assertSameBits(fillDropoutMask(new Float32Array(1000), 0.2, 31, 2, 5), first.subarray(0, 1000), 'even prefix of an odd mask');
});

const cfg = tinyTestConfig({ hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 });
const NUM_OUTPUTS = 3;

function batch(seed: number): TrainBatch {
  const rng = new Rng(seed);
  const tokens = randomTokens(4, 7, rng, (real) => (real ? 1 + Math.floor(rng.next() * (cfg.vocabSize - 1)) : 0));
  const targets = new Float32Array(4 * NUM_OUTPUTS);
  for (let r = 0; r < 4; r++) targets[r * NUM_OUTPUTS + Math.floor(rng.next() * NUM_OUTPUTS)] = 1;
  return { tokens, targets };
}

function options(step: number): StepOptions {
  return { lr: 1e-2, maxGradNorm: 1, settingsOf: paramSettings(cfg, { lr: 1e-2, weightDecay: 0.01 }), dropoutSeed: 500 + step };
}

function engine(dropoutMasks: 'fed' | 'in-graph', weights = randomClassifierWeights(cfg, 3, NUM_OUTPUTS), providers?: string[]): OnnxTrainingEngine {
  const e = new OnnxTrainingEngine({
    config: cfg,
    weights,
    objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: NUM_OUTPUTS },
    dropoutMasks,
    // On WebGPU alone, with CPU fallback off: the session fails to start if any node (the mask generator's
    // included) would run on the CPU.
    ...(providers ? { session: { executionProviders: providers, cpuFallback: providers[0] !== 'webgpu' } } : {}),
  });
  e.setTrainable(new Set(weights.keys()));
  return e;
}

test('masks fed and masks made in the graph train bit-identically; a resumed engine takes the same next step', async () => {
  const fed = engine('fed');
  const inGraph = engine('in-graph');
  // Two micro-batches per step: the second draws with micro-batch word 1.
  for (let step = 0; step < 3; step++) {
    const micro = [batch(10 + 2 * step), batch(11 + 2 * step)];
    const a = await fed.trainStep(micro, options(step));
    const b = await inGraph.trainStep(micro, options(step));
    assert.equal(b, a, `step ${step}: loss`);
  }
  const weights = await fed.weights();
  for (const [name, t] of await inGraph.weights()) assertSameBits(t.data, weights.get(name)!.data, name);

  // Resume: a new engine from the weights and optimizer state after 3 steps takes the same 4th step.
  const resumed = engine('fed', weights);
  resumed.loadOptimizerState(await fed.optimizerState());
  const next = [batch(40)];
  assert.equal(await resumed.trainStep(next, options(3)), await fed.trainStep(next, options(3)), 'resumed step loss');
  const after = await fed.weights();
  for (const [name, t] of await resumed.weights()) assertSameBits(t.data, after.get(name)!.data, `resumed ${name}`);
  for (const e of [fed, inGraph, resumed]) e.dispose();
});

test('a dropout step on WebGPU (masks made in the graph) gives the CPU step loss', needsWebgpu({ timeout: 300_000 }), async () => {
  // Every node on WebGPU (the webgpu graph target and the in-graph generator); the masks are the same, so the
  // loss differs by summation order only. A different mask would move it by far more than the tolerance.
  const weights = randomClassifierWeights(cfg, 8, NUM_OUTPUTS);
  const cpu = engine('fed', weights);
  const gpu = engine('in-graph', weights, ['webgpu']);
  const other = engine('fed', weights);
  const micro = [batch(60)];
  const expected = await cpu.trainStep(micro, options(0));
  const actual = await gpu.trainStep(micro, options(0));
  assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `WebGPU loss ${actual}, CPU ${expected}`);
  const otherSeed = await other.trainStep(micro, { ...options(0), dropoutSeed: 9 });
  assert.ok(Math.abs(otherSeed - expected) > 1e-3, `another seed must give another loss (${otherSeed} vs ${expected})`);
  for (const e of [cpu, gpu, other]) e.dispose();
});

test('the TF.js engine draws the same masks: onnxruntime and TF.js dropout steps agree', async () => {
  await initTfjs('cpu');
  const weights = randomClassifierWeights(cfg, 21, NUM_OUTPUTS);
  const engines = await enginePair({
    config: cfg,
    weights,
    objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: NUM_OUTPUTS },
  });
  for (let step = 0; step < 5; step++) await stepBoth(engines, [batch(70 + 2 * step), batch(71 + 2 * step)], { ...options(step), lr: 1e-3 }, step);
  const moved = assertSameWeights(await engines.onnx.weights(), await engines.tfjs.weights(), weights);
  assert.ok(moved > 1e-3, `the weights must have moved (${moved})`);
  engines.onnx.dispose();
  // Dropout is on in both: another seed gives TF.js another loss from the same weights.
  const micro = [batch(70), batch(71)];
  const losses = [];
  for (const dropoutSeed of [500, 4242]) {
    const tfjs = new TfjsTrainingEngine({
      config: cfg,
      weights,
      objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: NUM_OUTPUTS },
    });
    tfjs.setTrainable(new Set(weights.keys()));
    losses.push(await tfjs.trainStep(micro, { ...options(0), lr: 1e-3, dropoutSeed }));
  }
  assert.ok(Math.abs(losses[0]! - losses[1]!) > 1e-3, `another seed must give another loss (${losses.join(' vs ')})`);
});

/** A batch whose targets are predicted positions (masked LM: token ids; token classification: labels below `classes`). */
function positionsBatch(seed: number, classes: number): TrainBatch {
  const rng = new Rng(seed);
  const tokens = randomTokens(4, 7, rng, (real) => (real ? 1 + Math.floor(rng.next() * (cfg.vocabSize - 1)) : 0));
  const positions: number[] = [];
  const labels: number[] = [];
  tokens.attentionMask.forEach((real, i) => {
    if (real && (rng.next() < 0.4 || positions.length === 0)) {
      positions.push(i);
      labels.push(Math.floor(rng.next() * classes));
    }
  });
  const masked = { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, classes) };
  return { tokens, targets: new Float32Array(0), masked };
}

test('masked LM and token classification: fed and in-graph masks train alike, and the TF.js engine agrees', async () => {
  await initTfjs('cpu');
  const objectives: [TrainingObjective, number][] = [
    [{ kind: 'masked-lm' }, cfg.vocabSize],
    [{ kind: 'token-classification', numLabels: NUM_OUTPUTS }, NUM_OUTPUTS],
  ];
  for (const [objective, classes] of objectives) {
    const weights = randomClassifierWeights(cfg, 9, NUM_OUTPUTS);
    if (objective.kind === 'masked-lm') {
      // The encoder's weights and a masked-LM head (LayerNorm γ around 1, the rest in ±0.3).
      const rng = new Rng(10);
      for (const name of [...weights.keys()]) if (name.startsWith('classifier.')) weights.delete(name);
      for (const name of maskedLmParamNames(cfg)) {
        const shape = maskedLmParamShape(cfg, name);
        const base = name.includes('LayerNorm') && name.endsWith('.weight') ? 1 : 0;
        weights.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => base + (rng.next() * 2 - 1) * 0.3) });
      }
    }
    const engines = [
      new OnnxTrainingEngine({ config: cfg, weights, objective, dropoutMasks: 'fed' }),
      new OnnxTrainingEngine({ config: cfg, weights, objective, dropoutMasks: 'in-graph' }),
      new TfjsTrainingEngine({ config: cfg, weights, objective }),
    ];
    for (const e of engines) e.setTrainable(new Set(weights.keys()));
    for (let step = 0; step < 3; step++) {
      const micro = [positionsBatch(80 + 2 * step, classes), positionsBatch(81 + 2 * step, classes)];
      const losses: number[] = [];
      for (const e of engines) losses.push(await e.trainStep(micro, { ...options(step), lr: 1e-3 }));
      assert.equal(losses[1], losses[0], `${objective.kind}, step ${step}: in-graph loss`);
      assert.ok(
        Math.abs(losses[2]! - losses[0]!) <= 1e-5 * Math.max(1, Math.abs(losses[0]!)),
        `${objective.kind}, step ${step}: TF.js ${losses[2]} vs ${losses[0]}`,
      );
    }
    (engines[0] as OnnxTrainingEngine).dispose();
    (engines[1] as OnnxTrainingEngine).dispose();
  }
});
