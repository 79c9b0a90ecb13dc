/**
 * ONNX training-step time under different engine and onnxruntime settings, side by side: every
 * variant gets its own engine, the variants take turns step by step (so a change in the machine's
 * load hits them all alike), and each reports its median step and its ratio to the first variant.
 *
 *   node --import tsx bench/speed/onnx-step-settings.ts [--shapes tiny,mini] [--seqs 16,128] [--steps 15]
 *        [--variants default,dense,spin,extended,basic,threads1]
 *
 * Variants: `default` (what `bertft train` runs), `dense` (wordEmbeddingUpdate 'dense': every
 * word-embedding row in the graph each step), `spin` (onnxruntime's intra-op threads spin between
 * operators, onnxruntime's own default; bertft's is to let them sleep), `extended` / `basic` (graph optimisation level), `threads1` (one thread),
 * `in-graph` (dropout masks made by graph nodes from key words instead of generated on the host and fed;
 * the same masks, dropout-masks.ts).
 * Batch 32 × seq of random ids (short texts such as SST-2 are ~16 word pieces), dropout 0.1,
 * every parameter trainable, AdamW with clipping.
 */
import { parseArgs } from '../lib/args.js';
import { namedShape } from './shapes.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import type { OnnxEngineOptions } from '../../src/engine/onnx/training/onnx-engine.js';
import { classificationEngine, decaySettings, syntheticClassificationBatch } from './synthetic-step.js';

const args = parseArgs('node --import tsx bench/speed/onnx-step-settings.ts [options]', {
  '--shapes': { type: 'list', default: ['tiny', 'mini'], help: 'model shapes' },
  '--seqs': { type: 'numbers', default: [16, 128], help: 'sequence lengths' },
  '--steps': { type: 'number', default: 15, help: 'timed steps per variant' },
  '--variants': {
    type: 'list',
    default: ['default', 'dense', 'spin', 'extended', 'threads1'],
    help: 'variants: default, dense, spin, extended, basic, threads1, in-graph',
  },
});
const { shapes, seqs, steps, variants: variantNames } = args;

const VARIANTS: Record<string, Pick<OnnxEngineOptions, 'session' | 'wordEmbeddingUpdate' | 'dropoutMasks'>> = {
  default: {},
  dense: { wordEmbeddingUpdate: 'dense' },
  spin: { session: { spinning: true } },
  extended: { session: { optimization: 'extended' } },
  basic: { session: { optimization: 'basic' } },
  threads1: { session: { threads: 1 } },
  'in-graph': { dropoutMasks: 'in-graph' },
};
for (const v of variantNames) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (known: ${Object.keys(VARIANTS).join(', ')})`);

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const B = 32;

process.stdout.write(
  '| shape | batch | variant | median ms/step | best ms | ÷ first variant (time) | median CPU ms/step |\n|---|---|---|---:|---:|---:|---:|\n',
);
for (const shape of shapes) {
  const cfg = namedShape(shape);
  const weights = new Map([...initBertWeights(cfg, 1), ...initClassifierHead(cfg, 2, 2)]);
  for (const S of seqs) {
    const batch = syntheticClassificationBatch(B, S);
    const settingsOf = decaySettings;
    const engines = variantNames.map((v) => classificationEngine(cfg, weights, VARIANTS[v]));
    // Warm-up: graph build, session, first-touch of every buffer.
    for (const e of engines) for (let w = 0; w < 2; w++) await e.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: w });
    const times = engines.map(() => [] as number[]);
    // CPU time of the process (every thread): the work a step does, less sensitive than wall time to other load on the machine.
    const cpu = engines.map(() => [] as number[]);
    for (let i = 0; i < steps; i++) {
      for (const [k, e] of engines.entries()) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await e.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i + 2 });
        const c = process.cpuUsage(c0);
        times[k]!.push(performance.now() - t0);
        cpu[k]!.push((c.user + c.system) / 1000);
      }
    }
    const base = median(times[0]!);
    variantNames.forEach((v, k) => {
      const m = median(times[k]!);
      process.stdout.write(
        `| ${shape} | ${B}×${S} | ${v} | ${m.toFixed(1)} | ${Math.min(...times[k]!).toFixed(1)} | ${(m / base).toFixed(2)} | ${median(cpu[k]!).toFixed(1)} |\n`,
      );
    });
    for (const e of engines) e.dispose();
  }
}
