// Type-only imports of TF.js modules: TF.js itself loads only when the TF.js engine runs (tfjs-runner.ts).
import type { TfjsBackendChoice } from '../engine/tfjs/backend.js';
import type { TokenBatch } from '../engine/tfjs/inputs.js';
import { executionProviders, type Device } from '../engine/onnx/session.js';
import { UsageError } from '../errors.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';

/** Which engine runs forward passes: `auto` = onnxruntime when it loads (about 10× faster here), else TF.js. */
export type EngineChoice = 'auto' | 'tfjs' | 'onnxruntime';
export const ENGINES: readonly EngineChoice[] = ['auto', 'tfjs', 'onnxruntime'];

/** Pooled features [B, H], or logits [B, C] when built with a classifier head. */
export interface ForwardRunner {
  readonly engine: 'tfjs' | 'onnxruntime';
  run(batch: TokenBatch): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** How TextClassifier.fromPretrained and Encoder.fromPretrained load and run a model. */
export interface ModelLoadOptions {
  /** TF.js backend when the TF.js engine runs (default: the best installed). */
  backend?: TfjsBackendChoice;
  /** `auto` (default: onnxruntime when it loads, else TF.js), `tfjs` or `onnxruntime`. */
  engine?: EngineChoice;
  /** cpu (default) or cuda: onnxruntime's CUDA execution provider. */
  device?: Device;
  /** Use only the local Hub cache (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Hub revision (branch, tag or commit) for Hub ids. */
  revision?: string;
  /**
   * int8 matrix products on onnxruntime (faster from BERT-Mini up; classifier scores move by about
   * 1e-2, embedding vectors keep cosine > 0.99; docs/engine-onnx.md).
   */
  quantize?: boolean;
}

export interface ForwardOptions {
  pooling: Pooling;
  classifier?: ReadonlyMap<string, HostTensor>;
  engine?: EngineChoice;
  backend?: TfjsBackendChoice;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /** cpu (default) or cuda (onnxruntime's CUDA execution provider). */
  device?: Device;
  /**
   * int8 matrix products and embedding rows (engine/onnx/quantize.ts, the rewrite `export --quantize`
   * writes as model_quantized.onnx). onnxruntime only: the TF.js engine has no int8 kernels.
   */
  quantize?: boolean;
}

/** Wraps the ONNX runner so both engines share one interface. */
async function onnxRunner(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, options: ForwardOptions): Promise<ForwardRunner> {
  const { OnnxEncoderRunner } = await import('../engine/onnx/runner.js');
  const runner = await OnnxEncoderRunner.create(config, weights, { pooling: options.pooling, classifier: options.classifier, threads: options.threads, executionProviders: executionProviders(options.device), quantize: options.quantize });
  return { engine: 'onnxruntime', run: (b) => runner.run(b), dispose: () => runner.dispose() };
}

/**
 * Runs `onnx()` unless the choice is tfjs; when onnxruntime cannot start, `auto` on the CPU falls
 * back to `fallback()`, while an explicit `--engine onnxruntime` or `--device cuda` fails clearly.
 * Shared by inference (here) and training (training/select-engine.ts).
 */
export async function preferOnnx<T>(engine: EngineChoice, device: Device | undefined, onnx: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}; got "${engine}"`);
  if (engine !== 'tfjs') {
    try {
      return await onnx();
    } catch (e) {
      const flag = engine === 'onnxruntime' ? '--engine onnxruntime' : device === 'cuda' ? '--device cuda' : undefined;
      if (flag) throw new UsageError(`${flag}: onnxruntime-node cannot start (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return fallback();
}

/** Creates the forward runner for an engine choice (auto falls back to TF.js if onnxruntime cannot load). */
export async function createForwardRunner(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, options: ForwardOptions): Promise<ForwardRunner> {
  return preferOnnx(options.engine ?? 'auto', options.device, () => onnxRunner(config, weights, options), async () => {
    if (options.quantize) throw new UsageError('--quantize runs on onnxruntime only (int8 kernels); drop --engine tfjs, or check that onnxruntime-node loads');
    const [{ initTfjs }, { TfjsRunner }] = await Promise.all([import('../engine/tfjs/backend.js'), import('./tfjs-runner.js')]);
    await initTfjs(options.backend ?? 'auto');
    return new TfjsRunner(config, weights, options);
  });
}
