// Type-only imports of TF.js modules: TF.js itself loads only when the TF.js engine runs (engine/tfjs/runner.ts).
import type { TfjsBackendChoice } from '../engine/tfjs/backend.js';
import { executionProviders } from '../engine/onnx/session.js';
import type { Device, DeviceChoice, ForwardRunner } from '../engine/types.js';
import { preferOnnx, type EngineChoice } from '../engine/select.js';
import { UsageError } from '../errors.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';

/** How TextClassifier.fromPretrained and Encoder.fromPretrained load and run a model. */
export interface ModelLoadOptions {
  /** TF.js backend when the TF.js engine runs (default: the best installed). */
  backend?: TfjsBackendChoice;
  /** `auto` (default: onnxruntime when it loads, else TF.js), `tfjs` or `onnxruntime`. */
  engine?: EngineChoice;
  /** cpu (default) or cuda: onnxruntime's CUDA execution provider. */
  device?: DeviceChoice;
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
  /** A token-classification head: the runner returns every token's logits [B, S, C]. */
  tokenClassifier?: ReadonlyMap<string, HostTensor>;
  /** No head: the runner returns every token's last hidden state [B, S, H] (pooling is then unused). */
  hiddenStates?: boolean;
  engine?: EngineChoice;
  backend?: TfjsBackendChoice;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /** cpu (default) or cuda (onnxruntime's CUDA execution provider). */
  device?: DeviceChoice;
  /**
   * int8 matrix products and embedding rows (engine/onnx/quantize.ts, the rewrite `export --quantize`
   * writes as model_quantized.onnx). onnxruntime only: the TF.js engine has no int8 kernels.
   */
  quantize?: boolean;
}

/** Wraps the ONNX runner so both engines share one interface. */
async function onnxRunner(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  options: ForwardOptions,
  device: Device | undefined,
): Promise<ForwardRunner> {
  const { OnnxEncoderRunner } = await import('../engine/onnx/runner.js');
  const runner = await OnnxEncoderRunner.create(config, weights, {
    pooling: options.pooling,
    classifier: options.classifier,
    tokenClassifier: options.tokenClassifier,
    hiddenStates: options.hiddenStates,
    threads: options.threads,
    executionProviders: executionProviders(device),
    quantize: options.quantize,
  });
  return { engine: 'onnxruntime', run: (b) => runner.run(b), dispose: () => runner.dispose() };
}

/** Creates the forward runner for an engine choice (auto falls back to TF.js if onnxruntime cannot load). */
export async function createForwardRunner(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, options: ForwardOptions): Promise<ForwardRunner> {
  return preferOnnx(
    options.engine ?? 'auto',
    options.device,
    (device) => onnxRunner(config, weights, options, device),
    async () => {
      if (options.quantize)
        throw new UsageError('--quantize runs on onnxruntime only (int8 kernels); drop --engine tfjs, or check that onnxruntime-node loads');
      const [{ initTfjs }, { TfjsRunner }] = await Promise.all([import('../engine/tfjs/backend.js'), import('../engine/tfjs/runner.js')]);
      await initTfjs(options.backend ?? 'auto');
      return new TfjsRunner(config, weights, options);
    },
  );
}
