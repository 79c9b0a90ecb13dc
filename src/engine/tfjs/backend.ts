import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../../errors.js';

/**
 * Chooses and starts the TensorFlow.js backend. The native bindings (`@tensorflow/tfjs-node-gpu`,
 * `@tensorflow/tfjs-node`) are optional peers: used when installed, skipped silently when not.
 * wasm (with our fast kernels) is the portable default; the pure-JS cpu backend is the last resort.
 */

import { TFJS_BACKENDS, type TfjsBackendChoice } from './backend-names.js';

export { TFJS_BACKENDS, type TfjsBackendChoice };

export interface TfjsBackendInfo {
  /** What was asked for. */
  requested: TfjsBackendChoice;
  /** The package that provides the backend. */
  provider: Exclude<TfjsBackendChoice, 'auto'>;
  /** tfjs' own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Worker threads the backend uses (1 when it runs on the main thread). */
  threads: number;
  /** Backends that were tried before this one, and why they were not used. */
  skipped: string[];
}

let active: TfjsBackendInfo | undefined;
let starting: Promise<TfjsBackendInfo> | undefined;

async function tryNative(pkg: 'tfjs-node-gpu' | 'tfjs-node'): Promise<boolean> {
  try {
    await import(`@tensorflow/${pkg}`);
  } catch {
    return false;
  }
  return tf.setBackend('tensorflow');
}

async function startWasm(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { registerFastWasmKernels } = await import('./wasm-kernels.js');
  const { enableWasmThreads, availableCores } = await import('./wasm-threads.js');
  // XNNPACK's thread pool: all cores by default (about 1.3× faster training steps on 2 cores); BERTFT_THREADS=1 turns it off.
  enableWasmThreads(Number(process.env.BERTFT_THREADS ?? availableCores()));
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start');
  registerFastWasmKernels();
  return wasm.getThreadsCount();
}

async function startCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to start');
}

/**
 * tfjs-core's Node bundle registers no gradient functions; the union package's bundle does
 * (into the same global registry), so training needs it loaded once.
 */
async function registerGradients(): Promise<void> {
  await import('@tensorflow/tfjs');
}

async function start(requested: TfjsBackendChoice): Promise<TfjsBackendInfo> {
  await registerGradients();
  const order: Exclude<TfjsBackendChoice, 'auto'>[] = requested === 'auto' ? ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] : [requested];
  const skipped: string[] = [];
  for (const provider of order) {
    if (provider === 'tfjs-node-gpu' || provider === 'tfjs-node') {
      if (await tryNative(provider)) return { requested, provider, backend: 'tensorflow', threads: 0, skipped };
      skipped.push(`${provider}: @tensorflow/${provider} is not installed`);
      continue;
    }
    if (provider === 'wasm') {
      const threads = await startWasm();
      return { requested, provider, backend: 'wasm', threads, skipped };
    }
    await startCpu();
    return { requested, provider, backend: 'cpu', threads: 1, skipped };
  }
  throw new UsageError(`backend "${requested}" is not available: install @tensorflow/${requested} (an optional peer), or pass --backend auto`);
}

/**
 * Starts the backend once per process (tfjs keeps one global engine). Later calls return the
 * running backend; asking for a different one after start-up is an error rather than a silent switch.
 */
export async function initTfjs(requested: TfjsBackendChoice = 'auto'): Promise<TfjsBackendInfo> {
  if (!TFJS_BACKENDS.includes(requested)) {
    throw new UsageError(`unknown backend "${requested}"; choose one of ${TFJS_BACKENDS.join(', ')}`);
  }
  if (!starting) {
    starting = start(requested).then((info) => (active = info));
  }
  const info = await starting;
  if (requested !== 'auto' && info.provider !== requested) {
    throw new UsageError(`backend ${info.provider} is already running in this process; cannot switch to ${requested}`);
  }
  return info;
}

/** The running backend, if one was started. */
export function activeTfjsBackend(): TfjsBackendInfo | undefined {
  return active;
}
