/**
 * Training on WebGPU with resident state (issue #18; docs/gpu.md, src/engine/onnx/training/resident-state.ts):
 * parameters and AdamW moments stay in GPU buffers between steps, and a step gives what the CPU gives.
 *
 * On the embedded BERT-Tiny with dropout 0 (so no masks are fed), the same steps run on the CPU and on
 * WebGPU from the same weights:
 * - sequence classification: full fine-tuning, then gradual unfreezing with layer-wise LR decay (the
 *   trainable set and settings change between steps, so the step graphs are rebuilt while the state stays
 *   on the GPU), gradient accumulation, DANN + CORAL, token classification, masked LM (dense table);
 * - the losses of every step agree to {@link LOSS_TOLERANCE} (relative) and the weights after the steps to
 *   {@link WEIGHT_TOLERANCE} (absolute): the same fp32 graph, summed in another order;
 * - a checkpoint (weights + AdamW state) taken on WebGPU resumes on the CPU, and the reverse, with the same
 *   following losses;
 * - `--device auto` picks webgpu here, and cpu when the probe finds no adapter (injected);
 * - the out-of-memory line, and a step run that fails for memory turns into it (units: they need no GPU);
 * - `bertft train --device auto` end to end.
 *
 * Measured on lavapipe (Mesa 25.0.7, 2 cores, onnxruntime-node 1.30), lr 1e-3, webgpu graph target: losses
 * ≤ 2.5e-7 relative apart; weights after 2-3 AdamW steps: at most 124 of 4.4 M more than 1e-5 apart, the
 * largest 9.2e-5 (classification, token classification, DANN + CORAL, accumulation, gradual unfreezing), and
 * for the masked LM 3 weights above 1e-4, the largest 2.6e-4. AdamW moves a weight by about lr·m/(√v+ε),
 * whatever the gradient's size, so a weight whose gradient is near 0 shows the fp32 rounding of its gradient
 * most: the key biases (softmax ignores a shift, so their exact gradient is 0) and a fresh head's rows.
 *
 * Skipped without a WebGPU adapter, unless BERTFT_REQUIRE_WEBGPU=1 (CI), as in webgpu.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { gpuMemoryError, isOutOfGpuMemory, outOfGpuMemoryMessage } from '../../src/engine/onnx/gpu-memory.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { runStepOn } from '../../src/engine/onnx/training/resident-state.js';
import { executionProviders, type OrtSession } from '../../src/engine/onnx/session.js';
import type { WebgpuProbe } from '../../src/engine/onnx/webgpu.js';
import { prepareDevice, resolveDevice } from '../../src/engine/select.js';
import type { Device, StepOptions, TrainBatch, TrainingObjective } from '../../src/engine/types.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import { initDomainHead } from '../../src/heads/domain.js';
import { flatTargetIndex, initMaskedLmHead } from '../../src/heads/masked-lm.js';
import { initTokenClassifierHead } from '../../src/heads/token-classification.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { BertTokenizer, type TokenBatch } from '../../src/tokenization/index.js';
import { loadResumeCheckpoint, saveResumeCheckpoint } from '../../src/trainer/checkpoint.js';
import { paramSettings } from '../../src/trainer/schedule.js';
import { EMBEDDED_MODEL_DIR, REPO_ROOT } from '../helpers/shared.js';
import { sentimentLines } from '../helpers/texts.js';
import { needsWebgpu } from '../helpers/webgpu.js';

/** Relative difference of a step's loss, CPU against WebGPU (measured ≤ 2.5e-7). */
const LOSS_TOLERANCE = 1e-5;
/**
 * Weights after the steps: at most {@link OUTLIERS} may be more than {@link WEIGHT_TOLERANCE} apart (a fifth
 * of the learning rate), at most a 1e-4 share more than lr/100, and none more than {@link MAX_WEIGHT_GAP}.
 * A wrong gradient moves thousands of weights by about lr; rounding moves the few whose gradient is ~0.
 */
const WEIGHT_TOLERANCE = 2e-4;
const OUTLIERS = 10;
const BULK_TOLERANCE = 1e-5;
const BULK_SHARE = 1e-4;
/** One AdamW step of lr 1e-3 in opposite directions. */
const MAX_WEIGHT_GAP = 2e-3;

const work = mkdtempSync(join(tmpdir(), 'bertft-webgpu-train-'));
after(() => rmSync(work, { recursive: true, force: true }));

const TEXTS = ['a fine film', 'terrible acting and a dull plot', 'I loved it', 'not my cup of tea at all, sadly', 'great fun', 'awful'];

interface Fixture {
  config: BertConfig;
  encoder: Map<string, HostTensor>;
  tokens: TokenBatch;
}

let fixture: Promise<Fixture> | undefined;
function load(): Promise<Fixture> {
  fixture ??= (async () => {
    const { config: raw } = await readBertConfig(EMBEDDED_MODEL_DIR);
    // Dropout 0: no masks are fed, so both devices compute the same function.
    const config = { ...raw, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
    const { weights } = await loadBertWeights(EMBEDDED_MODEL_DIR, config);
    const tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
    return { config, encoder: weights, tokens: await tokenizer.encodeBatch(TEXTS, undefined, { maxLength: 32 }) };
  })();
  return fixture;
}

/** Rows [from, to) of a token batch. */
function rowsOf(t: TokenBatch, from: number, to: number): TokenBatch {
  const S = t.seqLength;
  return {
    batchSize: to - from,
    seqLength: S,
    inputIds: t.inputIds.slice(from * S, to * S),
    attentionMask: t.attentionMask.slice(from * S, to * S),
    tokenTypeIds: t.tokenTypeIds.slice(from * S, to * S),
  };
}

/** One-hot targets of 2 classes, alternating. */
function classTargets(rows: number): Float32Array {
  const t = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) t[r * 2 + (r % 2)] = 1;
  return t;
}

/** Predicted positions: every other real token, with a label from `label(id, k)` and the flat target index over `width`. */
function predicted(tokens: TokenBatch, width: number, label: (id: number, k: number) => number): TrainBatch['masked'] {
  const positions: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < tokens.inputIds.length; i++) {
    if (tokens.attentionMask[i] === 1 && i % 2 === 1) {
      positions.push(i);
      labels.push(label(tokens.inputIds[i]!, labels.length));
    }
  }
  return { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, width) };
}

interface Case {
  objective: TrainingObjective;
  weights: Map<string, HostTensor>;
  /** The micro-batches of each step. */
  steps: TrainBatch[][];
  /** Trainable parameters and LR decay per step (default: all, no decay). */
  schedule?: (step: number, names: string[]) => { trainable: string[]; layerLrDecay?: number };
  wordEmbeddingUpdate?: 'rows' | 'dense';
}

function engineFor(f: Fixture, c: Case, device: Device): OnnxTrainingEngine {
  const session = { executionProviders: executionProviders(device) }; // as createTrainingEngine passes them
  return new OnnxTrainingEngine({ config: f.config, weights: c.weights, objective: c.objective, device, session, wordEmbeddingUpdate: c.wordEmbeddingUpdate });
}

/** Runs steps [from, to) of a case on an engine; returns their losses. */
async function runSteps(engine: OnnxTrainingEngine, f: Fixture, c: Case, from: number, to: number): Promise<number[]> {
  const names = [...c.weights.keys()];
  const losses: number[] = [];
  for (let s = from; s < to; s++) {
    const plan = c.schedule?.(s, names) ?? { trainable: names };
    engine.setTrainable(new Set(plan.trainable));
    const options: StepOptions = {
      lr: 1e-3,
      maxGradNorm: 1,
      settingsOf: paramSettings(f.config, { lr: 1e-3, weightDecay: 0.01, layerLrDecay: plan.layerLrDecay }),
      dropoutSeed: s,
      domainLambda: 0.5,
    };
    losses.push(await engine.trainStep(c.steps[s]!, options));
  }
  return losses;
}

/** How far the weights of two runs are apart: the largest |Δ| (and where), and how many exceed each tolerance. */
function weightGaps(a: Map<string, HostTensor>, b: Map<string, HostTensor>) {
  let [max, name, count, outliers, offBulk] = [0, '', 0, 0, 0];
  for (const [n, t] of a) {
    const u = b.get(n)!.data;
    for (let i = 0; i < t.data.length; i++) {
      const d = Math.abs(t.data[i]! - u[i]!);
      count++;
      if (d > WEIGHT_TOLERANCE) outliers++;
      if (d > BULK_TOLERANCE) offBulk++;
      if (d > max || Number.isNaN(d)) [max, name] = [Number.isNaN(d) ? Number.POSITIVE_INFINITY : d, n];
    }
  }
  return { max, name, count, outliers, offBulk };
}

function assertLossesAgree(label: string, cpu: number[], gpu: number[]): void {
  const rel = Math.max(...cpu.map((l, i) => Math.abs(l - gpu[i]!) / Math.max(Math.abs(l), 1e-6)));
  console.log(`# ${label}: losses ${cpu.map((l) => l.toFixed(5)).join(', ')}; max relative |CPU - WebGPU| ${rel.toExponential(2)}`);
  assert.ok(rel <= LOSS_TOLERANCE, `${label}: losses differ by ${rel} (cpu ${cpu}, webgpu ${gpu})`);
}

/** Runs a case on both devices and compares the losses and the final weights. */
async function agree(label: string, c: Case): Promise<void> {
  const f = await load();
  const result = async (device: Device) => {
    const engine = engineFor(f, c, device);
    try {
      const losses = await runSteps(engine, f, c, 0, c.steps.length);
      if (device === 'webgpu') assert.ok(engine.residentBytes() > 0, 'parameters and moments are resident on the GPU');
      return { losses, weights: await engine.weights() };
    } finally {
      engine.dispose();
    }
  };
  const cpu = await result('cpu');
  const gpu = await result('webgpu');
  assertLossesAgree(label, cpu.losses, gpu.losses);
  const w = weightGaps(cpu.weights, gpu.weights);
  console.log(
    `# ${label}: weights after ${c.steps.length} steps, max |CPU - WebGPU| ${w.max.toExponential(2)} (${w.name}); ${w.outliers} above ${WEIGHT_TOLERANCE}, ${w.offBulk} of ${w.count} above ${BULK_TOLERANCE}`,
  );
  assert.ok(w.max <= MAX_WEIGHT_GAP, `${label}: weights differ by ${w.max} at ${w.name}`);
  assert.ok(w.outliers <= OUTLIERS, `${label}: ${w.outliers} weights differ by more than ${WEIGHT_TOLERANCE} (largest ${w.max} at ${w.name})`);
  assert.ok(w.offBulk <= BULK_SHARE * w.count, `${label}: ${w.offBulk} of ${w.count} weights differ by more than ${BULK_TOLERANCE}`);
}

async function classificationCase(steps = 3): Promise<Case> {
  const f = await load();
  const batch: TrainBatch = { tokens: f.tokens, targets: classTargets(f.tokens.batchSize) };
  return {
    objective: { kind: 'classification', pooling: 'cls', problem: 'single_label_classification', numOutputs: 2 },
    weights: new Map([...f.encoder, ...initClassifierHead(f.config, 2, 1)]),
    steps: Array.from({ length: steps }, () => [batch]),
  };
}

test('sequence classification: 3 full fine-tuning steps agree on WebGPU (resident state) and the CPU', needsWebgpu({ timeout: 120_000 }), async () => {
  await agree('full fine-tuning', await classificationCase());
});

test('on WebGPU the word-embedding table trains densely by default: it and its moments stay resident too', needsWebgpu({ timeout: 120_000 }), async () => {
  const f = await load();
  const c = await classificationCase(1);
  const resident = async (update?: 'rows' | 'dense') => {
    const engine = engineFor(f, { ...c, wordEmbeddingUpdate: update }, 'webgpu');
    try {
      await runSteps(engine, f, c, 0, 1);
      return engine.residentBytes();
    } finally {
      engine.dispose();
    }
  };
  const table = f.encoder.get('embeddings.word_embeddings.weight')!.data.byteLength;
  const [byDefault, rows] = [await resident(), await resident('rows')];
  // The table, its first and its second moment: on the GPU by default, on the host row-wise.
  assert.ok(byDefault - rows >= 3 * table, `resident ${byDefault} bytes by default, ${rows} row-wise; the table is ${table}`);
});

test(
  'gradual unfreezing with layer-wise LR decay: graphs rebuilt around the resident state agree with the CPU',
  needsWebgpu({ timeout: 120_000 }),
  async () => {
    const c = await classificationCase(3);
    // Step 0: the head only (top-k with k = 0); step 1: + the last layer; step 2: everything, LLRD 0.8.
    c.schedule = (step, names) => {
      const head = names.filter((n) => n.startsWith('classifier') || n.startsWith('pooler'));
      if (step === 0) return { trainable: head };
      if (step === 1) return { trainable: [...head, ...names.filter((n) => n.startsWith('encoder.layer.1.'))], layerLrDecay: 0.8 };
      return { trainable: names, layerLrDecay: 0.8 };
    };
    await agree('gradual unfreezing + LLRD', c);
  },
);

test('gradient accumulation (2 micro-batches a step) agrees on WebGPU and the CPU', needsWebgpu({ timeout: 120_000 }), async () => {
  const c = await classificationCase(2);
  const f = await load();
  const half = (from: number, to: number): TrainBatch => ({ tokens: rowsOf(f.tokens, from, to), targets: classTargets(6).slice(from * 2, to * 2) });
  c.steps = [
    [half(0, 3), half(3, 6)],
    [half(0, 3), half(3, 6)],
  ];
  await agree('gradient accumulation', c);
});

test('DANN + CORAL domain adaptation agrees on WebGPU and the CPU', needsWebgpu({ timeout: 120_000 }), async () => {
  const f = await load();
  const batch: TrainBatch = { tokens: f.tokens, targets: classTargets(3), sourceCount: 3 };
  await agree('DANN + CORAL', {
    objective: { kind: 'classification', pooling: 'mean', problem: 'single_label_classification', numOutputs: 2, domain: { dann: true, coralWeight: 0.5 } },
    weights: new Map([...f.encoder, ...initClassifierHead(f.config, 2, 1), ...initDomainHead(f.config, 2)]),
    steps: [[batch], [batch]],
  });
});

test('token classification agrees on WebGPU and the CPU', needsWebgpu({ timeout: 120_000 }), async () => {
  const f = await load();
  const batch: TrainBatch = { tokens: f.tokens, targets: new Float32Array(0), masked: predicted(f.tokens, 3, (id) => id % 3) };
  await agree('token classification', {
    objective: { kind: 'token-classification', numLabels: 3 },
    weights: new Map([...f.encoder, ...initTokenClassifierHead(f.config, 3, 1)]),
    steps: [[batch], [batch]],
  });
});

test('masked-LM pre-training (dense word embeddings, resident) agrees on WebGPU and the CPU', needsWebgpu({ timeout: 120_000 }), async () => {
  const f = await load();
  const batch: TrainBatch = { tokens: f.tokens, targets: new Float32Array(0), masked: predicted(f.tokens, f.config.vocabSize, (id) => id) };
  await agree('masked LM', {
    objective: { kind: 'masked-lm' },
    weights: new Map([...f.encoder, ...initMaskedLmHead(f.config, 1)]),
    steps: [[batch], [batch]],
  });
});

test('a checkpoint written on WebGPU resumes on the CPU, and the reverse, with the same losses', needsWebgpu({ timeout: 120_000 }), async () => {
  const f = await load();
  const c = await classificationCase(4);
  // Steps 0-1 on one device, a resumable checkpoint (as the trainer writes it), steps 2-3 on the other.
  const resumeAcross = async (first: Device, second: Device) => {
    const a = engineFor(f, c, first);
    const dir = join(work, `resume-${first}`);
    let continued: number[];
    try {
      await runSteps(a, f, c, 0, 2);
      await saveResumeCheckpoint(dir, { weights: await a.weights(), optimizer: await a.optimizerState(), state: { step: 2 }, fingerprint: 'test' });
      continued = await runSteps(a, f, c, 2, 4);
    } finally {
      a.dispose();
    }
    const cp = (await loadResumeCheckpoint<{ step: number }>(dir))!;
    const b = engineFor(f, { ...c, weights: cp.weights }, second);
    try {
      b.loadOptimizerState(cp.optimizer);
      return { continued, resumed: await runSteps(b, f, c, 2, 4) };
    } finally {
      b.dispose();
    }
  };
  const g2c = await resumeAcross('webgpu', 'cpu');
  assertLossesAgree('written on WebGPU, resumed on the CPU', g2c.continued, g2c.resumed);
  const c2g = await resumeAcross('cpu', 'webgpu');
  assertLossesAgree('written on the CPU, resumed on WebGPU', c2g.continued, c2g.resumed);
});

test('--device auto picks webgpu where an adapter is found', needsWebgpu(), async () => {
  const lines: string[] = [];
  assert.equal(await resolveDevice('auto', { announce: (l) => lines.push(l) }), 'webgpu');
  assert.deepEqual(lines, ['device: webgpu (--device auto: onnxruntime found a WebGPU adapter)']);
});

test('--device auto picks cpu when the probe finds no adapter, and says why in one line', async () => {
  const lines: string[] = [];
  const probe = async (): Promise<WebgpuProbe> => ({ available: false, reason: 'Failed to get a WebGPU adapter: No supported adapters' });
  assert.equal(await resolveDevice('auto', { probe, announce: (l) => lines.push(l) }), 'cpu');
  assert.deepEqual(lines, ['device: cpu (--device auto: no WebGPU adapter: Failed to get a WebGPU adapter: No supported adapters)']);
  // Other values pass through without probing.
  const never = async (): Promise<WebgpuProbe> => assert.fail('probed');
  assert.equal(await resolveDevice('cuda', { probe: never }), 'cuda');
  assert.equal(await resolveDevice(undefined, { probe: never }), undefined);
  await assert.rejects(resolveDevice('tpu' as never, { probe: never }), /--device must be one of auto, cpu, webgpu, cuda; got "tpu"/);
});

test('training checks the device before reading data: webgpu without an adapter fails in one line, auto falls back to cpu', async () => {
  const none = async (): Promise<WebgpuProbe> => ({ available: false, reason: 'Failed to get a WebGPU adapter: No supported adapters' });
  const quiet = { probe: none, announce: () => undefined };
  await assert.rejects(prepareDevice('auto', 'webgpu', quiet), {
    name: 'BertftError',
    message:
      "--device webgpu: onnxruntime-node cannot start its WebGPU execution provider (Failed to get a WebGPU adapter: No supported adapters); it needs a Vulkan driver: a GPU's, or on a CPU machine Mesa's lavapipe (mesa-vulkan-drivers 25 or later, docs/gpu.md)",
  });
  assert.equal(await prepareDevice('auto', 'auto', quiet), 'cpu');
  assert.equal(await prepareDevice('tfjs', 'webgpu', quiet), undefined); // TF.js ignores the device
  await assert.rejects(prepareDevice('tfjs', 'tpu' as never, quiet), /--device must be one of/);
});

test('out of GPU memory: one line naming the batch size tried and what to do', () => {
  // The messages onnxruntime 1.30's WebGPU provider gives (webgpu/buffer_manager.cc, shader_helper.cc, Dawn on lavapipe).
  const webgpu = [
    "Non-zero status code returned while running Expand node. Name:'Expand_0' Status Message: /onnxruntime_src/onnxruntime/core/providers/webgpu/shader_helper.cc:306 onnxruntime::webgpu::ShaderVariableHelper& onnxruntime::webgpu::ShaderHelper::AddVariableImpl(bool, const std::string&, onnxruntime::webgpu::ShaderUsage, const onnxruntime::TensorShape&, uint32_t) numbers_storage_buffers_ <= limits_.maxStorageBuffersPerShaderStage was false. Too many storage buffers in shader. Current: 19, Max is 16",
    'Failed to create GPU buffer: size=4294967296, usage=140.',
    'WebGPU device error(3): vkCreateBuffer failed with VK_ERROR_OUT_OF_DEVICE_MEMORY',
    'Failed to download data from buffer: device lost',
    'CUDA failure 2: out of memory ; GPU=0',
  ];
  for (const m of webgpu) assert.ok(isOutOfGpuMemory(m), m);
  assert.ok(!isOutOfGpuMemory("Non-zero status code returned while running Gather node. Name:'g' Status Message: indices element out of data bounds"));

  const line = outOfGpuMemoryMessage({ device: 'webgpu', rows: 64, seqLength: 128, microBatches: 1 }, webgpu[0]!);
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /^--device webgpu: out of GPU memory at batch size 64 \(micro-batches of 64 × 128 tokens, 1 per step\); /);
  assert.match(line, /lower --batch-size \(e\.g\. 32\) or use --gradient-accumulation-steps 2 \(micro-batches of 32, the same optimiser steps\)/);
  assert.match(line, /\(onnxruntime: Too many storage buffers in shader\. Current: 19, Max is 16\)$/);
  const accum = outOfGpuMemoryMessage({ device: 'webgpu', rows: 12, seqLength: 64, microBatches: 3 }, 'Failed to create GPU buffer: size=1');
  assert.match(accum, /at batch size 36 .*--gradient-accumulation-steps 6 \(micro-batches of 6, /);
  const odd = outOfGpuMemoryMessage({ device: 'cuda', rows: 5, seqLength: 8, microBatches: 1 }, 'CUDA failure 2: out of memory');
  assert.match(odd, /^--device cuda: .* or use more --gradient-accumulation-steps \(onnxruntime: CUDA failure 2: out of memory\)$/);

  assert.equal(gpuMemoryError(new Error('shape mismatch'), { device: 'webgpu', rows: 1, seqLength: 1, microBatches: 1 }), undefined);
  assert.equal(gpuMemoryError(new Error(webgpu[1]!), { device: 'webgpu', rows: 8, seqLength: 16, microBatches: 1 })?.name, 'BertftError');
});

test('a training step that runs out of GPU memory fails with that line; other failures, and the CPU, are untouched', async () => {
  const failing = (message: string) => ({ run: async () => Promise.reject(new Error(message)) }) as unknown as OrtSession;
  const tokens: TokenBatch = { batchSize: 16, seqLength: 64, inputIds: new Int32Array(0), attentionMask: new Int32Array(0), tokenTypeIds: new Int32Array(0) };
  const at = (device: Device | undefined) => ({ device, batch: { tokens, targets: new Float32Array(0) }, microBatches: 2 });
  await assert.rejects(runStepOn(failing('Failed to create GPU buffer: size=1073741824, usage=140.'), {}, {}, at('webgpu')), {
    name: 'BertftError',
    message:
      /^--device webgpu: out of GPU memory at batch size 32 \(micro-batches of 16 × 64 tokens, 2 per step\); .*--gradient-accumulation-steps 4 \(micro-batches of 8,/,
  });
  await assert.rejects(runStepOn(failing('indices element out of data bounds'), {}, {}, at('webgpu')), {
    name: 'Error',
    message: 'indices element out of data bounds',
  });
  await assert.rejects(runStepOn(failing('Failed to create GPU buffer'), {}, {}, at('cpu')), { name: 'Error', message: 'Failed to create GPU buffer' });
});

test('bertft train --device auto trains on webgpu here and says so on stderr', needsWebgpu({ timeout: 300_000 }), () => {
  const train = join(work, 'train.tsv');
  writeFileSync(train, `${sentimentLines(8, 1).join('\n')}\n`);
  // Through the sources (tsx), so the test needs no build; entry.ts is what bin/bertft.js runs.
  const script = "const { run } = await import('./src/cli/entry.ts'); await run(['node', 'bertft', ...process.argv.slice(1)]);";
  const args = [
    'train',
    '--model',
    EMBEDDED_MODEL_DIR,
    '--train',
    train,
    '--output',
    join(work, 'cli'),
    '--max-steps',
    '2',
    '--batch-size',
    '4',
    '--max-length',
    '16',
  ];
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args, '--device', 'auto'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /device: webgpu \(--device auto: onnxruntime found a WebGPU adapter\)/);
});
