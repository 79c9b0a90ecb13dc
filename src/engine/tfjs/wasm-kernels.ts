import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { makeFastGatherKernel } from './wasm-gather.js';
import { makeFastBatchMatMulKernel } from './wasm-matmul.js';
import { makeFastSumKernel } from './wasm-reduce.js';
import { unsortedSegmentSumKernel } from './wasm-segment-sum.js';

const BACKEND = 'wasm';

/**
 * Identity that shares the input's data (tensors are immutable), as the cpu backend does. The
 * stock wasm kernel copies, and tf.grad clones every tensor it saves for the backward pass, so
 * the copies cost about 6% of a BERT-Tiny training step.
 */
function makeSharingIdentity(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return stock(args);
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Wraps a stock kernel, keeping its setup function (the stock path still needs it). */
function wrapping(name: string, wrap: (stock: KernelFunc) => KernelFunc) {
  return (stock: KernelConfig | undefined): KernelConfig => {
    if (stock === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to wrap`);
    return { ...stock, kernelFunc: wrap(stock.kernelFunc) };
  };
}

/** Replacement kernel builders, keyed by kernel name; each gets the stock kernel when one exists. */
const REPLACEMENTS: Record<string, (stock: KernelConfig | undefined) => KernelConfig> = {
  BatchMatMul: wrapping('BatchMatMul', makeFastBatchMatMulKernel),
  GatherV2: wrapping('GatherV2', makeFastGatherKernel),
  Sum: wrapping('Sum', makeFastSumKernel),
  Identity: wrapping('Identity', makeSharingIdentity),
  UnsortedSegmentSum: (stock) => stock ?? { kernelName: 'UnsortedSegmentSum', backendName: BACKEND, kernelFunc: unsortedSegmentSumKernel },
};

/** The stock kernels we replaced (undefined where wasm had none), so they can be put back. */
let stockKernels: Map<string, KernelConfig | undefined> | undefined;

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, BACKEND) !== undefined) unregisterKernel(config.kernelName, BACKEND);
  registerKernel(config);
}

/**
 * Makes the TensorFlow.js wasm backend fit for BERT training: BatchMatMul with transposed or
 * batched operands runs on XNNPACK like a plain 2-D product (about 2 → 14–26 GFLOP/s on this
 * machine, see bench/speed/matmul.ts), UnsortedSegmentSum (the gradient of tf.gather, so of the embedding tables) exists,
 * and GatherV2 (embedding lookups) and Sum over leading axes (bias gradients) avoid slow stock
 * paths. Idempotent; call it before or after `tf.setBackend('wasm')`.
 */
export function registerFastWasmKernels(): void {
  if (stockKernels !== undefined) return;
  const saved = new Map<string, KernelConfig | undefined>();
  for (const [name, build] of Object.entries(REPLACEMENTS)) {
    const stock = getKernel(name, BACKEND);
    saved.set(name, stock);
    replaceKernel(build(stock));
  }
  stockKernels = saved;
}

/**
 * Puts the stock wasm kernels back (benchmarks compare against them). Kernels wasm never had are
 * removed again. A no-op when {@link registerFastWasmKernels} has not run.
 */
export function restoreStockWasmKernels(): void {
  if (stockKernels === undefined) return;
  for (const [name, stock] of stockKernels) {
    if (stock === undefined) unregisterKernel(name, BACKEND);
    else replaceKernel(stock);
  }
  stockKernels = undefined;
}

/** True while the replacement kernels from {@link registerFastWasmKernels} are registered. */
export function fastWasmKernelsRegistered(): boolean {
  return stockKernels !== undefined;
}
