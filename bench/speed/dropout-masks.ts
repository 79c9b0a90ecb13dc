/**
 * Host time of one training step's dropout masks (every site of the update graph, batch 32 × seq, dropout 0.1):
 * the counter-based generator of src/engine/onnx/training/dropout-masks.ts against the xorshift32 generator it
 * replaced (copied here as it was), taking turns so that a change in the machine's load hits both alike.
 *
 *   node --import tsx bench/speed/dropout-masks.ts [--shapes tiny,mini] [--seqs 128] [--reps 15] [--profile]
 *
 * --profile adds, per shape, the same masks made in the graph on onnxruntime's CPU provider: the time of the
 * generator's nodes in onnxruntime's profile of in-graph training steps (dropout-mask-graph.ts; its nodes are
 * the ones with uint32 values, the int32 Range and the Where over the interleaved [words, 2] halves). The
 * step-level comparison is `bench/speed/onnx-step-settings.ts --variants default,in-graph`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../lib/args.js';
import { namedShape } from './shapes.js';
import { fillDropoutMask, siteDims } from '../../src/engine/onnx/training/dropout-masks.js';
import { buildStepGraph } from '../../src/engine/onnx/training/step-graph.js';
import { BATCH_DIM, SEQUENCE_DIM } from '../../src/engine/onnx/trace.js';
import { bertParamNames, bertParamShape } from '../../src/models/bert/bert.js';
import { classifierParamShape, initClassifierHead } from '../../src/heads/classification.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { syntheticTokens } from './synthetic-step.js';

const args = parseArgs('node --import tsx bench/speed/dropout-masks.ts [options]', {
  '--shapes': { type: 'list', default: ['tiny', 'mini'], help: 'model shapes' },
  '--seqs': { type: 'numbers', default: [128], help: 'sequence lengths' },
  '--reps': { type: 'number', default: 15, help: 'timed steps per generator' },
  '--profile': { type: 'flag', help: 'also profile the in-graph generator on the CPU provider' },
});

/** The xorshift32 generator before issue #18 (two 16-bit uniforms per draw), for comparison only. */
function xorshiftMask(out: Float32Array, rate: number, seed: number, microBatch: number, site: number): Float32Array {
  let h = (seed ^ Math.imul(microBatch + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(site + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  let s = h === 0 ? 0x6d2b79f5 : h >>> 0;
  const threshold = Math.round(rate * 65536);
  const keep = new Uint32Array(Float32Array.of(1 / (1 - rate)).buffer)[0]!;
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i + 1 < out.length; i += 2) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bits[i] = (s & 0xffff) < threshold ? 0 : keep;
    bits[i + 1] = s >>> 16 < threshold ? 0 : keep;
  }
  return out;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const B = 32;
const generators = { 'counter-based (squares)': fillDropoutMask, 'xorshift32 (before)': xorshiftMask };

process.stdout.write('| shape | batch | mask elements | generator | median ms/step | best ms | ns/element |\n|---|---|---:|---|---:|---:|---:|\n');
for (const shape of args.shapes) {
  const config = namedShape(shape);
  const paramShapes = new Map<string, number[]>(bertParamNames(config, true).map((n) => [n, bertParamShape(config, n)]));
  for (const n of ['classifier.weight', 'classifier.bias']) paramShapes.set(n, classifierParamShape(config, 2, n));
  const objective = { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 } as const;
  const { dropoutSites } = buildStepGraph({ config, paramShapes, objective }, { kind: 'grads', trainable: [...paramShapes.keys()], gradsIn: false });
  for (const S of args.seqs) {
    const buffers = dropoutSites.map((site) => new Float32Array(siteDims(site, { [BATCH_DIM]: B, [SEQUENCE_DIM]: S }).reduce((a, b) => a * b, 1)));
    const elements = buffers.reduce((a, b) => a + b.length, 0);
    const times = Object.keys(generators).map(() => [] as number[]);
    // Ten untimed rounds first, for V8 to settle on its optimised code.
    for (let rep = -10; rep < args.reps; rep++) {
      // Each goes first every other time, so that neither always runs on the other's leftovers (caches, clocks).
      const fills = Object.values(generators).map((fill, k) => [fill, k] as const);
      for (const [fill, k] of rep % 2 === 0 ? fills : fills.reverse()) {
        const t0 = performance.now();
        dropoutSites.forEach((site, i) => fill(buffers[i]!, site.rate, rep, 0, site.index));
        if (rep >= 0) times[k]!.push(performance.now() - t0);
      }
    }
    Object.keys(generators).forEach((name, k) => {
      const m = median(times[k]!);
      process.stdout.write(
        `| ${shape} | ${B}×${S} | ${elements} | ${name} | ${m.toFixed(1)} | ${Math.min(...times[k]!).toFixed(1)} | ${((m / elements) * 1e6).toFixed(2)} |\n`,
      );
    });
  }
}

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

/** Whether a profiled node belongs to the in-graph mask generator (see the module comment). */
function isGeneratorNode(e: ProfileEvent): boolean {
  const types = [...(e.args?.input_type_shape ?? []), ...(e.args?.output_type_shape ?? [])].flatMap((t) => Object.keys(t));
  if (types.includes('uint32')) return true;
  if (e.args?.op_name === 'Range') return types.includes('int32');
  const first = e.args?.input_type_shape?.[0]?.bool;
  return e.args?.op_name === 'Where' && first !== undefined && first.at(-1) === 2;
}

/** ms per step of the generator's nodes and of all operators, from onnxruntime's profile of in-graph steps. */
async function profileInGraph(config: BertConfig, S: number, steps: number): Promise<{ generator: number; operators: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-dropout-prof-'));
  try {
    const weights = new Map([...initBertWeights(config, 1), ...initClassifierHead(config, 2, 2)]);
    const engine = await OnnxTrainingEngine.create({
      config,
      weights,
      objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
      dropoutMasks: 'in-graph',
      session: { profilePrefix: join(dir, 'step') },
    });
    engine.setTrainable(new Set(weights.keys()));
    const batch = { tokens: syntheticTokens(B, S), targets: Float32Array.from({ length: 2 * B }, (_, i) => i % 2) };
    const settingsOf = () => ({ lrScale: 1, weightDecay: 0 });
    for (let i = 0; i <= steps; i++) await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i });
    engine.dispose();
    await new Promise((r) => setTimeout(r, 2000)); // the profile is written when the session is released
    const file = readdirSync(dir).find((f) => f.startsWith('step'));
    if (!file) throw new Error('no profile written');
    const nodes = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const timed = nodes.slice(nodes.length / (steps + 1)); // without the warm-up step
    const ms = (list: ProfileEvent[]) => list.reduce((a, e) => a + e.dur, 0) / 1000 / steps;
    return { generator: ms(timed.filter(isGeneratorNode)), operators: ms(timed) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.profile) {
  process.stdout.write('\n| shape | batch | in-graph generator nodes, ms/step | all operators, ms/step |\n|---|---|---:|---:|\n');
  for (const shape of args.shapes) {
    for (const S of args.seqs) {
      const { generator, operators } = await profileInGraph(namedShape(shape), S, 5);
      process.stdout.write(`| ${shape} | ${B}×${S} | ${generator.toFixed(1)} | ${operators.toFixed(0)} |\n`);
    }
  }
}
