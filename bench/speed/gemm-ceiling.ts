/**
 * The matrix-product ceiling on this machine: one float32 product of each shape that dominates a
 * BERT-Mini or BERT-Base step, in onnxruntime (MLAS, what bertft's graphs run) and in PyTorch
 * (torch.matmul on Debian's OpenBLAS, what bench/speed/run.ts compares with), taking turns shape by
 * shape and round by round so that a change in the machine's load hits both alike.
 *
 *   node --import tsx bench/speed/gemm-ceiling.ts [--rounds 3] [--steps 9] [--threads 2] [--shapes 4096x256x1024,...]
 *
 * Why: Mini and Base steps spend 66–91 % of their operator time in products of these shapes
 * (onnxruntime's profiler), so the speed ratio a whole step can reach against PyTorch is bounded by
 * the ratio of the two libraries' products. onnxruntime side: a MatMul whose right-hand side is a
 * constant initializer (prepacked, as in inference graphs) and a Gemm of two graph inputs (as in
 * training graphs, where weights are fed each step). GFLOP/s = 2·M·K·N / time.
 */
import { createSession, loadOrt } from '../../src/engine/onnx/session.js';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { parseArgs } from '../lib/args.js';
import { ensureTorch, runTorch } from './pytorch.js';

const args = parseArgs('node --import tsx bench/speed/gemm-ceiling.ts [options]', {
  '--rounds': { type: 'number', default: 3, help: 'rounds over all shapes (onnxruntime and PyTorch take turns)' },
  '--steps': { type: 'number', default: 9, help: 'timed products per shape and round' },
  '--threads': { type: 'number', default: 2, help: 'intra-op threads on both sides' },
  '--shapes': {
    type: 'list',
    value: 'MxKxN,...',
    default: ['4096x256x256', '4096x256x1024', '4096x1024x256', '1024x768x768', '1024x768x3072', '1024x3072x768'],
    help: 'product shapes',
  },
});
const { rounds, steps, threads } = args;
/** Mini at 32×128 tokens (4096 rows) and Base at 8×128 (1024 rows): Q/K/V/O, FFN in, FFN out. */
const shapes = args.shapes.map((s) => s.split('x').map(Number) as [number, number, number]);

const ort = await loadOrt();
const fill = (n: number, mod: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % mod) / mod - 0.5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ms of `steps` runs of a one-product graph, after one warm-up run. */
async function ortProduct(M: number, K: number, N: number, constantWeight: boolean): Promise<number> {
  const b = new GraphBuilder();
  const x = b.addInput('x', ElemType.Float, [M, K]);
  const w = constantWeight
    ? b.addInitializer('w', { elemType: ElemType.Float, dims: [K, N], values: fill(K * N, 101) })
    : b.addInput('w', ElemType.Float, [K, N]);
  b.addOutput(b.op(constantWeight ? 'MatMul' : 'Gemm', [x, w]), 'y');
  const session = await createSession(toModelBytes(b.graph), { threads });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { x: new ort.Tensor('float32', fill(M * K, 97), [M, K]) };
  if (!constantWeight) feeds.w = new ort.Tensor('float32', fill(K * N, 101), [K, N]);
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

console.log(ensureTorch());
const results = shapes.map(() => ({ constant: [] as number[], input: [] as number[], torch: [] as number[] }));
for (let r = 0; r < rounds; r++) {
  for (const [i, [M, K, N]] of shapes.entries()) {
    results[i]!.constant.push(await ortProduct(M, K, N, true));
    results[i]!.input.push(await ortProduct(M, K, N, false));
    const t = await runTorch(['gemm', '--gemm', `${M}x${K}x${N}`, '--steps', String(steps), '--threads', String(threads)]);
    results[i]!.torch.push(t.median_ms as number);
  }
}
const gflops = (M: number, K: number, N: number, ms: number) => (2 * M * K * N) / ms / 1e6;
console.log(`\nfloat32 products, ${threads} threads, median of ${rounds} rounds × ${steps} runs (GFLOP/s; ratio = PyTorch time ÷ onnxruntime time)\n`);
console.log('| M×K×N | onnxruntime MatMul, constant W | onnxruntime Gemm, W fed | PyTorch (OpenBLAS) | ratio, constant | ratio, fed |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [i, [M, K, N]] of shapes.entries()) {
  const c = median(results[i]!.constant);
  const f = median(results[i]!.input);
  const t = median(results[i]!.torch);
  console.log(
    `| ${M}×${K}×${N} | ${gflops(M, K, N, c).toFixed(0)} | ${gflops(M, K, N, f).toFixed(0)} | ${gflops(M, K, N, t).toFixed(0)} | ${(t / c).toFixed(2)} | ${(t / f).toFixed(2)} |`,
  );
}
