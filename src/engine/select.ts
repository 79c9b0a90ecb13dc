import { UsageError } from '../errors.js';
import { executionProviders, loadOrt } from './onnx/session.js';
import { checkDevice, checkTrainingDevice, type Device, type TrainingEngine, type TrainingEngineOptions } from './types.js';

/** Which engine runs forward passes: `auto` = onnxruntime when it loads (about 10× faster here), else TF.js. */
export type EngineChoice = 'auto' | 'tfjs' | 'onnxruntime';
export const ENGINES: readonly EngineChoice[] = ['auto', 'tfjs', 'onnxruntime'];

/**
 * Runs `onnx()` unless the choice is tfjs; when onnxruntime cannot start, `auto` on the CPU falls
 * back to `fallback()`, while an explicit `--engine onnxruntime`, `--device cuda` or `--device webgpu` fails clearly.
 * Shared by inference (inference/forward.ts, inference/masked-lm.ts) and training (createTrainingEngine below).
 */
export async function preferOnnx<T>(engine: EngineChoice, device: Device | undefined, onnx: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}; got "${engine}"`);
  // Before trying onnxruntime: a planned device (webgpu) must fail with its usage line, not fall back to TF.js.
  if (device !== undefined) checkDevice(device);
  if (engine !== 'tfjs') {
    try {
      return await onnx();
    } catch (e) {
      const flag = engine === 'onnxruntime' ? '--engine onnxruntime' : device === 'cuda' || device === 'webgpu' ? `--device ${device}` : undefined;
      const first = (e as Error).message.split('\n')[0];
      // createSession already named the device and the cure (e.g. "--device webgpu: ... no adapter"): keep its line.
      if (flag && device !== undefined && first?.startsWith(`--device ${device}: `)) throw new UsageError(first);
      if (flag) throw new UsageError(`${flag}: onnxruntime-node cannot start (${first})`);
    }
  }
  return fallback();
}

export interface CreateTrainingEngineOptions extends TrainingEngineOptions {
  /** auto (default): onnxruntime when it loads — several times faster than TF.js on CPU — else TF.js. */
  engine?: EngineChoice;
  device?: Device;
  /** Starts the TF.js backend; called only when the TF.js engine is chosen. */
  startTfjs: () => Promise<void>;
}

/**
 * The engine that runs full / top-k / gradual fine-tuning. The frozen strategy uses TfjsHeadEngine
 * instead (features are computed once). Both engines train the same model definition and agree
 * to float32 rounding with dropout off (test/engine/onnx-train-engine.test.ts).
 */
export async function createTrainingEngine(options: CreateTrainingEngineOptions): Promise<TrainingEngine> {
  const { engine = 'auto', device, startTfjs, ...common } = options;
  // WebGPU runs inference only so far: refuse here, in one line, rather than start a step graph on it.
  if (device !== undefined) checkTrainingDevice(device);
  return preferOnnx<TrainingEngine>(
    engine,
    device,
    async () => {
      await loadOrt(); // fail here, not at the first step, when onnxruntime-node cannot load
      const { OnnxTrainingEngine } = await import('./onnx/training/onnx-engine.js');
      return new OnnxTrainingEngine({ ...common, session: { executionProviders: executionProviders(device) } });
    },
    async () => {
      await startTfjs();
      // Imported here, not at the top: inference imports preferOnnx from this module and must not load TF.js.
      const { TfjsTrainingEngine } = await import('./tfjs/training-engine.js');
      return new TfjsTrainingEngine(common);
    },
  );
}
