import { util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, heapI32, memoryOffset, wasmInternals } from './wasm-heap.js';

/*
 * tfjs-backend-wasm ships no UnsortedSegmentSum, and tf.gather's gradient (the embedding table's
 * gradient in BERT) is built on it. The work is a scatter-add of N rows into a zeroed table, one
 * pass over the data, so plain JavaScript on the wasm heap is as fast as anything else would be.
 */

const BYTES_PER_ELEMENT = 4;

/**
 * out[s, ...] = Σ over i with segmentIds[i] = s of x[i, ...]; shape [numSegments, ...inner] where
 * `inner` is x's shape after the leading segmentIds dimensions. Ids outside [0, numSegments) are
 * dropped (TensorFlow drops negative ids; the tfjs cpu kernel drops every unmatched id).
 */
export function unsortedSegmentSumWasm(backendArg: object, x: TensorInfo, segmentIds: TensorInfo, numSegments: number): TensorInfo {
  const backend = wasmInternals(backendArg);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 data, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum needs int32 segment ids, got ${segmentIds.dtype}`);
  }
  const idRank = segmentIds.shape.length;
  const leading = x.shape.slice(0, idRank);
  if (!util.arraysEqual(leading, segmentIds.shape)) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const innerShape = x.shape.slice(idRank);
  const rowLength = util.sizeFromShape(innerShape);
  const rows = util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const total = numSegments * rowLength;
  if (total === 0) return out;

  const wasm = backend.wasm;
  // Both int32 and float32 data are summed in their own representation, like the cpu kernel.
  const heap: Float32Array | Int32Array = x.dtype === 'float32' ? heapF32(wasm) : heapI32(wasm);
  const ids = heapI32(wasm);
  const outStart = memoryOffset(backend, out) / BYTES_PER_ELEMENT;
  heap.fill(0, outStart, outStart + total);
  if (rows === 0 || rowLength === 0) return out;
  const xStart = memoryOffset(backend, x) / BYTES_PER_ELEMENT;
  const idStart = memoryOffset(backend, segmentIds) / BYTES_PER_ELEMENT;
  for (let row = 0; row < rows; row++) {
    const segment = ids[idStart + row];
    if (segment < 0 || segment >= numSegments) continue;
    const source = xStart + row * rowLength;
    const target = outStart + segment * rowLength;
    for (let j = 0; j < rowLength; j++) heap[target + j] += heap[source + j];
  }
  return out;
}

/** {@link unsortedSegmentSumWasm} as a kernel function for the 'wasm' backend. */
export const unsortedSegmentSumKernel: KernelFunc = (args) => {
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  return unsortedSegmentSumWasm(args.backend, x, segmentIds, numSegments);
};
