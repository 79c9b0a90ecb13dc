import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The parts of the Emscripten module behind tfjs-backend-wasm that our kernels use. The package
 * types it as an `EmscriptenModule` whose declarations are not installed, so we name what we need.
 */
export interface WasmModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
  /** Present in the threaded build, where memory is a growable SharedArrayBuffer. */
  wasmMemory?: { readonly buffer: ArrayBufferLike };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  /** C entry of the stock BatchMatMul kernel: ids and int32 shape pointers of rank-3 operands. */
  _BatchMatMul(
    aId: number,
    aShapePtr: number,
    aRank: number,
    bId: number,
    bShapePtr: number,
    bRank: number,
    transposeA: number,
    transposeB: number,
    outId: number,
  ): void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
    getThreadsCount(): number;
  };
}

interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
}

/** The runtime shape of `BackendWasm` (some members are private in its typings). */
export interface WasmBackendInternals {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Views the tfjs kernel backend object handed to a wasm kernel as its internals. */
export function wasmInternals(backend: KernelBackend | object): WasmBackendInternals {
  const candidate = backend as Partial<WasmBackendInternals>;
  if (candidate.wasm === undefined || candidate.dataIdMap === undefined) {
    throw new Error('expected the TensorFlow.js wasm backend, got another backend');
  }
  return candidate as WasmBackendInternals;
}

/** Byte offset on the wasm heap where a tensor's data starts. */
export function memoryOffset(backend: WasmBackendInternals, tensor: TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw new Error('tensor is not stored on the wasm backend');
  return data.memoryOffset;
}

/**
 * Current float32 / int32 views of the heap. Heap growth replaces the ArrayBuffer, and in the
 * threaded build a worker may grow it without the main thread's exported views being refreshed,
 * so views are taken from the memory object itself when there is one.
 */
export function heapF32(wasm: WasmModule): Float32Array {
  const shared = wasm.wasmMemory?.buffer;
  if (shared !== undefined && wasm.HEAPF32.buffer !== shared) return new Float32Array(shared);
  return wasm.HEAPF32;
}

/** See {@link heapF32}. */
export function heapI32(wasm: WasmModule): Int32Array {
  const shared = wasm.wasmMemory?.buffer;
  if (shared !== undefined && wasm.HEAP32.buffer !== shared) return new Int32Array(shared);
  return wasm.HEAP32;
}

/**
 * Registers a tensor id for `size` elements that live at `byteOffset` inside memory owned by
 * another tensor, so C kernels can read or write a slice without a copy. Release it with
 * {@link releaseView}, never with `disposeData` (that would free the owner's memory).
 */
export function registerView(backend: WasmBackendInternals, byteOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, byteOffset);
  return id;
}

/**
 * Forgets a view id. The C side also drops any XNNPACK operator it cached for that id, which
 * matters: ids are never reused, so a cached operator would otherwise leak.
 */
export function releaseView(backend: WasmBackendInternals, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}
