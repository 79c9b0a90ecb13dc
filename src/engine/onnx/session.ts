import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { BertftError } from '../../errors.js';
import { checkDevice, type Device } from '../types.js';

/**
 * onnxruntime-node sessions. The native module is loaded on first use, so commands that never
 * touch ONNX do not pay for it (and a broken install only fails the ONNX paths, clearly).
 */

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

let ortPromise: Promise<OrtModule> | undefined;

/** The onnxruntime-node module, imported once. */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => m,
    (e: unknown) => {
      ortPromise = undefined;
      throw new BertftError(`onnxruntime-node cannot be loaded (${(e as Error).message.split('\n')[0]}); reinstall it with npm`);
    },
  );
  return ortPromise;
}

/**
 * onnxruntime execution providers for a device; under CUDA and WebGPU, ops they lack run on the CPU
 * (under WebGPU: none of BERT's inference graphs, nor its training graphs built for the webgpu target,
 * training/graph-target.ts; the other families' int64 position arithmetic — docs/gpu.md).
 */
export function executionProviders(device: Device = 'cpu'): string[] {
  checkDevice(device); // a planned device fails with one usage line, not inside onnxruntime
  if (device === 'cuda') return ['cuda', 'cpu'];
  // XDG_RUNTIME_DIR: not set here on purpose. Dawn over Vulkan (Mesa's lavapipe, 25.0) found its adapter with it
  // unset (checked on the 2-core CI image), so bertft does not touch the environment.
  if (device === 'webgpu') return ['webgpu', 'cpu'];
  return ['cpu'];
}

/** The one-line reason in onnxruntime's WebGPU error ("Failed to get a WebGPU adapter: No supported adapters"). */
export function webgpuReason(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return /Failed to get a WebGPU adapter[^\n]*/.exec(first)?.[0] ?? first.replace(/^.*? was false\. /, '');
}

export interface OrtSessionOptions {
  /** Threads for one operator (default: every core; the 2-core CI box gains ~1.8× over one). */
  threads?: number;
  /** Graph optimisation level (default `all`: fusions such as Gelu, SkipLayerNorm, MatMul+Add). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Execution providers in order of preference (default `['cpu']`; `cuda` needs a CUDA build of onnxruntime-node). */
  executionProviders?: string[];
  /** Write the optimised graph here (for inspecting what onnxruntime fused). */
  optimizedModelPath?: string;
  /**
   * Let idle intra-op threads spin between operators (default false; onnxruntime's own default is
   * true). Spinning saves the wake-up of a parallel section, but the spinning threads take the
   * cores from everything else: from the JavaScript work between steps (batches, dropout masks,
   * embedding rows) and from any other process. On the 2-core machine, side by side under load,
   * a Tiny step at 32 × 16 tokens took 0.55× the time without spinning and a Mini step at
   * 32 × 128 0.84× (bench/speed/onnx-step-settings.ts); PyTorch's reference waits passively too.
   */
  spinning?: boolean;
  /** Write onnxruntime's per-operator profile (JSON) to files starting with this prefix. */
  profilePrefix?: string;
  /**
   * Let onnxruntime place nodes the first provider has no kernel for on the CPU provider (default
   * true). False sets `session.disable_cpu_ep_fallback`: the session then fails to start instead,
   * which is how the tests prove a graph runs wholly on WebGPU.
   */
  cpuFallback?: boolean;
  /**
   * Outputs to leave on the device (`'gpu-buffer'`, WebGPU only) rather than copy to the host
   * (`'cpu'`, the default): a training step's new parameters and moments (training/resident-state.ts).
   */
  outputLocations?: Record<string, 'cpu' | 'gpu-buffer'>;
}

/** The one line for `--device webgpu` without a usable adapter (from a failed session, or the probe). */
export function webgpuStartError(reason: string): BertftError {
  return new BertftError(
    `--device webgpu: onnxruntime-node cannot start its WebGPU execution provider (${reason}); ` +
      "it needs a Vulkan driver: a GPU's, or on a CPU machine Mesa's lavapipe (mesa-vulkan-drivers 25 or later, docs/gpu.md)",
  );
}

/** Creates an onnxruntime session from model bytes. */
export async function createSession(model: Uint8Array, options: OrtSessionOptions = {}): Promise<OrtSession> {
  const ort = await loadOrt();
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new BertftError(`threads must be a positive whole number, got ${threads}`);
  try {
    return await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      // One graph runs at a time; parallel operator scheduling would only oversubscribe the cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.optimization ?? 'all',
      executionProviders: options.executionProviders ?? ['cpu'],
      ...(options.optimizedModelPath === undefined ? {} : { optimizedModelFilePath: options.optimizedModelPath }),
      ...(options.profilePrefix === undefined ? {} : { enableProfiling: true, profileFilePrefix: options.profilePrefix }),
      ...(options.outputLocations === undefined ? {} : { preferredOutputLocation: options.outputLocations }),
      extra: {
        session: {
          intra_op: { allow_spinning: options.spinning === true ? '1' : '0' },
          ...(options.cpuFallback === false ? { disable_cpu_ep_fallback: '1' } : {}),
        },
      },
      logSeverityLevel: 3,
    });
  } catch (e) {
    const providers = options.executionProviders ?? ['cpu'];
    if (providers.includes('webgpu') && /webgpu/i.test((e as Error).message)) throw webgpuStartError(webgpuReason((e as Error).message));
    if (providers.includes('cuda') && /cuda/i.test((e as Error).message)) {
      throw new BertftError(
        `--device cuda: onnxruntime-node cannot start its CUDA execution provider (${(e as Error).message.split('\n')[0]}); ` +
          'install its CUDA provider with ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js and check CUDA 12 + cuDNN 9 are installed (docs/troubleshooting.md)',
      );
    }
    // bertft writes every graph it runs, so a rejected graph is a bug: keep the cause and stack.
    throw new Error(`onnxruntime rejected the traced model: ${(e as Error).message}`, { cause: e });
  }
}

/** Widens int32 token rows to the int64 tensors the graph takes. */
export function int64Tensor(ort: OrtModule, values: Int32Array, dims: number[]): Ort.Tensor {
  // Little-endian int64 = (low word, sign word): two int32 stores per value instead of a BigInt.
  const wide = new BigInt64Array(values.length);
  const words = new Int32Array(wide.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = v >> 31;
  }
  return new ort.Tensor('int64', wide, dims);
}
