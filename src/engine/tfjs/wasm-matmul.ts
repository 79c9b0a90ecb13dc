import { broadcast_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, memoryOffset, registerView, releaseView, wasmInternals, type WasmBackendInternals } from './wasm-heap.js';
import { transposeMatrices } from './wasm-transpose.js';

/*
 * Why this kernel exists: the stock wasm BatchMatMul hands a product to XNNPACK's fully-connected
 * operator (16–30 GFLOP/s here) only when neither operand is transposed and both batch sizes are 1;
 * everything else (every backward pass, every attention product) falls into a scalar triple loop at
 * about 1 GFLOP/s. Here every product is rewritten as plain row-major 2-D products fed to that same
 * XNNPACK path: transposed operands are made explicit (a pass linear in the operand size, cheap next
 * to the cubic product) and batches run slice by slice on zero-copy views of the heap.
 */

const BYTES_PER_FLOAT = 4;

/**
 * Relative cost per element of a JS transpose and of XNNPACK packing a fresh right operand
 * (about 1.2 and 5–7 ns per element on this machine, measured with tfjs-backend-wasm 4.22).
 */
const TRANSPOSE_COST = 1;
const PACK_COST = 5;

/** Per-module scratch for the two rank-3 shape arrays the C kernel reads. */
const shapeScratch = new WeakMap<object, number>();

function shapeBuffer(backend: WasmBackendInternals): number {
  let pointer = shapeScratch.get(backend.wasm);
  if (pointer === undefined) {
    pointer = backend.wasm._malloc(6 * 4);
    shapeScratch.set(backend.wasm, pointer);
  }
  return pointer;
}

/**
 * out[M,N] = a[M,K] · b[K,N] for row-major float32 blocks at the given heap byte offsets, through
 * the stock kernel's XNNPACK path (it is chosen because neither operand is transposed and the batch
 * is 1). The three blocks are registered as temporary views and released at once.
 */
function xnnProduct(backend: WasmBackendInternals, aByteOffset: number, bByteOffset: number, outByteOffset: number, m: number, k: number, n: number): void {
  const wasm = backend.wasm;
  const shapes = shapeBuffer(backend);
  const aId = registerView(backend, aByteOffset, m * k);
  const bId = registerView(backend, bByteOffset, k * n);
  const outId = registerView(backend, outByteOffset, m * n);
  try {
    // Write the shapes after registering: nothing else runs in between, and the heap views are
    // re-read so growth cannot leave us writing into a stale buffer.
    const heap = new Int32Array(heapF32(wasm).buffer, shapes, 6);
    heap.set([1, m, k, 1, k, n]);
    wasm._BatchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId);
  } finally {
    releaseView(backend, aId);
    releaseView(backend, bId);
    releaseView(backend, outId);
  }
}

/** A float32 operand seen as a stack of row-major matrices. */
interface MatrixStack {
  info: TensorInfo;
  batchShape: number[];
  rows: number;
  cols: number;
  /** True when this stack was made by us and must be disposed. */
  owned: boolean;
}

function asStack(info: TensorInfo): MatrixStack {
  const rank = info.shape.length;
  return {
    info,
    batchShape: info.shape.slice(0, rank - 2),
    rows: info.shape[rank - 2],
    cols: info.shape[rank - 1],
    owned: false,
  };
}

/** Swaps the two innermost axes of every matrix in the stack (see wasm-transpose.ts for why in JS). */
function transposeStack(backend: WasmBackendInternals, stack: MatrixStack): MatrixStack {
  const batch = util.sizeFromShape(stack.batchShape);
  const swapped = backend.makeOutput([...stack.batchShape, stack.cols, stack.rows], 'float32');
  // Read the heap only after makeOutput: an allocation may grow (and replace) it.
  const heap = heapF32(backend.wasm);
  const from = memoryOffset(backend, stack.info) / BYTES_PER_FLOAT;
  const to = memoryOffset(backend, swapped) / BYTES_PER_FLOAT;
  transposeMatrices(heap, from, heap, to, batch, stack.rows, stack.cols);
  return { info: swapped, batchShape: stack.batchShape, rows: stack.cols, cols: stack.rows, owned: true };
}

function disposeStack(backend: WasmBackendInternals, stack: MatrixStack): void {
  if (stack.owned) backend.disposeData(stack.info.dataId);
}

/**
 * For each output batch index, the batch index of one operand under numpy broadcasting
 * (dimensions of size 1, and missing leading dimensions, repeat).
 */
function broadcastBatchIndices(operandShape: number[], outShape: number[]): Int32Array {
  const outSize = util.sizeFromShape(outShape);
  const indices = new Int32Array(outSize);
  const offset = outShape.length - operandShape.length;
  const operandStrides = util.computeStrides(operandShape);
  const outStrides = util.computeStrides(outShape);
  for (let flat = 0; flat < outSize; flat++) {
    let remainder = flat;
    let index = 0;
    for (let axis = 0; axis < outShape.length; axis++) {
      const stride = axis < outShape.length - 1 ? outStrides[axis] : 1;
      const coordinate = Math.floor(remainder / stride);
      remainder -= coordinate * stride;
      const operandAxis = axis - offset;
      if (operandAxis < 0 || operandShape[operandAxis] === 1) continue;
      const operandStride = operandAxis < operandShape.length - 1 ? operandStrides[operandAxis] : 1;
      index += coordinate * operandStride;
    }
    indices[flat] = index;
  }
  return indices;
}

/**
 * out = left · right for stacks of plain row-major matrices with broadcast batch shapes. Writes
 * into a fresh output of shape [...outBatchShape, left.rows, right.cols].
 */
function stackedProduct(backend: WasmBackendInternals, left: MatrixStack, right: MatrixStack, outBatchShape: number[]): TensorInfo {
  const m = left.rows;
  const k = left.cols;
  const n = right.cols;
  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  const outBatch = util.sizeFromShape(outBatchShape);
  if (outBatch * m * n === 0) return out;
  const outOffset = memoryOffset(backend, out);
  if (k === 0) {
    // An empty sum is zero; malloc'd memory is not.
    const start = outOffset / BYTES_PER_FLOAT;
    heapF32(backend.wasm).fill(0, start, start + outBatch * m * n);
    return out;
  }
  const leftOffset = memoryOffset(backend, left.info);
  const rightOffset = memoryOffset(backend, right.info);
  const rightBatch = util.sizeFromShape(right.batchShape);
  if (rightBatch === 1) {
    // One right matrix for every left one: stack the left rows into a single tall product.
    xnnProduct(backend, leftOffset, rightOffset, outOffset, outBatch * m, k, n);
    return out;
  }
  const leftIndex = broadcastBatchIndices(left.batchShape, outBatchShape);
  const rightIndex = broadcastBatchIndices(right.batchShape, outBatchShape);
  const leftBytes = m * k * BYTES_PER_FLOAT;
  const rightBytes = k * n * BYTES_PER_FLOAT;
  const outBytes = m * n * BYTES_PER_FLOAT;
  for (let i = 0; i < outBatch; i++) {
    xnnProduct(backend, leftOffset + leftIndex[i] * leftBytes, rightOffset + rightIndex[i] * rightBytes, outOffset + i * outBytes, m, k, n);
  }
  return out;
}

/** Inputs and attributes of the BatchMatMul kernel. */
export interface MatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * How transposed operands are made plain: `direct` computes op(a)·op(b) after transposing the
 * transposed operands; `swapped` computes op(b)ᵀ·op(a)ᵀ (transposing the untransposed ones) and
 * transposes that result. `auto` picks the one that moves fewer elements.
 */
export type MatMulPlan = 'auto' | 'direct' | 'swapped';

/**
 * op(a) · op(b) on the wasm backend, every product going through XNNPACK. Handles any rank ≥ 2,
 * transposes, and numpy-style broadcasting of the batch dimensions.
 */
export function fastBatchMatMul(backendArg: object, { a, b, transposeA, transposeB }: MatMulArgs, plan: MatMulPlan = 'auto'): TensorInfo {
  const backend = wasmInternals(backendArg);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const kA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (kA !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const sizeA = util.sizeFromShape(a.shape);
  const sizeB = util.sizeFromShape(b.shape);
  const sizeOut = util.sizeFromShape(outBatchShape) * m * n;

  // Two ways to reach plain operands:
  //   direct:  C  = op(a) · op(b)             transposes a if transposeA, b if transposeB;
  //   swapped: Cᵀ = op(b)ᵀ · op(a)ᵀ, then → C  transposes b if !transposeB, a if !transposeA, and C.
  // Each costs element moves: transposes, plus XNNPACK packing its right operand (once when that
  // operand has batch 1, else once per output matrix), which is several times dearer per element.
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const outBatch = util.sizeFromShape(outBatchShape);
  const packedB = (batchB === 1 ? 1 : outBatch) * kA * n;
  const packedA = (batchA === 1 ? 1 : outBatch) * kA * m;
  const directCost = TRANSPOSE_COST * ((transposeA ? sizeA : 0) + (transposeB ? sizeB : 0)) + PACK_COST * packedB;
  const swappedCost = TRANSPOSE_COST * ((transposeB ? 0 : sizeB) + (transposeA ? 0 : sizeA) + sizeOut) + PACK_COST * packedA;
  const useDirect = plan === 'direct' || (plan === 'auto' && directCost <= swappedCost);

  const stackA = asStack(a);
  const stackB = asStack(b);
  const temporaries: MatrixStack[] = [];
  const plain = (stack: MatrixStack, needsTranspose: boolean): MatrixStack => {
    if (!needsTranspose) return stack;
    const swapped = transposeStack(backend, stack);
    temporaries.push(swapped);
    return swapped;
  };
  try {
    if (useDirect) {
      return stackedProduct(backend, plain(stackA, transposeA), plain(stackB, transposeB), outBatchShape);
    }
    const productT = stackedProduct(backend, plain(stackB, !transposeB), plain(stackA, !transposeA), outBatchShape);
    const productStack: MatrixStack = { ...asStack(productT), owned: true };
    temporaries.push(productStack);
    return transposeStack(backend, productStack).info;
  } finally {
    for (const stack of temporaries) disposeStack(backend, stack);
  }
}

/**
 * Wraps {@link fastBatchMatMul} as a BatchMatMul kernel function. Plain 2-D-like products (no
 * transpose, batch 1 on both sides) and non-float32 inputs go to `original`: the stock kernel
 * caches XNNPACK's packed copy of a persistent right operand (a weight) across calls.
 */
export function makeFastBatchMatMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
    const transposeA = attrs?.transposeA === true;
    const transposeB = attrs?.transposeB === true;
    const batchA = util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = util.sizeFromShape(b.shape.slice(0, -2));
    const inner = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const empty = inner === 0 || util.sizeFromShape(a.shape) === 0 || util.sizeFromShape(b.shape) === 0;
    const stockIsFast = !transposeA && !transposeB && batchA === 1 && batchB === 1 && !empty;
    const nonFloat = a.dtype !== 'float32' || b.dtype !== 'float32';
    if (stockIsFast || nonFloat) return original(args);
    return fastBatchMatMul(args.backend, { a, b, transposeA, transposeB });
  };
}
