/**
 * `gpu.ts speed`: ms/step and examples/s of bertft on onnxruntime's WebGPU provider against its CPU provider, for
 * BERT-shaped models with random weights at batch 32 × 128: a full fine-tuning step and a forward pass to logits.
 *
 * Training goes through what `bertft train` builds: createTrainingEngine (engine/select.ts) with the classification
 * objective of a full fine-tune (pooler, single-label, 2 labels), every parameter trainable, AdamW with weight decay
 * 0.01 off biases and LayerNorms (paramSettings, as the Trainer passes), clipping at norm 1, and dropout 0.1 from the
 * config with a new mask seed each step, so the step includes producing and feeding the masks. On webgpu the
 * parameters and moments stay on the GPU (resident-state.ts). Inference goes through createForwardRunner
 * (inference/forward.ts), the runner `predict` uses. The step time is measured around trainStep / run, which return
 * after the loss / logits are read back, so each timed step includes the GPU work its outputs need.
 */
import type { Device } from '../../../src/engine/types.js';
import { createTrainingEngine } from '../../../src/engine/select.js';
import { createForwardRunner } from '../../../src/inference/forward.js';
import { initBertWeights } from '../../../src/models/bert/init.js';
import { initClassifierHead, isClassifierParam } from '../../../src/heads/classification.js';
import { paramSettings } from '../../../src/trainer/schedule.js';
import type { TokenBatch } from '../../../src/tokenization/index.js';
import type { HostTensor } from '../../../src/models/host-tensor.js';
import { parseArgs } from '../../lib/args.js';
import { namedShape } from '../shapes.js';
import { spread, type SpeedRow } from './rows.js';
import { printRatios, speedTable } from './join.js';
import { readFileSync } from 'node:fs';

const USAGE = 'gpu.ts [speed] [options]   (bundled: .device/run.sh speed [options])';

function options(argv: string[]) {
  return parseArgs(
    USAGE,
    {
      '--shapes': { type: 'list', default: ['tiny', 'mini', 'base'], help: 'model shapes (bench/speed/shapes.ts)' },
      '--devices': { type: 'list', default: ['webgpu', 'cpu'], help: 'onnxruntime devices: webgpu, cpu' },
      '--modes': { type: 'list', default: ['train', 'infer'], help: 'train (a full fine-tuning step), infer (forward to logits)' },
      '--batch': { type: 'number', default: 32, help: 'rows per step' },
      '--seq': { type: 'number', default: 128, help: 'tokens per row (every one a real token)' },
      '--dropout': { type: 'number', default: 0.1, help: 'hidden and attention dropout (0.1: what bertft train uses for BERT)' },
      '--warmup': { type: 'number', default: 2, help: 'untimed steps first (graph build, shaders, uploads)' },
      '--steps': { type: 'number', default: 10, help: 'timed training steps on webgpu' },
      '--infer-steps': { type: 'number', default: 20, help: 'timed forward passes on webgpu' },
      '--cpu-steps': { type: 'number', default: 3, help: 'timed training steps on the CPU provider (a Base step takes seconds)' },
      '--cpu-infer-steps': { type: 'number', default: 5, help: 'timed forward passes on the CPU provider' },
      '--lr': { type: 'number', default: 2e-5, help: "peak learning rate (torch_ref.py's)" },
      '--torch': { type: 'string', value: 'FILE', optional: true, help: "torch_ref.py's output: also print bertft-webgpu / torch-cuda ratios" },
    },
    argv,
  );
}

type Options = ReturnType<typeof options>;

/** A full batch of pseudo-random ids in 1000…21000 (torch_ref.py draws from the same range), no padding. */
function fullBatch(B: number, S: number): TokenBatch {
  const inputIds = Int32Array.from({ length: B * S }, (_, i) => 1000 + ((i * 7919 + 13) % 20000));
  return { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
}

/** Runs `step` warm-up times untimed, then `n` times timed; the setup time covers `create` and the warm-up. */
async function timeSteps(create: () => Promise<void>, step: (i: number) => Promise<number | undefined>, warmup: number, n: number) {
  const t0 = performance.now();
  await create();
  for (let i = 0; i < warmup; i++) await step(i);
  const setupS = (performance.now() - t0) / 1000;
  const ms: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const loss = await step(warmup + i);
    ms.push(performance.now() - t);
    if (loss !== undefined) losses.push(loss);
  }
  return { ms, losses, setupS };
}

// Random weights per shape, drawn once (Base: 110 M values): the engines copy them, the runners only read them.
const drawn = new Map<string, { encoder: Map<string, HostTensor>; head: Map<string, HostTensor> }>();
function weightsOf(shape: string) {
  let w = drawn.get(shape);
  if (w === undefined) {
    const cfg = namedShape(shape);
    w = { encoder: initBertWeights(cfg, 0, true), head: initClassifierHead(cfg, 2, 0) };
    drawn.set(shape, w);
  }
  return w;
}

/** One training row: createTrainingEngine as fineTune calls it, every parameter trained. */
async function trainRow(shape: string, device: Device, o: Options): Promise<Omit<SpeedRow, 'kind' | 'shape' | 'device' | 'mode'>> {
  const cfg = { ...namedShape(shape), hiddenDropoutProb: o.dropout, attentionProbsDropoutProb: o.dropout };
  const { encoder, head } = weightsOf(shape);
  const weights = new Map([...encoder, ...head]);
  const B = o.batch;
  // One-hot targets of a single-label problem, alternating labels.
  const targets = Float32Array.from({ length: 2 * B }, (_, i) => ((i >> 1) % 2 === i % 2 ? 1 : 0));
  const batch = { tokens: fullBatch(B, o.seq), targets };
  const settingsOf = paramSettings(cfg, { lr: o.lr, weightDecay: 0.01 });
  let engine: Awaited<ReturnType<typeof createTrainingEngine>> | undefined;
  const steps = device === 'cpu' ? o.cpuSteps : o.steps;
  try {
    const r = await timeSteps(
      async () => {
        engine = await createTrainingEngine({
          config: cfg,
          weights,
          objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
          engine: 'onnxruntime',
          device,
          startTfjs: async () => {
            throw new Error('the GPU bench runs on onnxruntime only');
          },
        });
        engine.setTrainable(new Set(weights.keys()));
      },
      // A new dropout seed each step, as the trainer's stepSeed gives: new masks every step.
      (i) => engine!.trainStep([batch], { lr: o.lr, maxGradNorm: 1, settingsOf, dropoutSeed: 1000 + i }),
      o.warmup,
      steps,
    );
    return rowOf(r, o, steps);
  } finally {
    engine?.dispose();
  }
}

/** One inference row: the onnxruntime forward runner of a sequence classifier, logits read back. */
async function inferRow(shape: string, device: Device, o: Options): Promise<Omit<SpeedRow, 'kind' | 'shape' | 'device' | 'mode'>> {
  const cfg = namedShape(shape);
  const { encoder, head } = weightsOf(shape);
  const classifier = new Map([...head].filter(([n]) => isClassifierParam(n)));
  const tokens = fullBatch(o.batch, o.seq);
  let runner: Awaited<ReturnType<typeof createForwardRunner>> | undefined;
  const steps = device === 'cpu' ? o.cpuInferSteps : o.inferSteps;
  try {
    const r = await timeSteps(
      async () => {
        runner = await createForwardRunner(cfg, encoder, { pooling: 'pooler', classifier, engine: 'onnxruntime', device });
      },
      async () => {
        await runner!.run(tokens);
        return undefined;
      },
      Math.max(1, o.warmup),
      steps,
    );
    return { ...rowOf(r, o, steps), dropout: 0 };
  } finally {
    await runner?.dispose();
  }
}

function rowOf(r: Awaited<ReturnType<typeof timeSteps>>, o: Options, steps: number): Omit<SpeedRow, 'kind' | 'shape' | 'device' | 'mode'> {
  const s = spread(r.ms);
  const losses = r.losses.length > 0 ? { firstLoss: r.losses[0]!, lastLoss: r.losses[r.losses.length - 1]! } : {};
  return {
    batch: o.batch,
    seq: o.seq,
    dropout: o.dropout,
    warmup: o.warmup,
    steps,
    ...s,
    examplesPerS: Math.round((o.batch / s.msMedian) * 1000 * 10) / 10,
    setupS: Math.round(r.setupS * 10) / 10,
    ...losses,
  };
}

/** Every (shape, device, mode) row: one JSON line each as it finishes, then the table (and the ratios with --torch). */
export async function speedMain(argv: string[]): Promise<void> {
  const o = options(argv);
  for (const d of o.devices) if (d !== 'webgpu' && d !== 'cpu') throw new Error(`--devices: webgpu or cpu, not ${d}`);
  for (const m of o.modes) if (m !== 'train' && m !== 'infer') throw new Error(`--modes: train or infer, not ${m}`);
  const rows: SpeedRow[] = [];
  for (const shape of o.shapes) {
    namedShape(shape); // an unknown shape fails before any work
    for (const device of o.devices as Device[]) {
      for (const mode of o.modes as SpeedRow['mode'][]) {
        process.stderr.write(`gpu bench: ${shape} ${device} ${mode} …\n`);
        try {
          const r = mode === 'train' ? await trainRow(shape, device, o) : await inferRow(shape, device, o);
          const row: SpeedRow = { kind: 'bertft', shape, device: device as SpeedRow['device'], mode, ...r };
          rows.push(row);
          process.stdout.write(`${JSON.stringify(row)}\n`);
        } catch (e) {
          // One device run has to give every row it can: a row that fails (out of memory, a missing kernel) is
          // reported and the next one runs.
          process.stderr.write(`gpu bench: ${shape} ${device} ${mode} failed: ${(e as Error).stack ?? e}\n`);
          process.exitCode = 1;
        }
      }
    }
  }
  process.stdout.write(`\n${speedTable(rows)}\n`);
  if (o.torch !== undefined) printRatios(rows, readFileSync(o.torch, 'utf8'));
}
