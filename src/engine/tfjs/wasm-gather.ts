import { util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapI32, memoryOffset, wasmInternals } from './wasm-heap.js';

/*
 * The stock wasm GatherV2 copies the indices out of the heap and then moves one element at a time
 * through a generic strided loop: about 20 ms to look up 4096 rows of a 30522×128 embedding table
 * here (40 ns per element). Looking up rows is a block copy per index; done with copyWithin on the
 * heap it takes about half a millisecond.
 */

const BYTES_PER_ELEMENT = 4;

/**
 * tf.gather(x, indices, axis) for 4-byte dtypes and batchDims = 0: out has shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Returns undefined for cases it does not
 * handle (other dtypes, batchDims > 0) so the caller can use the stock kernel.
 */
export function gatherRowsWasm(backendArg: object, x: TensorInfo, indices: TensorInfo, axis: number, batchDims: number): TensorInfo | undefined {
  if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') {
    return undefined;
  }
  const backend = wasmInternals(backendArg);
  const parsedAxis = util.parseAxisParam(axis, x.shape)[0];
  const axisSize = x.shape[parsedAxis];
  const outer = util.sizeFromShape(x.shape.slice(0, parsedAxis));
  const inner = util.sizeFromShape(x.shape.slice(parsedAxis + 1));
  const count = util.sizeFromShape(indices.shape);
  const outShape = [...x.shape.slice(0, parsedAxis), ...indices.shape, ...x.shape.slice(parsedAxis + 1)];
  const out = backend.makeOutput(outShape, x.dtype);
  // The heap view is taken after makeOutput, which may have grown the heap.
  const heap = heapI32(backend.wasm);
  const idStart = memoryOffset(backend, indices) / BYTES_PER_ELEMENT;
  for (let i = 0; i < count; i++) {
    const index = heap[idStart + i];
    if (index < 0 || index >= axisSize) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisSize - 1}]`);
    }
  }
  if (outer * count * inner === 0) return out;
  const xStart = memoryOffset(backend, x) / BYTES_PER_ELEMENT;
  const outStart = memoryOffset(backend, out) / BYTES_PER_ELEMENT;
  // Whole 4-byte words are copied, so float32 bits travel unchanged through the int32 view.
  for (let o = 0; o < outer; o++) {
    const sourceBlock = xStart + o * axisSize * inner;
    const targetBlock = outStart + o * count * inner;
    for (let i = 0; i < count; i++) {
      const source = sourceBlock + heap[idStart + i] * inner;
      heap.copyWithin(targetBlock + i * inner, source, source + inner);
    }
  }
  return out;
}

/** GatherV2 for the wasm backend: {@link gatherRowsWasm}, else the stock kernel. */
export function makeFastGatherKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number };
    return gatherRowsWasm(args.backend, x, indices, axis, batchDims ?? 0) ?? original(args);
  };
}
