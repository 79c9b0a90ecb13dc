import type * as Ort from 'onnxruntime-node';
import type { Device, TrainBatch } from '../../types.js';
import { ElemType, type Graph } from '../graph.js';
import { gpuMemoryError } from '../gpu-memory.js';
import { createSession, executionProviders, type OrtModule, type OrtSession, type OrtSessionOptions } from '../session.js';
import { toModelBytes } from '../to-proto.js';
import { STEP_NAMES, type StepGraph, type StepGraphRequest } from './step-graph.js';

/**
 * Where the ONNX training engine keeps its parameters and AdamW moments between steps.
 *
 * - {@link HostState} (CPU, CUDA): host arrays that onnxruntime tensors wrap. A step reads them and
 *   writes the new values into pre-allocated host tensors (the parameter's spare, the moments
 *   themselves), as the engine always did.
 * - {@link DeviceState} (WebGPU): the state stays in GPU buffers. The step sessions are created with
 *   `preferredOutputLocation: 'gpu-buffer'` for the new parameters and moments (and the accumulated
 *   gradients of the grads graph), and those output tensors are the next step's inputs as they are;
 *   the tensors they replace are `dispose()`d. Per step only the batch goes up and the loss comes back.
 *
 * onnxruntime-node 1.30 returns a gpu-buffer output as a Tensor whose `gpuBuffer` wraps the OrtValue,
 * and feeding it to any session of the process works; but its `getData()` is not implemented (the
 * binding's `download` throws a C string, which aborts the process). So values cross between host and
 * GPU here through two tiny Identity sessions per tensor rank ({@link DeviceTransfer}): one whose
 * output is a gpu-buffer (upload), one whose output is on the CPU (download).
 */
export interface TrainingState {
  /** True when parameters and moments live on the GPU between steps. */
  readonly resident: boolean;
  /** Parameter names in their fixed (sorted) order. */
  names(): string[];
  dims(p: string): readonly number[];
  /** The tensor to feed for a parameter (on the GPU once `prepare` has run, for DeviceState). */
  param(p: string): Ort.Tensor;
  /** AdamW moments of a parameter, created as zeros on first use. */
  moments(p: string): { m: Ort.Tensor; v: Ort.Tensor };
  hasMoments(p: string): boolean;
  momentNames(): string[];
  /** Puts the parameters among `inputs` (a session's input names) on its device (no-op on the host). */
  prepare(inputs: readonly string[]): Promise<void>;
  /** Sets the fetches of a parameter's update outputs (pre-allocated host tensors, or null for GPU outputs). */
  updateFetches(p: string, fetches: Record<string, Ort.Tensor | null>): void;
  /** Takes a step's update outputs of `p` as its current value and moments. */
  adoptUpdate(p: string, out: Record<string, Ort.Tensor>): void;
  /** Frees tensors no longer fed (the accumulated gradients of the previous micro-batch). */
  release(tensors: Iterable<Ort.Tensor>): void;
  /** A parameter's values on the host (downloaded from the GPU when resident). */
  hostParam(p: string): Promise<Float32Array>;
  hostMoments(p: string): Promise<{ m: Float32Array; v: Float32Array }>;
  /**
   * Host arrays of a parameter and its moments to be read and written in place (the word-embedding
   * rows, embedding-rows.ts); call {@link hostChanged} after writing. They must be on the host.
   */
  hostArrays(p: string): { param: Float32Array; m: Float32Array; v: Float32Array };
  /** The host arrays of `p` were written: a GPU copy, if any, is stale. */
  hostChanged(p: string): void;
  /** Replaces every moment (a loaded optimizer state); host arrays, copied. */
  loadMoments(moments: ReadonlyMap<string, { m: Float32Array; v: Float32Array; shape: number[] }>): void;
  /** Bytes of parameters, moments and spares held on the GPU (0 on the host). */
  residentBytes(): number;
  dispose(): void;
}

/** The state for a device: resident in GPU buffers on webgpu, host tensors otherwise. */
export function createTrainingState(
  ort: OrtModule,
  weights: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  device: Device | undefined,
  session: OrtSessionOptions | undefined,
): TrainingState {
  if (device !== 'webgpu') return new HostState(ort, weights);
  return new DeviceState(ort, weights, new DeviceTransfer({ ...session, executionProviders: session?.executionProviders ?? executionProviders(device) }));
}

/**
 * Session options of a step graph: the caller's (the CPU path's, unchanged), or on webgpu the device's
 * execution providers with the graph's {@link residentOutputs} left in GPU buffers.
 */
export function stepSessionOptions(
  session: OrtSessionOptions | undefined,
  device: Device | undefined,
  meta: StepGraph,
  request: StepGraphRequest,
): OrtSessionOptions | undefined {
  if (device === undefined || device === 'cpu') return session;
  const withProviders = { ...session, executionProviders: session?.executionProviders ?? executionProviders(device) };
  if (device !== 'webgpu') return withProviders;
  const resident = residentOutputs(meta, request);
  return resident.length === 0 ? withProviders : { ...withProviders, outputLocations: Object.fromEntries(resident.map((n) => [n, 'gpu-buffer' as const])) };
}

/**
 * Runs a step graph; on a GPU an out-of-memory failure becomes one line naming the batch tried and
 * the cure (gpu-memory.ts). The CPU path is a plain run.
 */
export async function runStepOn(
  session: OrtSession,
  feeds: Record<string, Ort.Tensor>,
  fetches: Record<string, Ort.Tensor | null>,
  at: { device: Device | undefined; batch: TrainBatch; microBatches: number },
): Promise<Record<string, Ort.Tensor>> {
  if (at.device === undefined || at.device === 'cpu') return session.run(feeds, fetches);
  try {
    return await session.run(feeds, fetches);
  } catch (e) {
    const { batchSize: rows, seqLength } = at.batch.tokens;
    throw gpuMemoryError(e, { device: at.device, rows, seqLength, microBatches: at.microBatches }) ?? e;
  }
}

const sizeOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const zeros = (ort: OrtModule, dims: readonly number[]) => new ort.Tensor('float32', new Float32Array(sizeOf(dims)), dims);

/**
 * The outputs of a step graph that stay on the GPU: the new parameters and moments of an update
 * (except a compact word-embedding table's, which the host scatters into the full table) and every
 * gradient of a grads graph (fed back as `grad_in/*` of the next micro-batch).
 */
export function residentOutputs(meta: StepGraph, request: StepGraphRequest): string[] {
  if (request.kind === 'grads') return meta.differentiated.map((p) => STEP_NAMES.grad(p));
  if (request.kind !== 'update') return [];
  return meta.differentiated.filter((p) => p !== request.compactRows).flatMap((p) => [STEP_NAMES.newParam(p), STEP_NAMES.newM(p), STEP_NAMES.newV(p)]);
}

/**
 * The fetches of a step session with resident outputs: every output, all allocated by onnxruntime.
 * onnxruntime-node 1.30 runs a session created with `preferredOutputLocation` through an IoBinding and
 * applies the preferred locations by position among the fetched outputs: fetching a subset puts other
 * outputs on the GPU (with 118 of a step graph's 119 outputs, the compact word-embedding rows came back
 * as gpu-buffers) or fails ("Output count mismatch"); bench/studies/ort-node-gpu-buffer.ts reproduces it.
 * So all of them are fetched (the extra ones, such as `grad_norm`, are scalars).
 */
export function residentFetches(session: OrtSession): Record<string, null> {
  return Object.fromEntries(session.outputNames.map((n) => [n, null]));
}

/** Parameters and moments in host memory: the engine's behaviour on the CPU (and CUDA), unchanged. */
export class HostState implements TrainingState {
  readonly resident = false;
  private readonly params = new Map<string, Ort.Tensor>();
  private moms = new Map<string, { m: Ort.Tensor; v: Ort.Tensor }>();
  /**
   * A second buffer for each updated parameter: a step reads the current tensor and onnxruntime
   * writes the new values into this one (a pre-allocated output), then the two swap. No per-step
   * allocation of model-sized arrays, and nothing for the garbage collector.
   *
   * The moments need no second buffer: new_m/new_v are written over m/v themselves. That is safe
   * because the graph's only reader of input m is Mul(m, β1), which new_m = Add(Mul(m, β1), ·)
   * depends on, so it has run before the output is written (the same for v); a parameter, in
   * contrast, is read by forward and backward nodes that need not precede its update.
   */
  private readonly spare = new Map<string, Ort.Tensor>();

  constructor(
    private readonly ort: OrtModule,
    weights: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  ) {
    for (const [name, t] of weights) this.params.set(name, new ort.Tensor('float32', t.data, t.shape));
  }

  names(): string[] {
    return [...this.params.keys()];
  }
  dims(p: string): readonly number[] {
    return this.params.get(p)!.dims;
  }
  param(p: string): Ort.Tensor {
    return this.params.get(p)!;
  }
  moments(p: string): { m: Ort.Tensor; v: Ort.Tensor } {
    let mv = this.moms.get(p);
    if (mv === undefined) {
      const dims = this.dims(p);
      mv = { m: zeros(this.ort, dims), v: zeros(this.ort, dims) };
      this.moms.set(p, mv);
    }
    return mv;
  }
  hasMoments(p: string): boolean {
    return this.moms.has(p);
  }
  momentNames(): string[] {
    return [...this.moms.keys()];
  }
  async prepare(): Promise<void> {}
  updateFetches(p: string, fetches: Record<string, Ort.Tensor | null>): void {
    let s = this.spare.get(p);
    if (s === undefined) {
      s = zeros(this.ort, this.dims(p));
      this.spare.set(p, s);
    }
    const mv = this.moms.get(p)!;
    fetches[STEP_NAMES.newParam(p)] = s;
    fetches[STEP_NAMES.newM(p)] = mv.m;
    fetches[STEP_NAMES.newV(p)] = mv.v;
  }
  adoptUpdate(p: string): void {
    // onnxruntime wrote the new values into the spare: it becomes current, and the tensor just read
    // becomes the spare of the next step (the moments were updated in place).
    const next = this.spare.get(p)!;
    this.spare.set(p, this.params.get(p)!);
    this.params.set(p, next);
  }
  release(): void {}
  async hostParam(p: string): Promise<Float32Array> {
    return this.params.get(p)!.data as Float32Array;
  }
  async hostMoments(p: string): Promise<{ m: Float32Array; v: Float32Array }> {
    const { m, v } = this.moms.get(p)!;
    return { m: m.data as Float32Array, v: v.data as Float32Array };
  }
  hostArrays(p: string): { param: Float32Array; m: Float32Array; v: Float32Array } {
    const { m, v } = this.moments(p);
    return { param: this.params.get(p)!.data as Float32Array, m: m.data as Float32Array, v: v.data as Float32Array };
  }
  hostChanged(): void {}
  loadMoments(moments: ReadonlyMap<string, { m: Float32Array; v: Float32Array; shape: number[] }>): void {
    this.moms = new Map();
    for (const [name, s] of moments) {
      this.moms.set(name, {
        m: new this.ort.Tensor('float32', Float32Array.from(s.m), s.shape),
        v: new this.ort.Tensor('float32', Float32Array.from(s.v), s.shape),
      });
    }
  }
  residentBytes(): number {
    return 0;
  }
  dispose(): void {
    this.params.clear();
    this.moms.clear();
    this.spare.clear();
  }
}

/** A value with a host copy, a GPU copy, or both (then equal). */
interface Slot {
  dims: readonly number[];
  host?: Ort.Tensor;
  device?: Ort.Tensor;
}

/** Parameters and moments that stay in WebGPU buffers between steps (see TrainingState). */
export class DeviceState implements TrainingState {
  readonly resident = true;
  private readonly params = new Map<string, Slot>();
  private moms = new Map<string, { m: Slot; v: Slot }>();

  constructor(
    private readonly ort: OrtModule,
    weights: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
    private readonly transfer: DeviceTransfer,
  ) {
    // The host arrays are the engine's own copies: tensors wrap them until the first upload.
    for (const [name, t] of weights) this.params.set(name, { dims: t.shape, host: new ort.Tensor('float32', t.data, t.shape) });
  }

  names(): string[] {
    return [...this.params.keys()];
  }
  dims(p: string): readonly number[] {
    return this.params.get(p)!.dims;
  }
  param(p: string): Ort.Tensor {
    const s = this.params.get(p)!;
    return s.device ?? s.host!;
  }
  moments(p: string): { m: Ort.Tensor; v: Ort.Tensor } {
    let mv = this.moms.get(p);
    if (mv === undefined) {
      // Zeros from the host: fed once, after which the step's outputs replace them on the GPU.
      const dims = this.dims(p);
      mv = { m: { dims, host: zeros(this.ort, dims) }, v: { dims, host: zeros(this.ort, dims) } };
      this.moms.set(p, mv);
    }
    return { m: mv.m.device ?? mv.m.host!, v: mv.v.device ?? mv.v.host! };
  }
  hasMoments(p: string): boolean {
    return this.moms.has(p);
  }
  momentNames(): string[] {
    return [...this.moms.keys()];
  }
  /**
   * Uploads the parameters a session reads that are only on the host: all of them before the first
   * step, then the ones the host wrote (the word-embedding table after its lazy row updates). Frozen
   * parameters are uploaded once, not copied by onnxruntime at every step.
   */
  async prepare(inputs: readonly string[]): Promise<void> {
    for (const name of inputs) {
      const s = this.params.get(name);
      if (s !== undefined && s.device === undefined) s.device = await this.transfer.upload(s.host!);
    }
  }
  updateFetches(p: string, fetches: Record<string, Ort.Tensor | null>): void {
    fetches[STEP_NAMES.newParam(p)] = null;
    fetches[STEP_NAMES.newM(p)] = null;
    fetches[STEP_NAMES.newV(p)] = null;
  }
  adoptUpdate(p: string, out: Record<string, Ort.Tensor>): void {
    replace(this.params.get(p)!, out[STEP_NAMES.newParam(p)]!);
    const mv = this.moms.get(p)!;
    replace(mv.m, out[STEP_NAMES.newM(p)]!);
    replace(mv.v, out[STEP_NAMES.newV(p)]!);
  }
  release(tensors: Iterable<Ort.Tensor>): void {
    for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
  }
  async hostParam(p: string): Promise<Float32Array> {
    return this.hostOf(this.params.get(p)!);
  }
  async hostMoments(p: string): Promise<{ m: Float32Array; v: Float32Array }> {
    const mv = this.moms.get(p)!;
    return { m: await this.hostOf(mv.m), v: await this.hostOf(mv.v) };
  }
  hostArrays(p: string): { param: Float32Array; m: Float32Array; v: Float32Array } {
    this.moments(p);
    const mv = this.moms.get(p)!;
    const host = (s: Slot) => {
      if (s.host === undefined) throw new Error(`internal: ${p} is on the GPU only, its rows cannot be updated on the host`);
      return s.host.data as Float32Array;
    };
    return { param: host(this.params.get(p)!), m: host(mv.m), v: host(mv.v) };
  }
  hostChanged(p: string): void {
    dropDevice(this.params.get(p)!);
    const mv = this.moms.get(p);
    if (mv) for (const x of [mv.m, mv.v]) if (x.host !== undefined) dropDevice(x);
  }
  loadMoments(moments: ReadonlyMap<string, { m: Float32Array; v: Float32Array; shape: number[] }>): void {
    for (const { m, v } of this.moms.values()) for (const s of [m, v]) s.device?.dispose();
    this.moms = new Map();
    for (const [name, s] of moments) {
      const slot = (data: Float32Array): Slot => ({ dims: s.shape, host: new this.ort.Tensor('float32', Float32Array.from(data), s.shape) });
      this.moms.set(name, { m: slot(s.m), v: slot(s.v) });
    }
  }
  residentBytes(): number {
    let n = 0;
    for (const s of this.params.values()) if (s.device) n += 4 * sizeOf(s.dims);
    for (const { m, v } of this.moms.values()) for (const s of [m, v]) if (s.device) n += 4 * sizeOf(s.dims);
    return n;
  }
  dispose(): void {
    for (const s of this.params.values()) s.device?.dispose();
    for (const { m, v } of this.moms.values()) for (const s of [m, v]) s.device?.dispose();
    this.params.clear();
    this.moms.clear();
    this.transfer.dispose();
  }

  /** The host copy of a slot, downloaded (and kept until the next update) when only on the GPU. */
  private async hostOf(s: Slot): Promise<Float32Array> {
    s.host ??= await this.transfer.download(s.device!);
    return s.host.data as Float32Array;
  }
}

/** A step's output becomes the slot's only copy; the GPU tensor it replaces is freed. */
function replace(s: Slot, next: Ort.Tensor): void {
  if (s.device !== next) s.device?.dispose();
  s.device = next;
  s.host = undefined;
}

/** Forgets a slot's GPU copy (its host copy was written). */
function dropDevice(s: Slot): void {
  s.device?.dispose();
  s.device = undefined;
}

/**
 * Copies tensors between the host and WebGPU buffers with one-node Identity sessions, one per rank
 * and direction: onnxruntime-node has no other way to download a gpu-buffer tensor (see TrainingState).
 */
export class DeviceTransfer {
  private readonly sessions = new Map<string, Promise<OrtSession>>();

  constructor(private readonly session: OrtSessionOptions) {}

  /** A GPU copy of a host tensor. */
  async upload(t: Ort.Tensor): Promise<Ort.Tensor> {
    return this.copy(t, 'gpu-buffer');
  }

  /** A host copy of a GPU tensor. */
  async download(t: Ort.Tensor): Promise<Ort.Tensor> {
    return this.copy(t, 'cpu');
  }

  dispose(): void {
    for (const s of this.sessions.values())
      void s.then(
        (x) => x.release(),
        () => undefined,
      );
    this.sessions.clear();
  }

  private async copy(t: Ort.Tensor, to: 'cpu' | 'gpu-buffer'): Promise<Ort.Tensor> {
    const key = `${to}:${t.dims.length}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = createSession(toModelBytes(identityGraph(t.dims.length)), { ...this.session, outputLocations: { y: to } });
      this.sessions.set(key, s);
    }
    const out = await (await s).run({ x: t });
    return out.y!;
  }
}

/** y = Identity(x) for float tensors of one rank, every dim symbolic. */
function identityGraph(rank: number): Graph {
  const shape = Array.from({ length: rank }, (_, i) => `d${i}`);
  return {
    name: `bertft_transfer_${rank}`,
    nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], attributes: {} }],
    inputs: [{ name: 'x', elemType: ElemType.Float, shape }],
    outputs: [{ name: 'y', elemType: ElemType.Float, shape }],
    initializers: new Map(),
  };
}
