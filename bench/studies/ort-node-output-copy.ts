/**
 * What a fetched CPU output costs in onnxruntime-node (issue #19, docs/benchmarks.md): a one-node
 * graph y = −x over `--floats` values, run three ways, taking turns:
 * - `fetch`: y fetched, onnxruntime allocates it;
 * - `prealloc`: y written into a tensor bertft allocated (as the training engine does for new
 *   parameters and moments); the binding still returns a fresh copy (`same buffer` says so);
 * - `none`: only y[0] fetched, so the same Neg runs but no large output crosses into JavaScript.
 * `fetch` or `prealloc` minus `none` is the binding's cost of bringing the output back. A training
 * step fetches every trained parameter and both AdamW moments (3 × 111 M values for ModernBERT-base,
 * 3 × 43 M for DistilBERT-base with the word-embedding table as rows).
 *
 *   node --import tsx bench/studies/ort-node-output-copy.ts [--floats 111000000] [--runs 5]
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/studies/ort-node-output-copy.ts [options]', {
  '--floats': { type: 'number', default: 111_000_000, help: 'values in the output' },
  '--runs': { type: 'number', default: 5, help: 'runs per way (the median is printed)' },
  '--threads': { type: 'number', default: 2, help: 'intra-op threads' },
});
const n = args.floats;
const b = new GraphBuilder('output_copy');
const y = b.op('Neg', [b.addInput('x', ElemType.Float, [n])]);
b.addOutput(y, 'y');
b.addOutput(b.op('Slice', [y, b.int64s([0]), b.int64s([1]), b.int64s([0])]), 'first');
const session = await ort.InferenceSession.create(toModelBytes(b.graph), { logSeverityLevel: 3, intraOpNumThreads: args.threads });
const x = new ort.Tensor('float32', new Float32Array(n).fill(1), [n]);
const target = new ort.Tensor('float32', new Float32Array(n), [n]);
const ways = {
  fetch: () => session.run({ x }, ['y']),
  prealloc: () => session.run({ x }, { y: target }),
  none: () => session.run({ x }, ['first']),
} as const;
const times: Record<string, number[]> = { fetch: [], prealloc: [], none: [] };
let sameBuffer = false;
for (let r = 0; r < args.runs + 1; r++) {
  for (const [name, run] of Object.entries(ways)) {
    const t0 = performance.now();
    const out = await run();
    const ms = performance.now() - t0;
    if (r > 0) times[name]!.push(ms); // the first round warms up
    if (name === 'prealloc') sameBuffer = (out.y!.data as Float32Array).buffer === target.data.buffer;
  }
}
await session.release();
const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
const mb = (4 * n) / 2 ** 20;
console.log(
  `onnxruntime-node ${ort.env.versions.common}, ${n.toLocaleString()} float32 values (${mb.toFixed(0)} MiB), ${args.threads} threads, median of ${args.runs}:`,
);
for (const name of Object.keys(ways)) console.log(`  ${name.padEnd(9)} ${median(times[name]!).toFixed(0).padStart(6)} ms`);
const extra = median(times.prealloc!) - median(times.none!);
console.log(
  `  prealloc returned the tensor it was given: ${sameBuffer}; bringing the output back costs ${extra.toFixed(0)} ms (${(extra / mb).toFixed(2)} ms/MiB)`,
);
