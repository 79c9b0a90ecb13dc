import { UsageError } from '../errors.js';
import { executionProviders, loadOrt, type Device, type OrtSessionOptions } from '../engine/onnx/session.js';
import type { EngineChoice } from '../inference/forward.js';
import type { ClassifierEngine, ClassifierEngineOptions } from './engine.js';
import { TfjsClassifierEngine } from './tfjs-engine.js';

export interface TrainingEngineOptions extends ClassifierEngineOptions {
  /** auto (default): onnxruntime when it loads — several times faster than TF.js on CPU — else TF.js. */
  engine?: EngineChoice;
  device?: Device;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
  /** Starts the TF.js backend; called only when the TF.js engine is chosen. */
  startTfjs: () => Promise<void>;
}

/**
 * The engine that runs full / top-k / gradual fine-tuning. The frozen strategy uses HeadEngine
 * instead (features are computed once). Both engines train the same model definition and agree
 * to float32 rounding with dropout off (test/onnx-train-engine.test.ts).
 */
export async function createTrainingEngine(options: TrainingEngineOptions): Promise<ClassifierEngine> {
  const choice = options.engine ?? 'auto';
  const { engine: _engine, device: _device, threads: _threads, startTfjs: _start, ...common } = options;
  if (choice !== 'tfjs') {
    try {
      await loadOrt();
      const { OnnxClassifierEngine } = await import('../engine/onnx/training/onnx-engine.js');
      const session: OrtSessionOptions = { executionProviders: executionProviders(options.device), ...(options.threads ? { threads: options.threads } : {}) };
      return new OnnxClassifierEngine({ ...common, session });
    } catch (e) {
      if (choice === 'onnxruntime' || options.device === 'cuda') throw new UsageError(`--engine onnxruntime: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  await options.startTfjs();
  return new TfjsClassifierEngine(common);
}
