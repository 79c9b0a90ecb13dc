import { executionProviders, loadOrt, type Device } from '../engine/onnx/session.js';
import { preferOnnx, type EngineChoice } from '../inference/forward.js';
import type { ClassifierEngine, ClassifierEngineOptions } from '../engine/types.js';
import { TfjsClassifierEngine } from './tfjs-engine.js';

export interface TrainingEngineOptions extends ClassifierEngineOptions {
  /** auto (default): onnxruntime when it loads — several times faster than TF.js on CPU — else TF.js. */
  engine?: EngineChoice;
  device?: Device;
  /** Starts the TF.js backend; called only when the TF.js engine is chosen. */
  startTfjs: () => Promise<void>;
}

/**
 * The engine that runs full / top-k / gradual fine-tuning. The frozen strategy uses HeadEngine
 * instead (features are computed once). Both engines train the same model definition and agree
 * to float32 rounding with dropout off (test/onnx-train-engine.test.ts).
 */
export async function createTrainingEngine(options: TrainingEngineOptions): Promise<ClassifierEngine> {
  const { engine = 'auto', device, startTfjs, ...common } = options;
  return preferOnnx<ClassifierEngine>(
    engine,
    device,
    async () => {
      await loadOrt(); // fail here, not at the first step, when onnxruntime-node cannot load
      const { OnnxClassifierEngine } = await import('../engine/onnx/training/onnx-engine.js');
      return new OnnxClassifierEngine({ ...common, session: { executionProviders: executionProviders(device) } });
    },
    async () => {
      await startTfjs();
      return new TfjsClassifierEngine(common);
    },
  );
}
