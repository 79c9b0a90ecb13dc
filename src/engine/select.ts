import { UsageError } from '../errors.js';
import { executionProviders, loadOrt, webgpuStartError } from './onnx/session.js';
import type { WebgpuProbe } from './onnx/webgpu.js';
import { checkDevice, type Device, type DeviceChoice, type TrainingEngine, type TrainingEngineOptions } from './types.js';

/** Which engine runs forward passes: `auto` = onnxruntime when it loads (about 10× faster here), else TF.js. */
export type EngineChoice = 'auto' | 'tfjs' | 'onnxruntime';
export const ENGINES: readonly EngineChoice[] = ['auto', 'tfjs', 'onnxruntime'];

export interface ResolveDeviceOptions {
  /** Whether a WebGPU adapter is there (default: probeWebgpu, a one-node session, cached per process). */
  probe?: () => Promise<WebgpuProbe>;
  /** Where the one line naming the pick goes (default: stderr, once per process). */
  announce?: (line: string) => void;
}

let announced = false;
function announceOnce(line: string): void {
  if (announced) return;
  announced = true;
  process.stderr.write(`${line}\n`);
}

/**
 * The one place `--device auto` (a library caller's `device: 'auto'`) is decided: webgpu when
 * onnxruntime finds a WebGPU adapter (a GPU's Vulkan driver, or Mesa's lavapipe), else cpu. The pick is
 * said in one line on stderr. Other values pass through (checked).
 */
export async function resolveDevice(choice: DeviceChoice | undefined, options: ResolveDeviceOptions = {}): Promise<Device | undefined> {
  if (choice === undefined) return undefined;
  const checked = checkDevice(choice);
  if (checked !== 'auto') return checked;
  const probe = options.probe ?? (await import('./onnx/webgpu.js')).probeWebgpu;
  const found = await probe();
  const device: Device = found.available ? 'webgpu' : 'cpu';
  (options.announce ?? announceOnce)(
    found.available ? 'device: webgpu (--device auto: onnxruntime found a WebGPU adapter)' : `device: cpu (--device auto: no WebGPU adapter: ${found.reason})`,
  );
  return device;
}

/**
 * resolveDevice, and for webgpu the adapter checked (the probe, tens of milliseconds): training calls it before
 * reading any data, so a machine without an adapter fails at once, in the line a failed session gives.
 */
export async function prepareDevice(
  engine: EngineChoice | undefined,
  choice: DeviceChoice | undefined,
  options: ResolveDeviceOptions = {},
): Promise<Device | undefined> {
  // TF.js ignores the device: checked, not resolved (as preferOnnx does).
  if (engine === 'tfjs') {
    if (choice !== undefined) checkDevice(choice);
    return undefined;
  }
  const device = await resolveDevice(choice, options);
  if (device !== 'webgpu') return device;
  const found = await (options.probe ?? (await import('./onnx/webgpu.js')).probeWebgpu)();
  if (!found.available) throw webgpuStartError(found.reason);
  return device;
}

/**
 * Runs `onnx(device)` unless the choice is tfjs; when onnxruntime cannot start, `auto` on the CPU falls
 * back to `fallback()`, while an explicit `--engine onnxruntime`, `--device cuda` or `--device webgpu` fails clearly.
 * `--device auto` is resolved first (resolveDevice) and `onnx` gets the device picked.
 * Shared by inference (inference/forward.ts, inference/masked-lm.ts) and training (createTrainingEngine below).
 */
export async function preferOnnx<T>(
  engine: EngineChoice,
  choice: DeviceChoice | undefined,
  onnx: (device: Device | undefined) => Promise<T>,
  fallback: () => Promise<T>,
): Promise<T> {
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}; got "${engine}"`);
  // Before trying onnxruntime: an unknown device must fail with its usage line, not fall back to TF.js.
  if (choice !== undefined) checkDevice(choice);
  if (engine !== 'tfjs') {
    const device = await resolveDevice(choice);
    try {
      return await onnx(device);
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
  /** cpu (default), webgpu (parameters and moments stay on the GPU, resident-state.ts), cuda, or auto. */
  device?: DeviceChoice;
  /** Starts the TF.js backend; called only when the TF.js engine is chosen. */
  startTfjs: () => Promise<void>;
}

/**
 * The engine that runs full / top-k / gradual fine-tuning. The frozen strategy uses TfjsHeadEngine
 * instead (features are computed once). Both engines train the same model definition and agree
 * to float32 rounding with dropout off (test/engine/onnx-train-engine.test.ts).
 */
export async function createTrainingEngine(options: CreateTrainingEngineOptions): Promise<TrainingEngine> {
  const { engine = 'auto', device: choice, startTfjs, ...common } = options;
  return preferOnnx<TrainingEngine>(
    engine,
    choice,
    async (device) => {
      await loadOrt(); // fail here, not at the first step, when onnxruntime-node cannot load
      const { OnnxTrainingEngine } = await import('./onnx/training/onnx-engine.js');
      return new OnnxTrainingEngine({ ...common, device, session: { executionProviders: executionProviders(device) } });
    },
    async () => {
      await startTfjs();
      // Imported here, not at the top: inference imports preferOnnx from this module and must not load TF.js.
      const { TfjsTrainingEngine } = await import('./tfjs/training-engine.js');
      return new TfjsTrainingEngine(common);
    },
  );
}
