/**
 * Host time of one training step's dropout masks (every site of the update graph, batch 32 × seq, dropout 0.1):
 * the counter-based generator of src/engine/onnx/training/dropout-masks.ts against the xorshift32 generator it
 * replaced (copied here as it was), taking turns so that a change in the machine's load hits both alike.
 *
 *   node --import tsx bench/speed/dropout-masks.ts [--shapes tiny,mini] [--seqs 128] [--reps 15]
 *
 * The step-level comparison of masks fed from the host against masks made in the graph is
 * `bench/speed/onnx-step-settings.ts --variants default,in-graph`.
 */
import { parseArgs } from '../lib/args.js';
import { namedShape } from './shapes.js';
import { fillDropoutMask, siteDims } from '../../src/engine/onnx/training/dropout-masks.js';
import { buildStepGraph } from '../../src/engine/onnx/training/step-graph.js';
import { BATCH_DIM, SEQUENCE_DIM } from '../../src/engine/onnx/trace.js';
import { bertParamNames, bertParamShape } from '../../src/models/bert/bert.js';
import { classifierParamShape } from '../../src/heads/classification.js';

const args = parseArgs('node --import tsx bench/speed/dropout-masks.ts [options]', {
  '--shapes': { type: 'list', default: ['tiny', 'mini'], help: 'model shapes' },
  '--seqs': { type: 'numbers', default: [128], help: 'sequence lengths' },
  '--reps': { type: 'number', default: 15, help: 'timed steps per generator' },
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
    for (let rep = -2; rep < args.reps; rep++) {
      Object.values(generators).forEach((fill, k) => {
        const t0 = performance.now();
        dropoutSites.forEach((site, i) => fill(buffers[i]!, site.rate, rep, 0, site.index));
        if (rep >= 0) times[k]!.push(performance.now() - t0);
      });
    }
    Object.keys(generators).forEach((name, k) => {
      const m = median(times[k]!);
      process.stdout.write(
        `| ${shape} | ${B}×${S} | ${elements} | ${name} | ${m.toFixed(1)} | ${Math.min(...times[k]!).toFixed(1)} | ${((m / elements) * 1e6).toFixed(2)} |\n`,
      );
    });
  }
}
