import { BertftError } from '../../errors.js';

/**
 * Out-of-memory on a GPU provider, said in one line that names the batch tried and the cure.
 *
 * What onnxruntime 1.30 reports (its sources, and lavapipe runs):
 * - WebGPU: Dawn's `CreateBuffer` failing (`VK_ERROR_OUT_OF_DEVICE_MEMORY`) is only *logged*
 *   ("WebGPU device error(3): … out of memory"; the device's uncaptured-error callback does not throw),
 *   and the run then fails on the broken buffer: "Failed to create GPU buffer: size=…", "Failed to
 *   download data from buffer", or, for a tensor larger than the storage-binding limit allows even when
 *   split, "Too many storage buffers in shader" / "exceeding maxStorageBufferBindingSize". All of these
 *   come from a batch too large for the device.
 * - CUDA: "CUDA failure 2: out of memory", "CUDA error cudaErrorMemoryAllocation", or the BFC arena's
 *   "Failed to allocate memory for requested buffer" / "ran out of memory trying to allocate".
 */
const OUT_OF_MEMORY = [
  /out of (device )?memory/i,
  /OUT_OF_DEVICE_MEMORY/,
  /Failed to create GPU buffer/,
  /Failed to download data from buffer/,
  /Too many storage buffers in shader/,
  /maxStorageBufferBindingSize/,
  /exceeds the max buffer size/i,
  /cudaErrorMemoryAllocation/,
  /Failed to allocate memory/,
  /ran out of memory/,
];

/** Whether an onnxruntime error message says the device ran out of memory (or a tensor is too large for it). */
export function isOutOfGpuMemory(message: string): boolean {
  return OUT_OF_MEMORY.some((re) => re.test(message));
}

export interface StepShape {
  device: string;
  /** Rows of the micro-batch that failed. */
  rows: number;
  /** Its padded length in tokens. */
  seqLength: number;
  /** Micro-batches per optimiser step (--gradient-accumulation-steps). */
  microBatches: number;
}

/**
 * The one line for an out-of-memory training step: the batch size tried (rows per optimiser step and
 * per micro-batch) and what to do: a smaller --batch-size, or more --gradient-accumulation-steps, which
 * keeps the optimiser step and halves what the GPU holds at once.
 */
export function outOfGpuMemoryMessage(shape: StepShape, detail: string): string {
  const { device, rows, seqLength, microBatches } = shape;
  const batch = rows * microBatches;
  const more = microBatches * 2;
  const split =
    batch % more === 0
      ? `--gradient-accumulation-steps ${more} (micro-batches of ${batch / more}, the same optimiser steps)`
      : 'more --gradient-accumulation-steps';
  // The sentence that says it, without onnxruntime's source location and failed condition.
  const line = detail.split('\n').find((l) => isOutOfGpuMemory(l)) ?? detail.split('\n')[0] ?? '';
  const reason = line
    .replace(/^.*Status Message: /, '')
    .replace(/^.*? was false\. /, '')
    .trim();
  return (
    `--device ${device}: out of GPU memory at batch size ${batch} (micro-batches of ${rows} × ${seqLength} tokens, ${microBatches} per step); ` +
    `lower --batch-size (e.g. ${Math.max(1, Math.floor(batch / 2))}) or use ${split} (onnxruntime: ${reason.slice(0, 200)})`
  );
}

/** The BertftError for an onnxruntime failure that is out of memory, else undefined (the caller rethrows). */
export function gpuMemoryError(e: unknown, shape: StepShape): BertftError | undefined {
  const message = e instanceof Error ? e.message : String(e);
  return isOutOfGpuMemory(message) ? new BertftError(outOfGpuMemoryMessage(shape, message)) : undefined;
}
