import type * as Ort from 'onnxruntime-node';
import type { TokenBatch } from '../../../tokenization/index.js';
import type { HostTensor } from '../../../models/host-tensor.js';
import type { Device, DomainStepStats, OptimizerState, StepOptions, TrainBatch, TrainingEngine, TrainingEngineOptions } from '../../types.js';
import { domainAccuracy } from '../../../heads/domain.js';
import { createSession, int64Tensor, loadOrt, type OrtModule, type OrtSession, type OrtSessionOptions } from '../session.js';
import { noteGpuResident } from '../../memory.js';
import { createTrainingState, residentFetches, runStepOn, stepSessionOptions, type TrainingState } from './resident-state.js';
import { INPUT_NAMES } from '../trace.js';
import { toModelBytes } from '../to-proto.js';
import { DROPOUT_KEYS } from './dropout-mask-graph.js';
import { dropoutKeys, dropoutMaskMode, dropoutWordCount, fillDropoutMask, siteDims, type DropoutMaskMode } from './dropout-masks.js';
import { graphTargetOf } from './graph-target.js';
import { EmbeddingRowsAdamW, type StepRows, type TableArrays } from './embedding-rows.js';
import { biasCorrection, DEFAULT_ADAMW, OPTIMIZER_INPUTS } from './optimizer.js';
import { buildStepGraph, STEP_NAMES, stepDimSizes, wordEmbeddingsOf, type StepGraph, type StepGraphSpec, type StepGraphRequest } from './step-graph.js';
import { segmentsOf } from './segment-sum.js';

export interface OnnxEngineOptions extends TrainingEngineOptions {
  /** onnxruntime session options (threads, optimisation level). */
  session?: OrtSessionOptions;
  /**
   * Where the sessions run (default cpu). On webgpu the parameters and AdamW moments stay in GPU
   * buffers between steps (resident-state.ts); the execution providers default to the device's.
   */
  device?: Device;
  /**
   * How the word-embedding table is updated by a classification step. `rows`: the step
   * graph sees only the rows the batch reads, and the zero-gradient AdamW steps of the other rows
   * are applied exactly when they are next read (embedding-rows.ts); `dense`: every row in the
   * graph, every step. Both are torch.optim.AdamW and agree to float32 rounding. Masked-LM
   * training always uses `dense` (its decoder reads every row). Default: `rows` on the CPU, where
   * a step over the whole table costs most of a small model's step; `dense` on WebGPU, where the
   * table and its moments then stay resident with everything else and only the batch crosses.
   */
  wordEmbeddingUpdate?: 'rows' | 'dense';
  /**
   * Where dropout masks are made: `fed` (generated on the host, an input per site) or `in-graph`
   * (graph nodes from a few key words). The same masks either way; the default follows the
   * execution providers (dropoutMaskMode: in the graph on a GPU).
   */
  dropoutMasks?: DropoutMaskMode;
}

interface LoadedGraph {
  session: OrtSession;
  meta: StepGraph;
}

type Feeds = Record<string, Ort.Tensor>;

/**
 * Training on onnxruntime: fine-tuning a classifier, or the masked LM of pre-training (the
 * objective, TrainingObjective). Forward, loss, backward, gradient clipping and AdamW of a whole
 * optimiser step are one `session.run` of a generated graph (see step-graph.ts); parameters and
 * AdamW moments stay onnxruntime tensors between steps (each step's `new/*` outputs are the next
 * step's inputs), so weights cross into JavaScript arrays only when asked for; on WebGPU they stay
 * in GPU buffers (resident-state.ts).
 *
 * Gradient accumulation runs a grads-only graph for every micro-batch but the last, feeding the
 * running sum back in (`grad_in/*`), and the update graph for the last one. Each micro-batch's
 * gradient is scaled by its share of the examples, so the result equals one big batch.
 *
 * Graphs are built lazily and rebuilt when the trainable set or the per-parameter settings change
 * (gradual unfreezing); as parameters are inputs, a graph is small and a rebuild takes well under
 * a second.
 */
export class OnnxTrainingEngine implements TrainingEngine {
  readonly name = 'onnx';
  private ort?: OrtModule;
  private readonly spec: StepGraphSpec;
  private readonly pending = new Map<string, HostTensor>();
  /** Parameters and AdamW moments: host tensors, or GPU buffers on webgpu (resident-state.ts). */
  private state?: TrainingState;
  private pendingMoments?: OptimizerState;
  private step = 0;
  private trainable: string[] = [];
  private readonly graphs = new Map<string, Promise<LoadedGraph>>();
  private trainingKey = '';
  /** The domain objectives of the last step (domain adaptation only). */
  private lastDomain?: DomainStepStats;
  private disposed = false;
  /** Step sessions replaced while resident tensors they wrote may live on (released by dispose()). */
  private readonly retired: OrtSession[] = [];
  private readonly maskBuffers: Float32Array[] = [];
  /** Lazy exact AdamW of the word-embedding rows (created at the first step that trains them). */
  private rowsAdamW?: EmbeddingRowsAdamW;
  /** The family's word-embedding table (BERT's `embeddings.word_embeddings.weight`, ModernBERT's `embeddings.tok_embeddings.weight`). */
  private readonly table: string;
  /** The step the rows were last flushed at (-1: not since the last step), so a GPU copy of the table is dropped once per change. */
  private flushedAt = -1;

  constructor(private readonly options: OnnxEngineOptions) {
    // A fixed (sorted) parameter order: the global norm sums in this order, as in the TF.js engine.
    for (const name of [...options.weights.keys()].sort()) {
      const w = options.weights.get(name)!;
      this.pending.set(name, { shape: [...w.shape], data: Float32Array.from(w.data) });
    }
    this.spec = {
      config: options.config,
      paramShapes: new Map([...this.pending].map(([n, t]) => [n, t.shape])),
      objective: options.objective,
      // Graphs for the session's first execution provider: WebGPU gets formulations it has kernels for.
      target: graphTargetOf(options.session?.executionProviders),
      dropoutMasks: options.dropoutMasks ?? dropoutMaskMode(options.session?.executionProviders),
    };
    this.table = wordEmbeddingsOf(options.config);
  }

  /** The constructor, for symmetry with other async factories. */
  static async create(options: OnnxEngineOptions): Promise<OnnxTrainingEngine> {
    const engine = new OnnxTrainingEngine(options);
    await engine.ready();
    return engine;
  }

  setTrainable(names: ReadonlySet<string>): void {
    this.trainable = [...this.spec.paramShapes.keys()].filter((n) => names.has(n));
  }

  async trainStep(microBatches: TrainBatch[], options: StepOptions): Promise<number> {
    const ort = await this.ready();
    const state = this.state!;
    if (microBatches.length === 0) throw new Error('trainStep needs at least one micro-batch');
    const total = microBatches.reduce((s, b) => s + b.tokens.batchSize, 0);
    if (this.trainable.length === 0) {
      let loss = 0;
      for (const b of microBatches) loss += ((await this.evalLoss(b)) * b.tokens.batchSize) / total;
      return loss;
    }
    const settingsKey = this.trainable
      .map((p) => {
        const s = options.settingsOf(p);
        return `${p}:${s.lrScale}:${s.weightDecay}`;
      })
      .join('|');
    if (settingsKey !== this.trainingKey) await this.dropTrainingGraphs(settingsKey);

    this.step += 1;
    this.flushedAt = -1;
    const { biasCorrection: bc, epsHat } = biasCorrection(DEFAULT_ADAMW, this.step);
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    const compact = this.compactRows();
    const rows = this.stepRows(ort, microBatches, options, compact, bc, epsHat);
    let accumulated: Map<string, Ort.Tensor> | undefined;
    let lossSum = 0;
    const domain: DomainStepStats | undefined = this.spec.objective.kind === 'classification' && this.spec.objective.domain ? {} : undefined;
    for (let i = 0; i < microBatches.length; i++) {
      const batch = microBatches[i];
      const last = i === microBatches.length - 1;
      const gradsIn = i > 0;
      const compactRows = compact ? this.table : undefined;
      const request: StepGraphRequest = last
        ? { kind: 'update', trainable: this.trainable, gradsIn, settings: options.settingsOf, compactRows }
        : { kind: 'grads', trainable: this.trainable, gradsIn, compactRows };
      const { session, meta } = await this.graph(`${request.kind}|${gradsIn}`, request);
      await state.prepare(session.inputNames.filter((n) => n !== compactRows));
      const feeds = this.batchFeeds(ort, batch);
      if (rows) {
        const dims = [rows.step.count, this.spec.paramShapes.get(this.table)![1]!]; // the table's width (E, hidden_size unless factorised)
        feeds[this.table] = new ort.Tensor('float32', rows.values.table, dims);
        feeds[INPUT_NAMES.inputIds] = int64Tensor(ort, rows.step.slots[i]!, [batch.tokens.batchSize, batch.tokens.seqLength]);
        if (last) {
          feeds[STEP_NAMES.m(this.table)] = new ort.Tensor('float32', rows.values.m, dims);
          feeds[STEP_NAMES.v(this.table)] = new ort.Tensor('float32', rows.values.v, dims);
        }
      }
      if (session.inputNames.includes(STEP_NAMES.wordOrder)) {
        // The word-embedding gradient's rows: each token's compact slot, or its id in the full table.
        Object.assign(feeds, wordSegmentFeeds(ort, rows ? rows.step.slots[i]! : batch.tokens.inputIds, rows ? rows.step.count : this.options.config.vocabSize));
      }
      feeds[STEP_NAMES.lossScale] = scalar(batch.tokens.batchSize / total);
      if (domain) this.addDomainFeeds(ort, feeds, batch, options.domainLambda ?? 0);
      this.addDropoutMasks(ort, feeds, meta, batch.tokens, options.dropoutSeed, i);
      if (accumulated) for (const [p, g] of accumulated) feeds[STEP_NAMES.gradIn(p)] = g;
      if (last) {
        feeds[OPTIMIZER_INPUTS.lr] = scalar(options.lr);
        feeds[OPTIMIZER_INPUTS.biasCorrection] = scalar(bc);
        feeds[OPTIMIZER_INPUTS.epsHat] = scalar(epsHat);
        feeds[OPTIMIZER_INPUTS.maxGradNorm] = scalar(options.maxGradNorm > 0 ? options.maxGradNorm : Infinity);
        for (const p of meta.differentiated) {
          if (p === compactRows) continue;
          const mv = state.moments(p);
          feeds[STEP_NAMES.m(p)] = mv.m;
          feeds[STEP_NAMES.v(p)] = mv.v;
        }
      }
      const fetches = this.stepFetches(session, meta, last, compactRows);
      const out = await runStepOn(session, this.only(session, feeds), fetches, { device: this.options.device, batch, microBatches: microBatches.length });
      lossSum += ((out[STEP_NAMES.loss].data as Float32Array)[0] * batch.tokens.batchSize) / total;
      if (domain) addDomainStats(domain, out, batch, batch.tokens.batchSize / total);
      // The running gradient sum just read is replaced by this micro-batch's (freed on the GPU).
      if (accumulated) state.release(accumulated.values());
      if (!last) {
        accumulated = new Map(meta.differentiated.map((p) => [p, out[STEP_NAMES.grad(p)]]));
        continue;
      }
      if (rows && compactRows) {
        const data = (name: string) => out[name].data as Float32Array;
        this.rowsAdamW!.scatter(
          rows.step,
          { table: data(STEP_NAMES.newParam(compactRows)), m: data(STEP_NAMES.newM(compactRows)), v: data(STEP_NAMES.newV(compactRows)) },
          this.tableArrays(),
          this.step,
        );
        state.hostChanged(this.table);
      }
      for (const p of meta.differentiated) if (p !== compactRows) state.adoptUpdate(p, out);
    }
    if (state.resident) noteGpuResident(state.residentBytes());
    this.lastDomain = domain;
    return lossSum;
  }

  /**
   * What a step run returns: the loss and domain outputs, and the gradients (grads graph) or the new
   * parameters and moments (update graph; on the host, written into pre-allocated tensors).
   */
  private stepFetches(session: OrtSession, meta: StepGraph, last: boolean, compactRows: string | undefined): Record<string, Ort.Tensor | null> {
    if (this.state!.resident) return residentFetches(session);
    const fetches: Record<string, Ort.Tensor | null> = { [STEP_NAMES.loss]: null };
    for (const name of DOMAIN_OUTPUTS) if (session.outputNames.includes(name)) fetches[name] = null;
    for (const p of meta.differentiated) {
      if (!last) fetches[STEP_NAMES.grad(p)] = null;
      else if (p !== compactRows) this.state!.updateFetches(p, fetches);
      else for (const name of [STEP_NAMES.newParam(p), STEP_NAMES.newM(p), STEP_NAMES.newV(p)]) fetches[name] = null;
    }
    return fetches;
  }

  domainStats(): DomainStepStats | undefined {
    return this.lastDomain;
  }

  /** A mixed source/target batch's domain inputs: source row count, domain labels, source mask, λ. */
  private addDomainFeeds(ort: OrtModule, feeds: Feeds, batch: TrainBatch, lambda: number): void {
    const n = batch.tokens.batchSize;
    const sources = batch.sourceCount;
    if (sources === undefined || sources < 2 || n - sources < 2)
      throw new Error(`a domain-adaptation batch needs at least 2 source and 2 target rows (got ${sources ?? 'no source count'} of ${n})`);
    const labels = new Float32Array(n).fill(1, sources);
    feeds[STEP_NAMES.sourceCount] = int64Tensor(ort, Int32Array.of(sources), [1]);
    feeds[STEP_NAMES.domainLabels] = new ort.Tensor('float32', labels, [n, 1]);
    feeds[STEP_NAMES.sourceMask] = new ort.Tensor(
      'float32',
      labels.map((l) => 1 - l),
      [n, 1],
    );
    feeds[STEP_NAMES.grlLambda] = new ort.Tensor('float32', Float32Array.of(lambda), []);
  }

  async logits(tokens: TokenBatch): Promise<Float32Array> {
    const ort = await this.ready();
    if (tokens.batchSize === 0) return new Float32Array(0);
    const { session } = await this.graph('logits', { kind: 'logits' });
    await this.readyToRead(session);
    const feeds = this.batchFeeds(ort, { tokens, targets: new Float32Array(0) });
    const out = await session.run(this.only(session, feeds));
    return out[STEP_NAMES.logits].data as Float32Array;
  }

  /** Logits at the batch's predicted positions, dropout off: masked LM [M, V] (token classification uses logits(), every token). */
  async maskedLmLogits(batch: TrainBatch): Promise<Float32Array> {
    const ort = await this.ready();
    const { session } = await this.graph('logits', { kind: 'logits' });
    await this.readyToRead(session);
    const out = await session.run(this.only(session, this.batchFeeds(ort, batch)));
    return out[STEP_NAMES.logits].data as Float32Array;
  }

  async evalLoss(batch: TrainBatch): Promise<number> {
    const ort = await this.ready();
    const { session } = await this.graph('loss', { kind: 'loss' });
    await this.readyToRead(session);
    const out = await session.run(this.only(session, this.batchFeeds(ort, batch)));
    return (out[STEP_NAMES.loss].data as Float32Array)[0];
  }

  async weights(): Promise<Map<string, HostTensor>> {
    await this.ready();
    this.flushRows();
    const state = this.state!;
    const out = new Map<string, HostTensor>();
    for (const name of state.names()) out.set(name, { shape: [...state.dims(name)], data: Float32Array.from(await state.hostParam(name)) });
    return out;
  }

  async optimizerState(): Promise<OptimizerState> {
    await this.ready();
    this.flushRows();
    const state = this.state!;
    const moments: OptimizerState['moments'] = new Map();
    for (const name of state.momentNames()) {
      const { m, v } = await state.hostMoments(name);
      moments.set(name, { m: Float32Array.from(m), v: Float32Array.from(v), shape: [...state.dims(name)] });
    }
    return { step: this.step, moments };
  }

  loadOptimizerState(state: OptimizerState): void {
    // The table's pending zero-gradient steps belong to the moments being replaced: apply them
    // with those moments first; the loaded state is current as it stands.
    if (this.state) this.flushRows();
    this.rowsAdamW = undefined;
    this.flushedAt = -1;
    this.step = state.step;
    // Tensors need the onnxruntime module, which may not be loaded yet: convert on next use.
    this.pendingMoments = state;
    if (this.state) this.adoptPendingMoments();
  }

  /** Bytes of parameters and moments held in GPU buffers (0 when they live on the host). */
  residentBytes(): number {
    return this.state?.residentBytes() ?? 0;
  }

  dispose(): void {
    this.disposed = true;
    for (const g of this.graphs.values())
      void g.then(
        (l) => l.session.release(),
        () => undefined,
      );
    this.graphs.clear();
    this.state?.dispose();
    this.state = undefined;
    for (const session of this.retired.splice(0)) void session.release();
  }

  /** Loads onnxruntime and moves host weights into tensors (once). */
  private async ready(): Promise<OrtModule> {
    if (this.disposed) throw new Error('OnnxTrainingEngine used after dispose()');
    if (this.ort === undefined) {
      const ort = await loadOrt();
      this.ort = ort;
      this.state = createTrainingState(ort, this.pending, this.options.device, this.options.session);
      this.pending.clear();
    }
    if (this.pendingMoments) this.adoptPendingMoments();
    return this.ort;
  }

  /** Before an evaluation graph reads the whole table: the rows brought current, every parameter it reads on its device. */
  private async readyToRead(session: OrtSession): Promise<void> {
    this.flushRows();
    await this.state!.prepare(session.inputNames);
  }

  /**
   * Word-embedding rows of this step: brought current and fed alone when the table trains row-wise
   * (embedding-rows.ts); otherwise the graph reads the table whole (frozen in this step), so every
   * row is brought current and nothing is returned.
   */
  private stepRows(
    ort: OrtModule,
    microBatches: TrainBatch[],
    options: StepOptions,
    compact: boolean,
    bc: number,
    epsHat: number,
  ): { step: StepRows; values: TableArrays } | undefined {
    if (!compact) {
      this.rowsAdamW?.recordStep(this.step);
      this.flushRows();
      return undefined;
    }
    const lazy = this.lazyRows();
    const s = options.settingsOf(this.table);
    lazy.recordStep(this.step, { lr: options.lr, lrScale: s.lrScale, weightDecay: s.weightDecay, biasCorrection: bc, epsHat });
    const arrays = this.tableArrays();
    const step = lazy.begin(
      microBatches.map((b) => b.tokens.inputIds),
      arrays,
      this.step,
    );
    return { step, values: lazy.gather(step, arrays) };
  }

  private compactRows(): boolean {
    const update = this.options.wordEmbeddingUpdate ?? (this.options.device === 'webgpu' ? 'dense' : 'rows');
    return update === 'rows' && this.spec.objective.kind !== 'masked-lm' && this.trainable.includes(this.table);
  }

  private lazyRows(): EmbeddingRowsAdamW {
    if (this.rowsAdamW === undefined) {
      const state = this.state!;
      const [rows, width] = state.dims(this.table);
      let loaded: { m: Float32Array; v: Float32Array } | undefined;
      if (state.hasMoments(this.table)) {
        const a = state.hostArrays(this.table);
        loaded = { m: a.m, v: a.v };
      }
      this.rowsAdamW = new EmbeddingRowsAdamW(rows!, width!, this.step - 1, DEFAULT_ADAMW, loaded);
      state.moments(this.table);
    }
    return this.rowsAdamW;
  }

  /** The word-embedding table and its moments, updated in place (onnxruntime tensors wrap them). */
  private tableArrays(): TableArrays {
    const a = this.state!.hostArrays(this.table);
    return { table: a.param, m: a.m, v: a.v };
  }

  /** Applies every pending zero-gradient step of the word-embedding rows (before the table is read whole). */
  private flushRows(): void {
    if (!this.rowsAdamW) return;
    this.rowsAdamW.flush(this.step, this.tableArrays());
    // The host table changed at most once per step: a GPU copy is dropped (and uploaded again) once.
    if (this.flushedAt !== this.step) this.state!.hostChanged(this.table);
    this.flushedAt = this.step;
  }

  private adoptPendingMoments(): void {
    const state = this.pendingMoments;
    this.pendingMoments = undefined;
    if (state) this.state!.loadMoments(state.moments);
  }

  /** A cached session for a graph; the key names the variant within the current training key. */
  private graph(key: string, request: StepGraphRequest): Promise<LoadedGraph> {
    let g = this.graphs.get(key);
    if (g === undefined) {
      g = (async () => {
        const meta = buildStepGraph(this.spec, request);
        const session = await createSession(toModelBytes(meta.graph), stepSessionOptions(this.options.session, this.options.device, meta, request));
        return { session, meta };
      })();
      this.graphs.set(key, g);
      g.catch(() => this.graphs.delete(key));
    }
    return g;
  }

  /** Forgets the grads/update graphs (built for another trainable set or other settings). */
  private async dropTrainingGraphs(newKey: string): Promise<void> {
    this.trainingKey = newKey;
    for (const [key, g] of [...this.graphs]) {
      if (key === 'logits' || key === 'loss') continue;
      this.graphs.delete(key);
      const { session } = await g;
      // A session's gpu-buffer outputs are freed by its provider's allocator: the parameters and moments
      // it wrote must be gone before it is released (resident-state.ts), so release it with the engine.
      if (this.state?.resident) this.retired.push(session);
      else await session.release();
    }
  }

  /** Token inputs, targets (when the batch has them) and every parameter. */
  private batchFeeds(ort: OrtModule, batch: TrainBatch): Feeds {
    const { tokens } = batch;
    const dims = [tokens.batchSize, tokens.seqLength];
    const feeds: Feeds = {
      [INPUT_NAMES.inputIds]: int64Tensor(ort, tokens.inputIds, dims),
      [INPUT_NAMES.attentionMask]: int64Tensor(ort, tokens.attentionMask, dims),
      [INPUT_NAMES.tokenTypeIds]: int64Tensor(ort, tokens.tokenTypeIds, dims),
    };
    if (batch.masked) {
      const m = batch.masked.positions.length;
      feeds[STEP_NAMES.mlmPositions] = int64Tensor(ort, batch.masked.positions, [m]);
      feeds[STEP_NAMES.mlmTargetIndex] = int64Tensor(ort, batch.masked.targetIndex, [m]);
    }
    // A domain-adaptation batch has targets for its source rows only; a masked-LM batch has none;
    // a token-classification batch has its labelled tokens' class weights, when it trains with them.
    const { objective } = this.spec;
    if (objective.kind === 'classification' && batch.targets.length > 0)
      feeds[STEP_NAMES.targets] = new ort.Tensor('float32', batch.targets, [batch.targets.length / objective.numOutputs, objective.numOutputs]);
    if (objective.kind === 'token-classification' && batch.targets.length > 0)
      feeds[STEP_NAMES.rowWeights] = new ort.Tensor('float32', batch.targets, [batch.targets.length]);
    for (const name of this.state!.names()) feeds[name] = this.state!.param(name);
    return feeds;
  }

  /**
   * This micro-batch's dropout inputs (dropout-masks.ts): each site's mask, generated here, or for masks
   * made in the graph the sites' key words and the word count of each site shape.
   */
  private addDropoutMasks(ort: OrtModule, feeds: Feeds, meta: StepGraph, tokens: TokenBatch, seed: number, microBatch: number): void {
    if (meta.dropoutSites.length === 0) return;
    const sizes = stepDimSizes(tokens.batchSize, tokens.seqLength, feeds[STEP_NAMES.mlmPositions]?.dims[0]);
    if (this.spec.dropoutMasks === 'in-graph') {
      const words = new Uint32Array(2 * (Math.max(...meta.dropoutSites.map((s) => s.index)) + 1));
      for (const site of meta.dropoutSites) {
        words.set(dropoutKeys(seed, microBatch, site.index), 2 * site.index);
        const count = dropoutWordCount(siteDims(site, sizes).reduce((a, b) => a * b, 1));
        feeds[site.input] = new ort.Tensor('int32', Int32Array.of(count), []);
      }
      feeds[DROPOUT_KEYS] = new ort.Tensor('uint32', words, [words.length]);
      return;
    }
    meta.dropoutSites.forEach((site, i) => {
      const dims = siteDims(site, sizes);
      const size = dims.reduce((a, b) => a * b, 1);
      // One buffer per site, reused (runs are sequential): no per-step garbage of activation size.
      let buffer = this.maskBuffers[i];
      if (buffer === undefined || buffer.length < size) this.maskBuffers[i] = buffer = new Float32Array(size);
      const mask = fillDropoutMask(buffer.subarray(0, size), site.rate, seed, microBatch, site.index);
      feeds[site.input] = new ort.Tensor('float32', mask, dims);
    });
  }

  /** The feeds a session declares (graphs drop the parameters they do not read). */
  private only(session: OrtSession, feeds: Feeds): Feeds {
    const out: Feeds = {};
    for (const name of session.inputNames) {
      const t = feeds[name];
      if (t === undefined) throw new Error(`no value for graph input ${name}`);
      out[name] = t;
    }
    return out;
  }
}

const DOMAIN_OUTPUTS = [STEP_NAMES.domainLoss, STEP_NAMES.domainLogits, STEP_NAMES.coralLoss];

/** Adds one micro-batch's domain outputs to a step's stats (losses weighted by the micro-batch's share). */
function addDomainStats(stats: DomainStepStats, out: Record<string, Ort.Tensor>, batch: TrainBatch, share: number): void {
  const value = (name: string) => (out[name] ? (out[name].data as Float32Array)[0] : undefined);
  const d = value(STEP_NAMES.domainLoss);
  if (d !== undefined) stats.domainLoss = (stats.domainLoss ?? 0) + d * share;
  const c = value(STEP_NAMES.coralLoss);
  if (c !== undefined) stats.coralLoss = (stats.coralLoss ?? 0) + c * share;
  const logits = out[STEP_NAMES.domainLogits];
  if (logits) {
    const acc = domainAccuracy(logits.data as Float32Array, batch.sourceCount ?? 0);
    stats.domainCorrect = (stats.domainCorrect ?? 0) + acc.correct;
    stats.domainCount = (stats.domainCount ?? 0) + acc.count;
  }
}

/** The fed segments of the word-embedding gradient (segment-sum.ts), for tokens in table rows `rowOfToken`. */
export function wordSegmentFeeds(ort: OrtModule, rowOfToken: Int32Array, tableRows: number): Record<string, Ort.Tensor> {
  const seg = segmentsOf(rowOfToken, tableRows);
  return {
    [STEP_NAMES.wordOrder]: int64Tensor(ort, seg.order, [seg.order.length]),
    [STEP_NAMES.wordSegStart]: int64Tensor(ort, seg.start, [tableRows]),
    [STEP_NAMES.wordSegEnd]: int64Tensor(ort, seg.end, [tableRows]),
  };
}
