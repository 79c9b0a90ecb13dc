import type { ProblemType } from '../heads/classification.js';
import { EMBEDDED_MODEL } from '../hub/embedded.js';
import type { Pooling } from '../models/bert/bert.js';
import type { Strategy } from './strategy.js';

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
  epochs: 3,
  frozenEpochs: 10,
  batchSize: 32,
  gradientAccumulation: 1,
  /** Peak LR of compact BERTs (hidden ≤ compactHiddenSize), which fine-tune best near 1e-4 (Turc et al. 2019). */
  learningRate: 1e-4,
  compactHiddenSize: 256,
  /** Peak LR of base-size and larger models: 2e-5…5e-5 in the BERT paper. */
  largeModelLearningRate: 3e-5,
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
  /** 0 = never stop early. */
  earlyStoppingPatience: 0,
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

/** Peak learning rates by strategy and model width (see docs/concepts.md for the reasoning). */
export function defaultLearningRate(strategy: Strategy, hiddenSize: number): number {
  const d = TRAIN_DEFAULTS;
  if (frozen(strategy)) return d.frozenLearningRate;
  return hiddenSize <= d.compactHiddenSize ? d.learningRate : d.largeModelLearningRate;
}

export const defaultEpochs = (s: Strategy): number => (frozen(s) ? TRAIN_DEFAULTS.frozenEpochs : TRAIN_DEFAULTS.epochs);
export const defaultWarmupRatio = (s: Strategy): number => (frozen(s) ? TRAIN_DEFAULTS.frozenWarmupRatio : TRAIN_DEFAULTS.warmupRatio);
export const defaultPooling = (s: Strategy): Pooling => (frozen(s) ? TRAIN_DEFAULTS.frozenPooling : TRAIN_DEFAULTS.pooling);
export const defaultMetric = (problem: ProblemType): string => TRAIN_DEFAULTS.metricForBest[problem];
