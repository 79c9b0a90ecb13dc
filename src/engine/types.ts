import type { ProblemType } from '../heads/classification.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { TokenBatch } from '../tokenization/index.js';
import { UsageError } from '../errors.js';

/**
 * Where an engine runs. The list names every device the design plans for (DESIGN.md: onnxruntime's
 * CPU, WebGPU and CUDA providers); DEVICES is the one place that says which run today.
 */
export const KNOWN_DEVICES = ['cpu', 'webgpu', 'cuda'] as const;
export type Device = (typeof KNOWN_DEVICES)[number];
/** The devices implemented today, for inference and training (help texts list these). */
export const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];
/**
 * What `--device` and a library caller's `device` take: a device, or `auto`, which picks webgpu when
 * onnxruntime finds a WebGPU adapter and the CPU otherwise (resolveDevice in select.ts decides).
 */
export type DeviceChoice = Device | 'auto';
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', ...DEVICES];

/**
 * Checks a `--device` value (or a library caller's `device`): a supported device or `auto` passes, an
 * unknown one fails with one usage line.
 */
export function checkDevice(value: string): DeviceChoice {
  if (value === 'auto') return 'auto';
  if (!(KNOWN_DEVICES as readonly string[]).includes(value)) throw new UsageError(`--device must be one of ${DEVICE_CHOICES.join(', ')}; got "${value}"`);
  if (!DEVICES.includes(value as Device)) throw new UsageError(`--device ${value} is not supported yet; use ${DEVICES.join(' or ')}`);
  return value as Device;
}

/** A forward pass on one engine: pooled features [B, H], or logits [B, C] when built with a classifier head. */
export interface ForwardRunner {
  readonly engine: 'tfjs' | 'onnxruntime';
  run(batch: TokenBatch): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * What the training engines (onnxruntime, TF.js, the frozen-feature head) implement and take.
 * The trainer (src/training) and pre-training drive engines through these types only, so engine
 * code imports nothing from src/training.
 */

/** Sequence classification over pooled features: logits [B, numOutputs] and the problem type's loss. */
export interface ClassificationObjective {
  kind: 'classification';
  pooling: Pooling;
  problem: ProblemType;
  numOutputs: number;
  classWeights?: Float32Array;
  /**
   * Domain adaptation (src/adaptation/): training batches then carry `sourceCount` (see
   * TrainBatch): the first rows are labelled source texts and the rest unlabelled target texts;
   * the class loss counts the source rows only, and the objectives are added on the pooled
   * features of all rows. The logits and loss graphs stay those of the plain classifier.
   */
  domain?: DomainObjectives;
}

/**
 * Token classification (heads/token-classification.ts): batches carry the labelled tokens in
 * `masked` (their flat positions, label ids and m·C + label), and `targets` holds each labelled
 * token's normalised class weight when `classWeights` is set (else it is empty). `logits()`
 * returns [B, S, numLabels]: every token, dropout off.
 */
export interface TokenClassificationObjective {
  kind: 'token-classification';
  numLabels: number;
  classWeights?: Float32Array;
}

/**
 * What a training engine optimises: sequence classification, token classification, or masked LM,
 * where the batch carries the masked positions and `logits` are [masked_count, V] (heads/masked-lm.ts).
 */
export type TrainingObjective = ClassificationObjective | TokenClassificationObjective | { kind: 'masked-lm' };

/** The model and objective a training engine trains, apart from the weights' values. */
export interface TrainingModelSpec {
  config: BertConfig;
  objective: TrainingObjective;
}

/** What every training engine is built from. */
export interface TrainingEngineOptions extends TrainingModelSpec {
  /** Encoder and head weights by HF name (no `bert.` prefix). */
  weights: ReadonlyMap<string, HostTensor>;
}

/** What domain adaptation adds to the training objective (heads/domain.ts, src/adaptation/). */
export interface DomainObjectives {
  /** DANN: a domain discriminator behind a gradient-reversal layer scaled by StepOptions.domainLambda. */
  dann?: boolean;
  /** Deep CORAL: this weight times ||C_s − C_t||²_F / 4d² (0 or absent = off). */
  coralWeight?: number;
}

/** Domain-objective values of the last training step (engines with `domain` objectives). */
export interface DomainStepStats {
  /** Discriminator binary cross-entropy (DANN), mean over the step's micro-batches. */
  domainLoss?: number;
  /** Share of rows the discriminator assigns to their true domain (DANN); 0.5 is the aim. */
  domainCorrect?: number;
  domainCount?: number;
  /** ||C_s − C_t||²_F / 4d² before its weight (CORAL). */
  coralLoss?: number;
}

/**
 * A batch with its targets: rows of width `numOutputs` (one-hot, multi-hot or values); empty for
 * masked LM; for token classification, empty or the labelled tokens' class weights.
 */
export interface TrainBatch {
  tokens: TokenBatch;
  targets: Float32Array;
  /**
   * Which token rows are predicted, and the flat target index of each: the masked tokens of a
   * masked-LM batch (heads/masked-lm.ts), the labelled tokens of a token-classification batch.
   */
  masked?: MaskedTargets;
  /**
   * Domain adaptation: rows [0, sourceCount) are labelled source rows (`targets` has that many
   * rows), the rest unlabelled target rows.
   */
  sourceCount?: number;
}

/** The predicted positions of a batch: masked tokens (masked LM) or labelled tokens (token classification). */
export interface MaskedTargets {
  /** Flat row index b·S + s of each predicted token. */
  positions: Int32Array;
  /** Its target: the original token id (masked LM), the label id (token classification). */
  labels: Int32Array;
  /** m·V + labels[m] (flatTargetIndex), V the vocabulary or the number of labels. */
  targetIndex: Int32Array;
}

/** Per-parameter optimiser settings: a multiplier of the scheduled LR and the weight decay. */
export interface ParamSettings {
  lrScale: number;
  weightDecay: number;
}

/** What one optimiser step needs besides the data. */
export interface StepOptions {
  /** Scheduled learning rate (before per-parameter scaling). */
  lr: number;
  maxGradNorm: number;
  settingsOf: (name: string) => ParamSettings;
  /** Seeds dropout for this step, so the run is reproducible and a resumed run continues identically. */
  dropoutSeed: number;
  /** DANN's gradient-reversal coefficient λ for this step (heads/domain.ts dannLambda). */
  domainLambda?: number;
}

/** Moments and step count of AdamW, in host memory (what a resumable checkpoint stores). */
export interface OptimizerState {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>;
}

/**
 * The engine side of training (a sequence classifier, or the masked LM of pre-training). The
 * trainer owns the loop, schedule, strategy and checkpoints; an engine owns tensors and runs
 * forward, backward and AdamW.
 */
export interface TrainingEngine {
  readonly name: string;
  /** Parameters that receive gradients from now on (gradual unfreezing changes this per epoch). */
  setTrainable(names: ReadonlySet<string>): void;
  /** One optimiser step over one or more micro-batches (gradient accumulation); returns the mean loss. */
  trainStep(microBatches: TrainBatch[], options: StepOptions): Promise<number>;
  /** Logits with dropout off: [B, numOutputs] for sequence classification, [B, S, numLabels] for token classification. */
  logits(tokens: TokenBatch): Promise<Float32Array>;
  /** Loss of a batch with dropout off. */
  evalLoss(batch: TrainBatch): Promise<number>;
  /** All parameters (encoder + head) by HF name without the `bert.` prefix. */
  weights(): Promise<Map<string, HostTensor>>;
  optimizerState(): Promise<OptimizerState>;
  /** The domain objectives of the last trainStep, for engines built with `domain` (else undefined). */
  domainStats?(): DomainStepStats | undefined;
  loadOptimizerState(state: OptimizerState): void;
  dispose(): void;
}
