/**
 * The execution provider a training step graph is written for: the one place that decides it.
 *
 * `cpu` (the default, also used for CUDA, which has kernels for everything the CPU graphs use) keeps
 * the formulations the CPU training runs were measured and pinned with: their model.safetensors stay
 * byte-identical. `webgpu` writes the same mathematics with only ops and element types that
 * onnxruntime's WebGPU provider has kernels for (float32 compute, int64 only as Gather/Scatter
 * indices and as shapes read by Shape/Slice/Expand/Reshape), so a session can start with
 * `session.disable_cpu_ep_fallback = 1` and no node runs on the CPU (docs/gpu.md lists what changes).
 */
export type GraphTarget = 'cpu' | 'webgpu';

/** The graph target for a session's execution providers: `webgpu` when WebGPU is the first choice. */
export function graphTargetOf(executionProviders: readonly string[] | undefined): GraphTarget {
  return executionProviders?.[0] === 'webgpu' ? 'webgpu' : 'cpu';
}
