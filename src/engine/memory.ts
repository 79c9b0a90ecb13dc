/**
 * Memory as training reports it: the host's resident set (process.memoryUsage().rss, and its peak from
 * process.resourceUsage().maxRSS), and on WebGPU the bytes of parameters and AdamW moments kept in GPU
 * buffers. onnxruntime-node 1.30 exposes no figure for the GPU memory it uses (no allocator statistics
 * and no `ort.env.webgpu.device` in Node), so the GPU figure is what bertft itself keeps resident, not
 * the provider's total (activations and its buffer cache come on top).
 */

let peakGpuResident = 0;

/** Records the bytes of training state resident on the GPU after a step (the peak is reported). */
export function noteGpuResident(bytes: number): void {
  if (bytes > peakGpuResident) peakGpuResident = bytes;
}

export interface MemoryUse {
  rssBytes: number;
  peakRssBytes: number;
  /** Peak bytes of parameters and moments resident on the GPU in this process (0: none). */
  gpuResidentBytes: number;
}

export function memoryUse(): MemoryUse {
  return { rssBytes: process.memoryUsage.rss(), peakRssBytes: process.resourceUsage().maxRSS * 1024, gpuResidentBytes: peakGpuResident };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;

/** Short fields for a progress line: `rss 412 MB`, and `gpu 21 MB` once state is resident there. */
export function memoryFields(use: MemoryUse = memoryUse()): Record<string, string> {
  return use.gpuResidentBytes > 0 ? { rss: mb(use.rssBytes), gpu: mb(use.gpuResidentBytes) } : { rss: mb(use.rssBytes) };
}

/** One clause for a run's summary line. */
export function memorySummary(use: MemoryUse = memoryUse()): string {
  const gpu = use.gpuResidentBytes > 0 ? `; GPU: ${mb(use.gpuResidentBytes)} of parameters and AdamW moments resident` : '';
  return `host RSS ${mb(use.rssBytes)} (peak ${mb(use.peakRssBytes)})${gpu}`;
}
