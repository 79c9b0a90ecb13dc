import { ElemType, type Graph } from './graph.js';
import { loadOrt, webgpuReason } from './session.js';
import { toModelBytes } from './to-proto.js';

/** Whether onnxruntime's WebGPU execution provider finds an adapter here, and why not when it does not. */
export type WebgpuProbe = { available: true } | { available: false; reason: string };

let probe: Promise<WebgpuProbe> | undefined;

/**
 * Tries a one-node session (Relu) with `executionProviders: ['webgpu']` and no CPU fallback: it starts
 * only when Dawn finds a Vulkan adapter (a GPU's driver, or Mesa's lavapipe on a CPU machine). Without
 * one it fails in tens of milliseconds, so `bertft info` stays fast. Done once per process.
 */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probe ??= (async (): Promise<WebgpuProbe> => {
    let ort: Awaited<ReturnType<typeof loadOrt>>;
    try {
      ort = await loadOrt();
    } catch (e) {
      return { available: false, reason: (e as Error).message.split('\n')[0] ?? 'onnxruntime-node cannot be loaded' };
    }
    const graph: Graph = {
      name: 'webgpu_probe',
      nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'], attributes: {} }],
      inputs: [{ name: 'x', elemType: ElemType.Float, shape: [1] }],
      outputs: [{ name: 'y', elemType: ElemType.Float, shape: [1] }],
      initializers: new Map(),
    };
    try {
      const session = await ort.InferenceSession.create(toModelBytes(graph), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([-1]), [1]) });
      await session.release();
      if ((out.y?.data as Float32Array | undefined)?.[0] !== 0) return { available: false, reason: 'the WebGPU provider started but computed a wrong Relu' };
      return { available: true };
    } catch (e) {
      return { available: false, reason: webgpuReason((e as Error).message) };
    }
  })();
  return probe;
}
