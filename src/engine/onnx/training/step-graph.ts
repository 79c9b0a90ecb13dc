import { classifierDropoutOf, classifierLogits, classifierLoss, sequenceClassifierLogits } from '../../../heads/classification.js';
import { bertForward, pooledFeatures, type BertInputs, type ParamMap } from '../../../models/bert/bert.js';
import { maskedLmLogits, maskedLmLoss, tiedDecoder } from '../../../heads/masked-lm.js';
import { labelledTokenLogits, tokenClassifierLogits, weightedTokenLoss } from '../../../heads/token-classification.js';
import { coralLoss, domainLogits, domainLoss } from '../../../heads/domain.js';
import { gradientReversal } from './gradient-reversal.js';
import type { HostTensor } from '../../../models/host-tensor.js';
import type { ClassificationObjective, ParamSettings, TrainingModelSpec } from '../../types.js';
import type { GraphBuilder } from '../builder.js';
import { ElemType, type Graph } from '../graph.js';
import { pruneGraph } from '../prune.js';
import { BATCH_DIM, SEQUENCE_DIM, traceWith } from '../trace.js';
import { appendGradients } from './autodiff.js';
import type { GraphTarget } from './graph-target.js';
import { appendClipAndAdamW, DEFAULT_ADAMW, type AdamWHyper } from './optimizer.js';
import type { DropoutMaskMode } from './dropout-masks.js';
import { TrainingOps, type DropoutSite } from './training-ops.js';

/**
 * The graphs the ONNX training engine runs, all traced from the one model definition with every
 * parameter as a graph input (so one set of onnxruntime tensors serves them all):
 * - `logits`: tokens → logits (dropout off);
 * - `loss`: tokens, targets → loss, logits (dropout off);
 * - `grads`: forward with dropout masks, loss, backward → `grad/<p>` (optionally plus fed
 *   `grad_in/<p>`, for gradient accumulation);
 * - `update`: the same, then global-norm clipping and AdamW → `new/<p>`, `new_m/<p>`, `new_v/<p>`.
 * One `session.run` of `update` is a whole optimiser step.
 */

/** What the step graphs are traced from: the engine's model and objective, with parameter shapes in place of weights. */
export interface StepGraphSpec extends TrainingModelSpec {
  /** Shape of every parameter (encoder + head), HF names without `bert.`. */
  paramShapes: ReadonlyMap<string, readonly number[]>;
  /**
   * The execution provider the graphs are written for (graph-target.ts): `webgpu` uses only ops
   * with WebGPU kernels, so no node falls back to the CPU. Default `cpu`.
   */
  target?: GraphTarget;
  /** Where the training graphs' dropout masks come from (default `fed`; dropout-masks.ts, dropoutMaskMode). */
  dropoutMasks?: DropoutMaskMode;
}

/** The source-row dim of a domain-adaptation batch's targets. */
export const SOURCE_DIM = 'source_count';

/** The masked-count dim of the masked-LM inputs. */
export const MASKED_DIM = 'masked_count';

/**
 * The run-time sizes of the step graphs' symbolic dims, for dropout masks (dropout-masks.ts
 * `siteDims`): masked LM's last layer runs on the masked rows only (bert.ts `rows`), so its sites
 * are [masked_count, …] and need the batch's masked count (the fed positions' length).
 */
export function stepDimSizes(batchSize: number, seqLength: number, maskedCount?: number): Record<string, number> {
  return { [BATCH_DIM]: batchSize, [SEQUENCE_DIM]: seqLength, ...(maskedCount === undefined ? {} : { [MASKED_DIM]: maskedCount }) };
}

/** The row dim of a table fed as the rows of one step (`compactRows`). */
export const STEP_ROWS_DIM = 'step_rows';
/** Tokens in a micro-batch (batch_size · sequence_length), the length of `word_order`. */
export const TOKENS_DIM = 'tokens';
/** BERT's word-embedding table: its lookup gradient is summed per row in a fixed order (segment-sum.ts). */
export const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/**
 * The word-embedding table of the config's family, the one the masked-LM decoder is tied to:
 * {@link WORD_EMBEDDINGS}, ModernBERT's `embeddings.tok_embeddings.weight`. Its lookup gradient is
 * a fixed-order segment sum, and a classification step can feed it as the batch's rows only.
 */
export function wordEmbeddingsOf(config: StepGraphSpec['config']): string {
  return tiedDecoder(config);
}

export type StepGraphRequest =
  | { kind: 'logits' }
  | { kind: 'loss' }
  | { kind: 'grads'; trainable: readonly string[]; gradsIn: boolean; compactRows?: string }
  | {
      kind: 'update';
      trainable: readonly string[];
      gradsIn: boolean;
      settings: (name: string) => ParamSettings;
      hyper?: AdamWHyper;
      /**
       * The word-embedding table, fed as only the rows a step reads ([step_rows, H]), with
       * `input_ids` holding each token's row in that compact table (embedding-rows.ts). Its
       * gradient, norm and AdamW are then those of the rows with a possibly non-zero gradient.
       */
      compactRows?: string;
    };

/** Graph input/output names besides the token inputs and the parameters. */
export const STEP_NAMES = {
  targets: 'targets',
  /** Masked LM: flat row index b·S + s of each masked token, int64 [masked_count] (token classification: of each labelled token). */
  mlmPositions: 'mlm_positions',
  /** Masked LM: m·V + label of each masked token (see heads/masked-lm.ts), int64 [masked_count] (token classification: m·C + label). */
  mlmTargetIndex: 'mlm_target_index',
  /** Token classification with class weights: each labelled token's w_y / Σ w, float [masked_count]. */
  rowWeights: 'row_weights',
  /** Domain adaptation: how many leading rows of the batch are labelled source rows, int64 [1]. */
  sourceCount: 'source_count',
  /** Domain adaptation: 1 for target rows, 0 for source rows, float [B, 1]. */
  domainLabels: 'domain_labels',
  /** Domain adaptation: 1 for source rows, 0 for target rows, float [B, 1] (CORAL's covariances). */
  sourceMask: 'source_mask',
  /** DANN: the gradient-reversal coefficient λ of this step, float scalar. */
  grlLambda: 'grl_lambda',
  domainLoss: 'domain_loss',
  domainLogits: 'domain_logits',
  coralLoss: 'coral_loss',
  /** The word-embedding gradient's segments (segment-sum.ts): token positions sorted by table row, int64 [tokens]. */
  wordOrder: 'word_order',
  /** Where each table row's tokens start and end in `word_order`, int64 [table rows]. */
  wordSegStart: 'word_seg_start',
  wordSegEnd: 'word_seg_end',
  /** Gradient of the loss fed into the backward pass: a micro-batch's share of the batch. */
  lossScale: 'loss_scale',
  loss: 'loss',
  logits: 'logits',
  gradNorm: 'grad_norm',
  gradIn: (p: string) => `grad_in/${p}`,
  grad: (p: string) => `grad/${p}`,
  m: (p: string) => `m/${p}`,
  v: (p: string) => `v/${p}`,
  newParam: (p: string) => `new/${p}`,
  newM: (p: string) => `new_m/${p}`,
  newV: (p: string) => `new_v/${p}`,
} as const;

export interface StepGraph {
  graph: Graph;
  /** Dropout sites and the inputs they read, in trace order (empty when dropout is off or the rates are 0). */
  dropoutSites: DropoutSite[];
  /** Trainable parameters that get a gradient (and, in `update`, a new value and moments). */
  differentiated: string[];
}

/** Builds one of the engine's graphs (see the module comment). */
export function buildStepGraph(spec: StepGraphSpec, request: StepGraphRequest): StepGraph {
  const training = request.kind === 'grads' || request.kind === 'update';
  const target = spec.target ?? 'cpu';
  const compact = training ? request.compactRows : undefined;
  // A compact table has a run-time row count (HostTensor shapes are numeric in type only here: the
  // trace declares the input with these dims and the data is never read).
  const shapeOf = (n: string, s: readonly number[]) => (n === compact ? ([STEP_ROWS_DIM, ...s.slice(1)] as unknown as number[]) : [...s]);
  const weights = new Map<string, HostTensor>([...spec.paramShapes].map(([n, s]) => [n, { shape: shapeOf(n, s), data: new Float32Array(0) }]));
  const dropoutSites: DropoutSite[] = [];
  let differentiated: string[] = [];
  const { builder } = traceWith({ weights, params: 'input', graphName: `bertft_${request.kind}` }, ({ builder: b, params, inputs }) => {
    // A trained word-embedding table takes its gradient as ordered per-row sums over fed segments.
    // The table's row dim as traced: step_rows when it is fed compact, the vocabulary otherwise.
    const table = wordEmbeddingsOf(spec.config);
    const tableRows = weights.get(table)?.shape[0];
    const segments =
      training && request.trainable.includes(table) && tableRows !== undefined
        ? {
            table,
            inputs: {
              order: b.addInput(STEP_NAMES.wordOrder, ElemType.Int64, [TOKENS_DIM]),
              start: b.addInput(STEP_NAMES.wordSegStart, ElemType.Int64, [tableRows]),
              end: b.addInput(STEP_NAMES.wordSegEnd, ElemType.Int64, [tableRows]),
            },
          }
        : undefined;
    const ops = new TrainingOps(b, { dropoutSites: training ? dropoutSites : undefined, dropoutMasks: spec.dropoutMasks, segments, target });
    const { objective: task } = spec;
    if (training && task.kind === 'classification' && task.domain) {
      // Mixed source/target batches: the same encoder and head, plus the domain objectives.
      const features = pooledFeatures(ops, spec.config, params, inputs, task.pooling);
      const allLogits = classifierLogits(ops, params, features, classifierDropoutOf(spec.config), spec.config);
      const objective = domainObjective(b, ops, spec.config.hiddenSize, task, params, features, allLogits);
      b.addOutput(objective.classLoss, STEP_NAMES.loss);
      const seed = b.addInput(STEP_NAMES.lossScale, ElemType.Float, []);
      const grads = appendGradients(b, objective.total, [...request.trainable], { seed, target });
      differentiated = request.trainable.filter((p) => grads.has(p));
      const total = (p: string) =>
        request.gradsIn ? b.op('Add', [grads.get(p)!, b.addInput(STEP_NAMES.gradIn(p), ElemType.Float, b.shape(p))]) : grads.get(p)!;
      if (request.kind === 'grads') for (const p of differentiated) b.addOutput(total(p), STEP_NAMES.grad(p));
      else appendUpdate(b, differentiated, total, request.settings, request.hyper ?? DEFAULT_ADAMW, target);
      return;
    }
    const logits = objectiveLogits(b, ops, spec, params, inputs, request.kind === 'logits');
    if (request.kind === 'logits') {
      b.addOutput(logits, STEP_NAMES.logits);
      return;
    }
    const loss = objectiveLoss(b, ops, spec, logits);
    b.addOutput(loss, STEP_NAMES.loss);
    if (request.kind === 'loss') {
      b.addOutput(logits, STEP_NAMES.logits);
      return;
    }
    const seed = b.addInput(STEP_NAMES.lossScale, ElemType.Float, []);
    const grads = appendGradients(b, loss, [...request.trainable], { seed, target });
    differentiated = request.trainable.filter((p) => grads.has(p));
    const total = (p: string) => (request.gradsIn ? b.op('Add', [grads.get(p)!, b.addInput(STEP_NAMES.gradIn(p), ElemType.Float, b.shape(p))]) : grads.get(p)!);
    if (request.kind === 'grads') {
      for (const p of differentiated) b.addOutput(total(p), STEP_NAMES.grad(p));
      return;
    }
    appendUpdate(b, differentiated, total, request.settings, request.hyper ?? DEFAULT_ADAMW, target);
  });
  return { graph: dropUnusedInputs(pruneGraph(builder.graph)), dropoutSites: dropoutSites.filter((s) => isRead(builder.graph, s.input)), differentiated };
}

/**
 * The objective's logits: sequence classification [B, C]; masked LM [M, V] at the fed positions;
 * token classification [M, C] at the fed labelled positions, or [B, S, C] for the `logits` graph.
 */
function objectiveLogits(
  b: GraphBuilder,
  ops: TrainingOps,
  spec: StepGraphSpec,
  params: ParamMap<string>,
  inputs: BertInputs<string>,
  allTokens: boolean,
): string {
  const task = spec.objective;
  if (task.kind === 'classification') return sequenceClassifierLogits(ops, spec.config, params, inputs, task.pooling);
  const sequence = () => bertForward(ops, spec.config, params, inputs).sequenceOutput;
  if (task.kind === 'token-classification' && allTokens) return tokenClassifierLogits(ops, spec.config, params, sequence());
  const positions = b.addInput(STEP_NAMES.mlmPositions, ElemType.Int64, [MASKED_DIM]);
  if (task.kind === 'masked-lm') return maskedLmLogits(ops, spec.config, params, inputs, positions);
  return labelledTokenLogits(ops, spec.config, params, sequence(), positions, task.numLabels);
}

/** The objective's loss on its logits, adding the target inputs it reads. */
function objectiveLoss(b: GraphBuilder, ops: TrainingOps, spec: StepGraphSpec, logits: string): string {
  const task = spec.objective;
  if (task.kind !== 'classification') {
    const targetIndex = b.addInput(STEP_NAMES.mlmTargetIndex, ElemType.Int64, [MASKED_DIM]);
    if (task.kind === 'token-classification' && task.classWeights)
      return weightedTokenLoss(ops, logits, targetIndex, b.addInput(STEP_NAMES.rowWeights, ElemType.Float, [MASKED_DIM]));
    return maskedLmLoss(ops, logits, targetIndex);
  }
  const targets = b.addInput(STEP_NAMES.targets, ElemType.Float, [BATCH_DIM, task.numOutputs]);
  const classWeights = task.classWeights ? b.constant(ElemType.Float, [task.classWeights.length], [...task.classWeights], 'class_weights') : undefined;
  return classifierLoss(ops, task.problem, logits, targets, classWeights);
}

/**
 * Class loss over the source rows, plus the domain objectives over all rows. Adds the domain
 * inputs and the `domain_loss`/`domain_logits`/`coral_loss` outputs. Returns the class loss (the
 * reported `loss`, comparable with eval_loss) and the total that is differentiated.
 */
function domainObjective(
  b: GraphBuilder,
  ops: TrainingOps,
  hiddenSize: number,
  spec: ClassificationObjective,
  params: ParamMap<string>,
  features: string,
  allLogits: string,
): { classLoss: string; total: string } {
  const sourceCount = b.addInput(STEP_NAMES.sourceCount, ElemType.Int64, [1]);
  // Rows [0, source_count): a Slice with a constant start, which the Slice VJP pads back with zeros.
  const sourceLogits = b.op(
    'Slice',
    [allLogits, b.int64s([0]), sourceCount, b.int64s([0])],
    {},
    {
      hint: 'source_logits',
      outputTypes: [{ elemType: ElemType.Float, shape: [SOURCE_DIM, spec.numOutputs] }],
    },
  );
  const targets = b.addInput(STEP_NAMES.targets, ElemType.Float, [SOURCE_DIM, spec.numOutputs]);
  const classWeights = spec.classWeights ? b.constant(ElemType.Float, [spec.classWeights.length], [...spec.classWeights], 'class_weights') : undefined;
  const classLoss = classifierLoss(ops, spec.problem, sourceLogits, targets, classWeights);
  let total = classLoss;
  if (spec.domain?.dann) {
    const reversed = gradientReversal(b, features, b.addInput(STEP_NAMES.grlLambda, ElemType.Float, []));
    const logits = domainLogits(ops, params, reversed);
    const loss = domainLoss(ops, logits, b.addInput(STEP_NAMES.domainLabels, ElemType.Float, [BATCH_DIM, 1]));
    b.addOutput(loss, STEP_NAMES.domainLoss);
    b.addOutput(logits, STEP_NAMES.domainLogits);
    total = b.op('Add', [total, loss], {}, { hint: 'total_loss' });
  }
  const coralWeight = spec.domain?.coralWeight ?? 0;
  if (coralWeight > 0) {
    const loss = coralLoss(ops, features, b.addInput(STEP_NAMES.sourceMask, ElemType.Float, [BATCH_DIM, 1]), hiddenSize);
    b.addOutput(loss, STEP_NAMES.coralLoss);
    total = b.op('Add', [total, ops.affine(loss, coralWeight)], {}, { hint: 'total_loss' });
  }
  return { classLoss, total };
}

function appendUpdate(
  b: GraphBuilder,
  params: readonly string[],
  gradOf: (p: string) => string,
  settings: (name: string) => ParamSettings,
  hyper: AdamWHyper,
  target: GraphTarget,
): void {
  const entries = params.map((p) => {
    const { lrScale, weightDecay } = settings(p);
    return {
      param: p,
      grad: gradOf(p),
      m: b.addInput(STEP_NAMES.m(p), ElemType.Float, b.shape(p)),
      v: b.addInput(STEP_NAMES.v(p), ElemType.Float, b.shape(p)),
      lrScale,
      weightDecay,
      outputNames: { param: STEP_NAMES.newParam(p), m: STEP_NAMES.newM(p), v: STEP_NAMES.newV(p) },
    };
  });
  const { gradNorm, updated } = appendClipAndAdamW(b, entries, hyper, target);
  b.addOutput(gradNorm, STEP_NAMES.gradNorm);
  for (const [p, u] of updated) {
    b.addOutput(u.param, STEP_NAMES.newParam(p));
    b.addOutput(u.m, STEP_NAMES.newM(p));
    b.addOutput(u.v, STEP_NAMES.newV(p));
  }
}

function isRead(graph: Graph, name: string): boolean {
  return graph.outputs.some((o) => o.name === name) || graph.nodes.some((n) => n.inputs.includes(name));
}

/** Inputs nothing reads are removed, so the engine feeds only what a graph uses. */
function dropUnusedInputs(graph: Graph): Graph {
  const read = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) for (const i of n.inputs) read.add(i);
  return { ...graph, inputs: graph.inputs.filter((v) => read.has(v.name)) };
}
