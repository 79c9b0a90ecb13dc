/**
 * A training step on WebGPU with the state resident (parameters and AdamW moments stay in GPU buffers,
 * src/engine/onnx/training/resident-state.ts) against the same step fed from the host (the parameters and
 * moments go up and the new values come back every step, as before issue #18's resident state), and the
 * CPU provider. Reports the median step time and the bytes that crossed between host and device per step
 * (every session.run's host-side inputs and outputs, counted by wrapping InferenceSession.run).
 *
 *   node --import tsx bench/speed/webgpu-resident-step.ts [--shapes tiny,mini] [--seqs 32] [--batch 8] [--steps 5] [--dropout 0]
 *        [--variants cpu,webgpu-fed,webgpu-resident,webgpu-resident-dense]
 *
 * Every parameter trainable, dropout 0 unless --dropout (no masks), AdamW with clipping, word embeddings updated row-wise
 * (the default: the batch's rows go up and come back, the table stays on the host).
 */
import * as ort from 'onnxruntime-node';
import { parseArgs } from '../lib/args.js';
import { namedShape } from './shapes.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import type { OnnxEngineOptions } from '../../src/engine/onnx/training/onnx-engine.js';
import { classificationEngine, decaySettings, syntheticClassificationBatch } from './synthetic-step.js';

const args = parseArgs('node --import tsx bench/speed/webgpu-resident-step.ts [options]', {
  '--shapes': { type: 'list', default: ['tiny', 'mini'], help: 'model shapes' },
  '--seqs': { type: 'numbers', default: [32], help: 'sequence lengths' },
  '--batch': { type: 'number', default: 8, help: 'rows per step' },
  '--steps': { type: 'number', default: 5, help: 'timed steps per variant' },
  '--dropout': { type: 'number', default: 0, help: 'dropout rate (its masks are fed from the host each step)' },
  '--variants': { type: 'list', default: ['cpu', 'webgpu-fed', 'webgpu-resident'], help: 'cpu, webgpu-fed, webgpu-resident, webgpu-resident-dense' },
});

const VARIANTS: Record<string, Pick<OnnxEngineOptions, 'session' | 'device' | 'wordEmbeddingUpdate'>> = {
  cpu: {},
  // The provider without residency: host tensors in, pre-allocated host tensors out.
  'webgpu-fed': { session: { executionProviders: ['webgpu', 'cpu'] } },
  // Resident parameters and moments, the word-embedding table row-wise on the host (the batch's rows cross).
  'webgpu-resident': { device: 'webgpu', wordEmbeddingUpdate: 'rows' },
  // Every word-embedding row updated in the graph each step: the table stays on the GPU too (WebGPU's default).
  'webgpu-resident-dense': { device: 'webgpu', wordEmbeddingUpdate: 'dense' },
};
for (const v of args.variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (known: ${Object.keys(VARIANTS).join(', ')})`);

// Host bytes in and out of every session.run (tensors whose data is on the CPU).
let hostBytes = 0;
const hostSize = (t: unknown) => {
  const x = t as ort.Tensor | null;
  return x && x.location === 'cpu' ? (x.data as ArrayBufferView).byteLength : 0;
};
const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<Record<string, ort.Tensor>> } }).prototype;
const run = proto.run;
proto.run = async function (this: unknown, feeds: unknown, ...rest: unknown[]) {
  for (const t of Object.values(feeds as Record<string, unknown>)) hostBytes += hostSize(t);
  const out = await run.call(this, feeds, ...rest);
  for (const t of Object.values(out)) hostBytes += hostSize(t);
  return out;
};

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const B = args.batch;
process.stdout.write('| shape | batch | variant | median ms/step | host↔device MB/step |\n|---|---|---|---:|---:|\n');
for (const shape of args.shapes) {
  const cfg = { ...namedShape(shape), hiddenDropoutProb: args.dropout, attentionProbsDropoutProb: args.dropout };
  const weights = new Map([...initBertWeights(cfg, 1), ...initClassifierHead(cfg, 2, 2)]);
  for (const S of args.seqs) {
    const batch = syntheticClassificationBatch(B, S);
    const settingsOf = decaySettings;
    const engines = args.variants.map((v) => classificationEngine(cfg, weights, VARIANTS[v]));
    // Warm-up: graph build, session, the first upload of every parameter.
    for (const e of engines) for (let w = 0; w < 2; w++) await e.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: w });
    // The variants take turns step by step, so a change in the machine's load hits them alike.
    const times = engines.map(() => [] as number[]);
    const bytes = engines.map(() => 0);
    for (let i = 0; i < args.steps; i++) {
      for (const [k, e] of engines.entries()) {
        hostBytes = 0;
        const t0 = performance.now();
        await e.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i + 2 });
        times[k]!.push(performance.now() - t0);
        bytes[k]! += hostBytes;
      }
    }
    args.variants.forEach((v, k) => {
      const perStep = bytes[k]! / args.steps / 2 ** 20;
      process.stdout.write(`| ${shape} | ${B}×${S} | ${v} | ${median(times[k]!).toFixed(1)} | ${v === 'cpu' ? '—' : perStep.toFixed(2)} |\n`);
    });
    for (const e of engines) e.dispose();
  }
}
