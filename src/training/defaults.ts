import { UsageError } from '../errors.js';
import type { ProblemType } from '../heads/classification.js';
import { EMBEDDED_MODEL } from '../hub/embedded.js';
import { familyPooling } from '../checkpoint/classifier-config.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { Strategy } from './strategy.js';
import type { Task } from './task.js';

/**
 * The defaults of fine-tuning, in one table: `bertft train` shows and applies them (its --help and
 * docs/cli.md are generated from it), `fineTune` / `TextClassifier.fit` apply them to omitted
 * options, and training_results.json records the values so resolved. Change a default here only.
 */
export const TRAIN_DEFAULTS = {
  /** The English BERT that ships with bertft (models/bert-tiny-en): no flags and no network needed. */
  model: EMBEDDED_MODEL,
  output: 'bertft-model',
  strategy: 'full',
  /** Fraction of the training data held out when no validation data is given. */
  validationSplit: 0.1,
  /** The fewest epochs of a fine-tune; small data sets get more (minSteps), up to maxEpochs. */
  epochs: 3,
  frozenEpochs: 10,
  /**
   * Optimiser steps a run needs at the least: with 3 epochs a small set gets a few dozen steps and
   * underfits (SST-2 1k: 96 steps, train loss 0.57; docs/recipes.md). Epochs = ceil(minSteps / steps per epoch),
   * between the epochs above and maxEpochs; early stopping ends the run once the validation metric
   * stops improving, keeping the best checkpoint.
   */
  minSteps: 1000,
  maxEpochs: 20,
  frozenMaxEpochs: 50,
  /** Examples per optimiser step (split into gradientAccumulation equal micro-batches). */
  batchSize: 32,
  /** Micro-batches per optimiser step: each holds batchSize / gradientAccumulation examples. */
  gradientAccumulation: 1,
  /**
   * Peak LR by model width: the first row whose maxHidden ≥ the model's hidden size. Narrow models
   * want larger steps: Turc et al. 2019 fine-tuned the compact BERTs with LRs up to 3e-4, and at 1e-4
   * BERT-Tiny still underfits after 3 epochs (docs/recipes.md); base-size and larger models keep
   * the BERT paper's 2e-5…5e-5.
   */
  learningRateByWidth: [
    { maxHidden: 128, lr: 3e-4 },
    { maxHidden: 256, lr: 2e-4 },
    { maxHidden: 512, lr: 1e-4 },
    { maxHidden: Infinity, lr: 3e-5 },
  ] as ReadonlyArray<{ maxHidden: number; lr: number }>,
  /**
   * Token classification's peak LR by model width, with no scaling for long runs: every labelled
   * word is a target, so a step carries far more signal than a sequence classifier's. Measured on
   * WikiANN English with BERT-Tiny (docs/token-classification.md: dev entity F1 0.457 at the
   * sequence rule's 2.2e-4, 0.513 at 1e-3, 0.522 at 2e-3; from random init 0.474 → 0.551); the
   * wider rows step down towards Hugging Face run_ner.py's 5e-5 for base-size models.
   */
  tokenLearningRateByWidth: [
    { maxHidden: 128, lr: 2e-3 },
    { maxHidden: 256, lr: 1e-3 },
    { maxHidden: 512, lr: 4e-4 },
    { maxHidden: Infinity, lr: 5e-5 },
  ] as ReadonlyArray<{ maxHidden: number; lr: number }>,
  /** A linear probe on fixed features tolerates (and needs) a large LR. */
  frozenLearningRate: 1e-2,
  /** 1 = no layer-wise decay. */
  layerLrDecay: 1,
  warmupRatio: 0.1,
  frozenWarmupRatio: 0,
  weightDecay: 0.01,
  maxGradNorm: 1,
  seed: 42,
  /** Longest token sequence (capped by the model's positions). */
  maxLength: 128,
  /** 0 = evaluate at the end of each epoch. */
  evalSteps: 0,
  /**
   * Evaluations without improvement before stopping (0 = never); the best checkpoint is what the
   * output folder holds. Applies when the run has more evaluations than this.
   */
  earlyStoppingPatience: 3,
  /** The budget of `--autotune` given without a duration. */
  autotuneBudget: '5m',
  /** Successive halving: a trial goes on past a rung only in the top 1/eta of the scores there. */
  autotuneEta: 3,
  /** Rungs per trial: ranked at fractions 1/eta², 1/eta of its optimiser steps, then the end. */
  autotuneRungs: 3,
  /** The search space of --autotune, around the rules: LR and epochs as multiples of the rules' values. */
  autotuneSpace: {
    lrFactors: [0.3, 0.5, 1, 2, 3],
    frozenLrFactors: [0.3, 1, 3],
    epochsScales: [0.5, 1, 2],
    batchSizes: [16, 32, 64],
    headLrScales: [1, 3, 10],
  },
  pooling: 'pooler' as Pooling,
  /** Frozen features: the pooler is trained only by NSP and carries little task signal (docs/concepts.md). */
  frozenPooling: 'mean' as Pooling,
  metricForBest: { single_label_classification: 'accuracy', multi_label_classification: 'micro_f1', regression: 'pearson' } as Record<ProblemType, string>,
  /** Multi-label decision threshold on sigmoid scores. */
  threshold: 0.5,
  classWeights: 'none' as 'none' | 'balanced',
  init: 'pretrained' as 'pretrained' | 'random',
  checkpointMinutes: 2,
  /** Batch size of evaluation and of frozen feature extraction (no gradients, so larger). */
  evalBatchSize: 64,
  engine: 'auto',
  backend: 'auto',
  device: 'cpu',
} as const;

const frozen = (s: Strategy) => s.kind === 'frozen';

/** Peak learning rates by strategy and model width (see docs/recipes.md for the reasoning). */
export function defaultLearningRate(strategy: Strategy, hiddenSize: number): number {
  return learningRateRule(strategy, hiddenSize).value;
}

/**
 * The learning-rate rule with its reason, as training_results.json's `recipe` records it: by model
 * width, and for a run of more than `minSteps` optimiser steps (`totalSteps`, when known) scaled by
 * √(minSteps / steps). The width rates were chosen on runs of about 1,000 steps; on all 67,349
 * SST-2 sentences (6,315 steps) the grid's 1e-4 beat the width rule's 3e-4 by more than a point
 * (docs/recipes.md), as longer runs take smaller steps in BERT practice (2e-5…5e-5 for Base).
 * Token classification has a table of its own (tokenLearningRateByWidth).
 */
export function learningRateRule(strategy: Strategy, hiddenSize: number, totalSteps?: number, task: Task = 'sequence-classification'): RecipeChoice {
  const d = TRAIN_DEFAULTS;
  if (frozen(strategy)) return { value: d.frozenLearningRate, source: 'default', rule: 'frozen encoder: a linear probe on fixed features takes a large LR' };
  const tokens = task === 'token-classification';
  const table = tokens ? d.tokenLearningRateByWidth : d.learningRateByWidth;
  const row = table.find((r) => hiddenSize <= r.maxHidden)!;
  const bound = Number.isFinite(row.maxHidden) ? `hidden ${hiddenSize} ≤ ${row.maxHidden}` : `hidden ${hiddenSize} > ${table.at(-2)!.maxHidden}`;
  const byWidth = `${tokens ? 'token classification ' : ''}by model width: ${bound} → ${row.lr.toExponential()}`;
  if (tokens) return { value: row.lr, source: 'rule', rule: byWidth };
  if (totalSteps === undefined || totalSteps <= d.minSteps) return { value: row.lr, source: 'rule', rule: byWidth };
  const value = Number((row.lr * Math.sqrt(d.minSteps / totalSteps)).toPrecision(2));
  return { value, source: 'rule', rule: `${byWidth}; ${totalSteps} steps > ${d.minSteps}: × √(${d.minSteps}/${totalSteps}) → ${value.toExponential()}` };
}

/**
 * The examples of one micro-batch: `batchSize` (examples per optimiser step, the meaning of
 * --batch-size in every command) split into `gradientAccumulation` equal micro-batches, whose
 * gradients are summed into one step. The split must be even.
 */
export function microBatchSize(batchSize: number, gradientAccumulation = 1): number {
  if (!Number.isInteger(gradientAccumulation) || gradientAccumulation < 1)
    throw new UsageError(`--gradient-accumulation-steps must be a positive whole number, got ${gradientAccumulation}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize % gradientAccumulation !== 0) {
    throw new UsageError(
      `--batch-size (${batchSize}, examples per optimiser step) must be a whole multiple of --gradient-accumulation-steps (${gradientAccumulation}), which splits each step into that many equal micro-batches`,
    );
  }
  return batchSize / gradientAccumulation;
}

/**
 * Optimiser steps per epoch with `batchSize` examples a step in `gradientAccumulation`
 * micro-batches: the epoch's micro-batches, then steps of up to `gradientAccumulation` of them.
 */
export function stepsPerEpoch(trainExamples: number, batchSize: number, gradientAccumulation = 1): number {
  const micro = microBatchSize(batchSize, gradientAccumulation);
  return Math.max(1, Math.ceil(Math.ceil(trainExamples / micro) / gradientAccumulation));
}

/** The fewest epochs of a strategy (the minimum of the min-steps rule). */
export const defaultEpochs = (s: Strategy): number => (frozen(s) ? TRAIN_DEFAULTS.frozenEpochs : TRAIN_DEFAULTS.epochs);

/**
 * Epochs from the data size (`batchSize` examples per optimiser step, in `gradientAccumulation`
 * micro-batches): enough epochs for `minSteps` optimiser steps, at least the strategy's
 * default epochs and at most its maxEpochs. Small sets get many short epochs (early stopping ends
 * them), large sets the usual 3.
 */
export function epochsRule(strategy: Strategy, trainExamples: number, batchSize: number, gradientAccumulation = 1, scale = 1): RecipeChoice {
  const d = TRAIN_DEFAULTS;
  const lo = defaultEpochs(strategy);
  const hi = frozen(strategy) ? d.frozenMaxEpochs : d.maxEpochs;
  const perEpoch = stepsPerEpoch(trainExamples, batchSize, gradientAccumulation);
  const want = Math.ceil(d.minSteps / perEpoch);
  const value = Math.min(hi, Math.max(lo, want));
  const why =
    want <= lo
      ? `${perEpoch} steps per epoch: ${lo} epochs already exceed the ${d.minSteps} minimum steps`
      : want > hi
        ? `${perEpoch} steps per epoch: ${d.minSteps} minimum steps would need ${want} epochs, capped at ${hi}`
        : `${perEpoch} steps per epoch: ${value} epochs reach the ${d.minSteps} minimum steps`;
  if (scale === 1) return { value, source: 'rule', rule: why };
  return { value: Math.max(1, Math.round(value * scale)), source: 'rule', rule: `${scale} × (${why})` };
}

/** Early-stopping patience: on by default once there are more evaluations than the patience. */
export function earlyStoppingRule(epochs: number, evalSteps: number, hasValidation: boolean): RecipeChoice {
  const p = TRAIN_DEFAULTS.earlyStoppingPatience;
  if (!hasValidation) return { value: 0, source: 'rule', rule: 'no validation data: nothing to stop on' };
  if (evalSteps === 0 && epochs <= p)
    return { value: p, source: 'default', rule: `${epochs} evaluations: patience ${p} cannot trigger; the best epoch is kept` };
  return { value: p, source: 'default', rule: `stop after ${p} evaluations without improvement; the best checkpoint is kept` };
}

export const defaultWarmupRatio = (s: Strategy): number => (frozen(s) ? TRAIN_DEFAULTS.frozenWarmupRatio : TRAIN_DEFAULTS.warmupRatio);
/** The pooling a strategy trains with by default; given the model's config, its family's head pooling (`cls` for RoBERTa, XLM-R, ELECTRA, DistilBERT). */
export const defaultPooling = (s: Strategy, config?: BertConfig): Pooling =>
  frozen(s) ? TRAIN_DEFAULTS.frozenPooling : config ? familyPooling(config) : TRAIN_DEFAULTS.pooling;
export const defaultMetric = (problem: ProblemType): string => TRAIN_DEFAULTS.metricForBest[problem];

/** One resolved setting and what chose it: a flag, a fixed default, or a rule from the data and the model. */
export interface RecipeChoice {
  value: number;
  source: 'flag' | 'default' | 'rule';
  rule: string;
}

/** A flag's value when given, else the rule's choice. */
export function chosen(flag: number | undefined, flagName: string, rule: () => RecipeChoice): RecipeChoice {
  return flag !== undefined ? { value: flag, source: 'flag', rule: `${flagName} ${flag}` } : rule();
}
