/**
 * Training-step throughput (examples/s) of the ONNX engine (src/engine/onnx/training: forward,
 * loss, backward, clipping and AdamW as one session.run) and, with --tfjs, the TF.js engine, at
 * batch 32 × 128 tokens, every parameter trainable, dropout 0.1, random weights of real shapes
 * (vocabulary 30522). Shapes as in bench/speed/torch/bert_bench.py, so the numbers compare with
 * `bench/speed/pytorch.ts` (PyTorch measured here: BERT-Tiny ≈ 57 ex/s, BERT-Mini ≈ 18 ex/s).
 *
 *   node --import tsx bench/speed/train-engines.ts [--shapes tiny,mini,small] [--steps 3]
 *        [--tfjs] [--tfjs-backend auto|wasm|cpu] [--threads N] [--batch 32] [--seq 128]
 *        [--wait-idle SECONDS]
 *
 * The first step of each engine is not timed (it builds the graph and the session). Steps are
 * timed one by one; the median and the best are reported. This 2-core machine is shared: with
 * --wait-idle the script first waits (up to SECONDS) until no other process is runnable, as
 * bench/speed/torch/bert_bench.py does, and reports whether it got an idle machine.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { initTfjs, type TfjsBackendChoice } from '../../src/engine/tfjs/backend.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { namedShape, SHAPES as SHAPE_TABLE } from './shapes.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TrainingEngine, StepOptions, TrainBatch } from '../../src/engine/types.js';
import { paramSettings } from '../../src/trainer/schedule.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/speed/train-engines.ts [options]', {
  '--shapes': { type: 'list', default: ['tiny', 'mini', 'small'], help: 'model shapes' },
  '--steps': { type: 'number', default: 3, help: 'timed steps per engine and shape' },
  '--batch': { type: 'number', default: 32, help: 'batch size' },
  '--seq': { type: 'number', default: 128, help: 'sequence length' },
  '--threads': { type: 'number', default: availableParallelism(), help: "onnxruntime's intra-op threads; default: every core" },
  '--tfjs': { type: 'flag', help: 'also time the TF.js engine' },
  '--tfjs-backend': { type: 'string', value: 'NAME', default: 'auto', help: 'TF.js backend' },
  '--wait-idle': { type: 'number', value: 'S', default: 0, help: 'wait up to S seconds for the machine to go idle before each step' },
});
const { steps, batch: B, seq: S, threads, tfjs: withTfjs, waitIdle } = args;

/** Runnable processes right now (this one included), from /proc/stat. */
function runnable(): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('procs_running'));
  return line ? Number(line.split(/\s+/)[1]) : 1;
}

/** Waits until only this process is runnable for 5 samples in a row (0.2 s apart). */
async function waitForIdle(seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  let quiet = 0;
  while (Date.now() < deadline) {
    quiet = runnable() <= 1 ? quiet + 1 : 0;
    if (quiet >= 5) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const SHAPES: Record<string, [string, BertConfig]> = Object.fromEntries(Object.entries(SHAPE_TABLE).map(([name, s]) => [name, [s.label, namedShape(name)]]));

function batchOf(seed: number): TrainBatch {
  const ids = new Int32Array(B * S).map((_, i) => (i % S === 0 ? 101 : 1000 + ((i * 7919 + seed * 104729) % 20000)));
  const targets = new Float32Array(B * 2);
  for (let r = 0; r < B; r++) targets[r * 2 + ((r + seed) % 2)] = 1;
  return { tokens: { batchSize: B, seqLength: S, inputIds: ids, tokenTypeIds: new Int32Array(B * S), attentionMask: new Int32Array(B * S).fill(1) }, targets };
}

async function timeEngine(
  engine: TrainingEngine,
  cfg: BertConfig,
  weights: Map<string, HostTensor>,
): Promise<{ firstMs: number; medianMs: number; bestMs: number; loss: number; idle: boolean }> {
  engine.setTrainable(new Set(weights.keys()));
  const settingsOf = paramSettings(cfg, { lr: 2e-5, weightDecay: 0.01 });
  const options = (step: number): StepOptions => ({ lr: 2e-5, maxGradNorm: 1, settingsOf, dropoutSeed: step });
  let t = performance.now();
  let loss = await engine.trainStep([batchOf(0)], options(0));
  const firstMs = performance.now() - t;
  const times: number[] = [];
  const idle = waitIdle > 0 ? await waitForIdle(waitIdle) : false;
  for (let s = 1; s <= steps; s++) {
    t = performance.now();
    loss = await engine.trainStep([batchOf(s)], options(s));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { firstMs, medianMs: times[Math.floor(times.length / 2)], bestMs: times[0], loss, idle };
}

const rows: string[][] = [];
if (withTfjs) {
  const info = await initTfjs(args.tfjsBackend as TfjsBackendChoice);
  console.log(`tfjs backend ${info.backend} (${info.provider}), threads ${info.threads}`);
}
console.log(`batch ${B} × ${S} tokens, ${steps} timed steps, onnxruntime threads ${threads}`);
for (const key of args.shapes) {
  const shape = SHAPES[key];
  if (!shape) throw new Error(`unknown shape ${key}; choose from ${Object.keys(SHAPES).join(', ')}`);
  const [label, cfg] = shape;
  const weights = initBertWeights(cfg, 0);
  for (const [k, v] of initClassifierHead(cfg, 2, 1)) weights.set(k, v);
  const common = {
    config: cfg,
    weights,
    objective: { kind: 'classification' as const, pooling: 'pooler' as const, problem: 'single_label_classification' as const, numOutputs: 2 },
  };
  const engines: [string, () => TrainingEngine][] = [['onnx', () => new OnnxTrainingEngine({ ...common, session: { threads } })]];
  if (withTfjs) engines.push(['tfjs', () => new TfjsTrainingEngine(common)]);
  for (const [name, make] of engines) {
    const engine = make();
    const r = await timeEngine(engine, cfg, weights);
    engine.dispose();
    const exs = (ms: number) => ((B * 1000) / ms).toFixed(1);
    const row = [
      label,
      name,
      (r.firstMs / 1000).toFixed(2),
      r.medianMs.toFixed(0),
      exs(r.medianMs),
      exs(r.bestMs),
      r.loss.toFixed(4),
      waitIdle > 0 ? String(r.idle) : '-',
    ];
    rows.push(row);
    console.log(row.join('  '));
  }
}

const header = ['model', 'engine', 'first step s', 'median ms/step', 'examples/s (median)', 'examples/s (best)', 'last loss', 'idle at start'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\n${line(header)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n${rows.map(line).join('\n')}`);
