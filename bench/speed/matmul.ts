/**
 * Matrix-product throughput of the TensorFlow.js backends on BERT-Tiny/Mini shapes:
 * tfjs cpu, wasm with its stock kernels, wasm with ours (src/engine/tfjs/wasm-kernels.ts), and
 * ours on the threaded wasm build (measured in a child process, since threads must be chosen
 * before the wasm backend starts).
 *
 *   node --import tsx bench/speed/matmul.ts            full table (about two minutes on 2 cores)
 *   node --import tsx bench/speed/matmul.ts --quick    BERT-Tiny rows only, no cpu column
 *
 * Timing: inputs are made once; each measurement runs one warm-up call, then timed calls until
 * at least 5 calls and 0.5 s (or 3 calls once a call takes over 0.5 s), and reports the median.
 * Both backends run kernels synchronously, so a call is complete when it returns; reading one
 * element of the result confirms it without timing a full copy of the output.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { parseArgs } from '../lib/args.js';
import { registerFastWasmKernels, restoreStockWasmKernels } from '../../src/engine/tfjs/wasm-kernels.js';
import { enableWasmThreads, wasmThreadCount } from '../../src/engine/tfjs/wasm-threads.js';

const args = parseArgs('node --import tsx bench/speed/matmul.ts [--quick]', {
  '--quick': { type: 'flag', help: 'BERT-Tiny rows only, no cpu column' },
  '--child-threads': { type: 'flag', help: 'internal: time the shapes named after it on the threaded wasm build, print JSON' },
});

interface Shape {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** Leave out of --quick runs. */
  mini?: boolean;
}

// Tokens per batch T = 32 sequences × 128; BERT-Tiny: H 128, FF 512, 2 heads; Mini: H 256, FF 1024, 4 heads.
const SHAPES: Shape[] = [
  { name: 'plain 4096×128 · 128×512', a: [4096, 128], b: [128, 512], transposeA: false, transposeB: false },
  { name: 'linear fwd 4096×128 · (512×128)ᵀ', a: [4096, 128], b: [512, 128], transposeA: false, transposeB: true },
  { name: 'weight grad (4096×512)ᵀ · 4096×128', a: [4096, 512], b: [4096, 128], transposeA: true, transposeB: false },
  { name: 'both (128×4096)ᵀ · (512×128)ᵀ', a: [128, 4096], b: [512, 128], transposeA: true, transposeB: true },
  { name: 'batched [64,128,64] · [64,64,128]', a: [64, 128, 64], b: [64, 64, 128], transposeA: false, transposeB: false },
  { name: 'attn scores [64,128,64] · [64,128,64]ᵀ', a: [64, 128, 64], b: [64, 128, 64], transposeA: false, transposeB: true },
  { name: 'attn dV [64,128,128]ᵀ · [64,128,64]', a: [64, 128, 128], b: [64, 128, 64], transposeA: true, transposeB: false },
  { name: 'broadcast [32,128,128] · 128×128', a: [32, 128, 128], b: [128, 128], transposeA: false, transposeB: false },
  { name: 'Mini linear 4096×256 · (1024×256)ᵀ', a: [4096, 256], b: [1024, 256], transposeA: false, transposeB: true, mini: true },
  { name: 'Mini weight grad (4096×1024)ᵀ · 4096×256', a: [4096, 1024], b: [4096, 256], transposeA: true, transposeB: false, mini: true },
  { name: 'Mini attn [128,128,64] · [128,128,64]ᵀ', a: [128, 128, 64], b: [128, 128, 64], transposeA: false, transposeB: true, mini: true },
];

function flops(s: Shape): number {
  const m = s.transposeA ? s.a.at(-1)! : s.a.at(-2)!;
  const k = s.transposeA ? s.a.at(-2)! : s.a.at(-1)!;
  const n = s.transposeB ? s.b.at(-2)! : s.b.at(-1)!;
  const batch = Math.max(
    s.a.slice(0, -2).reduce((p, d) => p * d, 1),
    s.b.slice(0, -2).reduce((p, d) => p * d, 1),
  );
  return 2 * batch * m * k * n;
}

/** Median seconds per call of the product on the current backend. */
function timeProduct(s: Shape): number {
  const a = tf.randomUniform(s.a, -1, 1);
  const b = tf.randomUniform(s.b, -1, 1);
  let call = 0;
  const once = (): number => {
    // Where the allocator puts the output relative to the inputs changes speed by up to 25%
    // (cache-set aliasing at 2 MiB strides), so vary it from call to call with a small pad.
    const pad = tf.zeros([1 + ((call++ * 7919) % 4096)]);
    const start = performance.now();
    const c = tf.matMul(a, b, s.transposeA, s.transposeB);
    (tf.backend() as unknown as { readSync(id: object, start: number, end: number): unknown }).readSync(c.dataId, 0, 1);
    const seconds = (performance.now() - start) / 1000;
    tf.dispose([c, pad]);
    return seconds;
  };
  once();
  const times: number[] = [];
  let total = 0;
  const enough = () => times.length >= 3 && (times[0] >= 0.5 || (times.length >= 5 && total >= 0.5) || times.length >= 50);
  while (!enough()) {
    const t = once();
    times.push(t);
    total += t;
  }
  tf.dispose([a, b]);
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

function gflops(s: Shape, seconds: number): number {
  return flops(s) / seconds / 1e9;
}

/** GFLOP/s of our kernels on the threaded build, one shape per result, run in this same script. */
function measureThreadsInChild(shapes: Shape[]): Map<string, number> | string {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-threads', ...shapes.map((s) => s.name)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) return `threaded run failed: ${child.stderr?.slice(-300)}`;
  const parsed = JSON.parse(line) as { threads: number; results: Record<string, number> };
  if (parsed.threads < 2) return `threaded build started with ${parsed.threads} thread(s)`;
  return new Map(Object.entries(parsed.results));
}

async function childThreads(names: string[]): Promise<void> {
  enableWasmThreads(2);
  registerFastWasmKernels();
  await tf.setBackend('wasm');
  const results: Record<string, number> = {};
  for (const s of SHAPES.filter((x) => names.includes(x.name))) results[s.name] = gflops(s, timeProduct(s));
  console.log(JSON.stringify({ threads: wasmThreadCount(), results }));
}

function cell(value: number | undefined, width = 9): string {
  return (value === undefined ? '–' : value.toFixed(value >= 100 ? 0 : 1)).padStart(width);
}

async function main(): Promise<void> {
  const { quick } = args;
  const shapes = SHAPES.filter((s) => !quick || !s.mini);
  const rows = new Map<string, { cpu?: number; stock?: number; fast?: number }>();
  for (const s of shapes) rows.set(s.name, {});

  if (!quick) {
    await tf.setBackend('cpu');
    for (const s of shapes) rows.get(s.name)!.cpu = gflops(s, timeProduct(s));
  }
  await tf.setBackend('wasm');
  // Stock and fast kernels alternate shape by shape so drift in machine load hits both alike.
  for (const s of shapes) {
    restoreStockWasmKernels();
    rows.get(s.name)!.stock = gflops(s, timeProduct(s));
    registerFastWasmKernels();
    rows.get(s.name)!.fast = gflops(s, timeProduct(s));
  }
  const threaded = measureThreadsInChild(shapes);

  console.log('\nfloat32 matrix products, GFLOP/s (median); "fast" = src/engine/tfjs/wasm-kernels.ts');
  console.log(
    `${'product'.padEnd(42)}${'GFLOP'.padStart(7)}${'cpu'.padStart(9)}${'wasm'.padStart(9)}${'fast'.padStart(9)}` +
      `${'×'.padStart(7)}${'fast 2T'.padStart(9)}${'×'.padStart(7)}`,
  );
  for (const s of shapes) {
    const r = rows.get(s.name)!;
    const t = typeof threaded === 'string' ? undefined : threaded.get(s.name);
    const ratio = (x?: number) => (x === undefined || r.stock === undefined ? '–' : (x / r.stock).toFixed(1)).padStart(7);
    console.log(
      `${s.name.padEnd(42)}${(flops(s) / 1e9).toFixed(2).padStart(7)}${cell(r.cpu)}${cell(r.stock)}${cell(r.fast)}` + `${ratio(r.fast)}${cell(t)}${ratio(t)}`,
    );
  }
  console.log('wasm = stock tfjs-backend-wasm kernels; fast 2T = fast kernels on the threaded build with 2 threads;');
  console.log('× = ratio to stock wasm. Plain 2-D products use the stock XNNPACK path in every column.');
  if (typeof threaded === 'string') console.log(`(no threaded column: ${threaded})`);
}

if (args.childThreads) await childThreads(args.positional);
else await main();
