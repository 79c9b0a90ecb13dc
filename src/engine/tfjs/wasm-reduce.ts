import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, memoryOffset, wasmInternals } from './wasm-heap.js';

/*
 * The stock wasm Sum reduces only innermost axes, so for any other axis it first transposes the
 * input with the (slow) wasm Transpose kernel: 15 ms to sum a 4096×512 gradient over its rows
 * here. Every bias gradient is such a sum over leading axes. Accumulating whole rows instead
 * reads memory once, in order: about 3 ms.
 */

const BYTES_PER_FLOAT = 4;

/**
 * Sums float32 x over `axis` when those axes are one contiguous run that leaves at least the last
 * axis alone (x viewed as [outer, reduced, inner]). Returns undefined for other cases so the
 * caller can use the stock kernel, which is fast for innermost reductions.
 */
export function sumOuterAxesWasm(backendArg: object, x: TensorInfo, axis: number | number[], keepDims: boolean): TensorInfo | undefined {
  if (x.dtype !== 'float32' || x.shape.length < 2) return undefined;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  if (axes.length === 0) return undefined;
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length || last >= x.shape.length - 1) return undefined;

  const backend = wasmInternals(backendArg);
  const outer = util.sizeFromShape(x.shape.slice(0, first));
  const reduced = util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = util.sizeFromShape(x.shape.slice(last + 1));
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  const out = backend.makeOutput(shape, 'float32');
  const heap = heapF32(backend.wasm);
  const xStart = memoryOffset(backend, x) / BYTES_PER_FLOAT;
  const outStart = memoryOffset(backend, out) / BYTES_PER_FLOAT;
  // float64 accumulators: a few thousand float32 additions per output would lose digits.
  const accumulator = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    accumulator.fill(0);
    const block = xStart + o * reduced * inner;
    for (let r = 0; r < reduced; r++) {
      const row = block + r * inner;
      for (let j = 0; j < inner; j++) accumulator[j] += heap[row + j];
    }
    heap.set(accumulator, outStart + o * inner);
  }
  return out;
}

/** Sum for the wasm backend: {@link sumOuterAxesWasm}, else the stock kernel. */
export function makeFastSumKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    return sumOuterAxesWasm(args.backend, x, axis, keepDims === true) ?? original(args);
  };
}
