import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

/*
 * tfjs-backend-wasm ships a threaded SIMD build, but in Node it never loads it: its
 * WASM_HAS_MULTITHREAD_SUPPORT flag answers false there (tfjs issue #3830), and its loader hands
 * Emscripten a Blob URL for the pthread worker script, which Node's worker_threads cannot open.
 * Here the 'wasm' backend factory is replaced by one that loads that same build with what Node
 * needs: the worker script written to a real file, and the main script's own path for the
 * workers to import. XNNPACK then runs matrix products (and its other operators) on a pthreadpool
 * of Node worker threads. On 2 idle cores: 4096×128·128×512 goes from 20 to about 50 GFLOP/s and
 * a BERT-Tiny training step from 0.99 to 0.76 s. But every XNNPACK call ends at a barrier that
 * waits for all threads, so when another process holds a core the same step took 1.75 s: this is
 * an opt-in, for machines whose cores are ours.
 */

const require = createRequire(import.meta.url);
const THREADED_FACTORY = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const THREADED_WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
/** The threaded build preallocates this many pthread workers and never uses more. */
const MAX_THREADS = 8;

interface NodeWorkerLike {
  unref(): void;
}

interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { unusedWorkers: NodeWorkerLike[]; runningWorkers: NodeWorkerLike[] };
  tfjs?: Record<string, unknown>;
}

type ModuleFactory = (config: { locateFile(path: string, prefix: string): string; mainScriptUrlOrBlob: string }) => Promise<ThreadedModule>;

interface BackendRegistration {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}

let workerScriptPath: string | undefined;
let stockRegistration: BackendRegistration | undefined;

/** Writes Emscripten's pthread worker script to a temporary .cjs file, once per process. */
function workerScript(): string {
  if (workerScriptPath !== undefined) return workerScriptPath;
  const { wasmWorkerContents } = require(THREADED_WORKER) as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(os.tmpdir(), 'bertft-tfjs-wasm-'));
  const path = join(dir, 'pthread-worker.cjs');
  // The package stores the script in a template literal, so its "\n" escapes arrived as real
  // newlines inside string literals; escape them back (tfjs's browser loader does the same).
  writeFileSync(path, wasmWorkerContents.replace(/\n/g, '\\n'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  workerScriptPath = path;
  return path;
}

/**
 * Runs `body` while os.cpus() reports `2 × threads` processors: the threaded build sizes its
 * thread cap as half the logical cores (assuming hyper-threading), which on a 2-core machine
 * would allow only one thread.
 */
async function withReportedCpus<T>(threads: number, body: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const cpus = realCpus();
  const reported = Array.from({ length: 2 * threads }, (_, i) => cpus[i % Math.max(1, cpus.length)]);
  os.cpus = () => reported;
  try {
    return await body();
  } finally {
    os.cpus = realCpus;
  }
}

/**
 * Runs `body` while worker_threads' Worker starts workers without the parent's Node flags. By
 * default a worker inherits process.execArgv, and flags like --input-type, --test or --inspect
 * make the pthread workers fail or misbehave; the worker script needs none of them.
 */
async function withPlainWorkers<T>(body: () => Promise<T>): Promise<T> {
  const threadsModule = require('node:worker_threads') as typeof import('node:worker_threads');
  const RealWorker = threadsModule.Worker;
  class PlainWorker extends RealWorker {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(filename, { ...options, execArgv: [] });
    }
  }
  threadsModule.Worker = PlainWorker;
  try {
    return await body();
  } finally {
    threadsModule.Worker = RealWorker;
  }
}

async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const factoryPath = require.resolve(THREADED_FACTORY);
  const factory = require(factoryPath) as ModuleFactory;
  const worker = workerScript();
  // Emscripten creates its pool of pthread workers synchronously inside the factory call.
  const module = await withPlainWorkers(() =>
    withReportedCpus(threads, () =>
      factory({
        locateFile: (path, prefix) => (path.endsWith('.worker.js') ? worker : prefix + path),
        mainScriptUrlOrBlob: factoryPath,
      }),
    ),
  );
  // The same bridge tfjs-backend-wasm's own loader attaches.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as never);
  // Idle pool threads must not keep the process alive after the program is done.
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
  return backend;
}

/** Logical cores Node may use, the default thread count. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Makes the 'wasm' backend, when it is next initialised, load tfjs-backend-wasm's threaded SIMD
 * build so XNNPACK operators (matrix products above all) use `threads` cores. Node only; call it
 * before `tf.setBackend('wasm')`. If the threaded build then fails to start, the stock
 * single-threaded loader is used instead. Returns false (and changes nothing) when not in Node,
 * when `threads` ≤ 1, or when the wasm backend was already initialised.
 */
export function enableWasmThreads(threads: number = availableCores()): boolean {
  const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
  const count = Math.min(MAX_THREADS, Math.floor(threads));
  if (!isNode || !(count > 1)) return false;
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, BackendRegistration | undefined>;
  };
  if (engine.registry.wasm !== undefined) return false;
  // Keep the first (stock) registration, so calling this twice does not wrap our own factory.
  stockRegistration ??= engine.registryFactory.wasm;
  const stock = stockRegistration;
  if (stock === undefined) return false;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await createThreadedBackend(count);
      } catch {
        setThreadsCount(-1);
        return stock.factory();
      }
    },
    stock.priority,
  );
  return true;
}

/** Threads the initialised wasm backend's XNNPACK pool really uses (-1 before initialisation). */
export function wasmThreadCount(): number {
  return getThreadsCount();
}
