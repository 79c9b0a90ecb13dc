/**
 * A run's schedule: the batch, the epochs, the learning rate and the early-stopping patience, each
 * from its flag or from the rules of defaults.ts (the data and the model), with what chose it.
 */
import type { BertConfig } from '../models/bert/config.js';
import type { RecipeRules, ScheduleHyperparameters } from '../report/types.js';
import { chosen, earlyStoppingRule, epochsRule, learningRateRule, microBatchSize, stepsPerEpoch, TRAIN_DEFAULTS } from './defaults.js';
import type { FineTuneOptions } from './fine-tune.js';
import type { Strategy } from './strategy.js';
import type { Task } from './task.js';
import type { TrainerSettings } from './trainer.js';
import { defaultWarmupRatio } from './defaults.js';

export interface Schedule {
  /** Examples per optimiser step. */
  batchSize: number;
  gradientAccumulation: number;
  epochs: number;
  learningRate: number;
  evalSteps: number;
  earlyStoppingPatience: number;
  /** What chose each rule-based setting, as training_results.json's `recipe_rules` records it. */
  recipeRules: RecipeRules;
}

/**
 * The batch of a run: `batchSize` examples per optimiser step (the meaning of --batch-size in every
 * command), in `gradientAccumulation` equal micro-batches. Fails when the split is uneven.
 */
export function batchOf(options: Pick<FineTuneOptions, 'batchSize' | 'gradientAccumulation'>): { batchSize: number; gradientAccumulation: number } {
  const batchSize = options.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const gradientAccumulation = options.gradientAccumulation ?? TRAIN_DEFAULTS.gradientAccumulation;
  microBatchSize(batchSize, gradientAccumulation); // the uneven-split usage error, before any work
  return { batchSize, gradientAccumulation };
}

/** The schedule of a run of `trainExamples` training rows (validation rows decide early stopping). */
export function resolveSchedule(
  options: FineTuneOptions,
  strategy: Strategy,
  cfg: BertConfig,
  trainExamples: number,
  hasValidation: boolean,
  task: Task = 'sequence-classification',
): Schedule {
  const d = TRAIN_DEFAULTS;
  const { batchSize, gradientAccumulation } = batchOf(options);
  const epochs = chosen(options.epochs, '--epochs', () => epochsRule(strategy, trainExamples, batchSize, gradientAccumulation, options.epochsScale));
  const plannedSteps = Math.min(options.maxSteps ?? Infinity, epochs.value * stepsPerEpoch(trainExamples, batchSize, gradientAccumulation));
  const learningRate = chosen(options.learningRate, '--learning-rate', () => learningRateRule(strategy, cfg.hiddenSize, plannedSteps, task));
  const evalSteps = options.evalSteps ?? d.evalSteps;
  const patience = chosen(options.earlyStoppingPatience, '--early-stopping-patience', () => earlyStoppingRule(epochs.value, evalSteps, hasValidation));
  const recipeRules: RecipeRules = { learning_rate: learningRate, epochs, early_stopping_patience: patience };
  return {
    batchSize,
    gradientAccumulation,
    epochs: epochs.value,
    learningRate: learningRate.value,
    evalSteps,
    earlyStoppingPatience: patience.value,
    recipeRules,
  };
}

/** The schedule as one log line: each setting and the flag or rule that chose it. */
export function scheduleLine(rules: RecipeRules): string {
  return `schedule: ${Object.entries(rules)
    .map(([k, c]) => `${k} ${c.value} (${c.source === 'flag' ? 'flag' : c.rule})`)
    .join('; ')}`;
}

/** The trainer settings every task shares: the schedule, the optimiser and the strategy, from flags, else defaults, else the schedule's rules. */
export type ScheduledSettings = Pick<
  TrainerSettings,
  | 'strategy'
  | 'epochs'
  | 'maxSteps'
  | 'batchSize'
  | 'gradientAccumulation'
  | 'lr'
  | 'headLr'
  | 'layerLrDecay'
  | 'warmupRatio'
  | 'weightDecay'
  | 'maxGradNorm'
  | 'seed'
  | 'evalSteps'
  | 'earlyStoppingPatience'
  | 'evalBatchSize'
>;

export function scheduledSettings(options: FineTuneOptions, strategy: Strategy, schedule: Schedule, seed: number): ScheduledSettings {
  const d = TRAIN_DEFAULTS;
  return {
    strategy,
    epochs: schedule.epochs,
    maxSteps: options.maxSteps,
    // The trainer batches by micro-batch and sums gradientAccumulation of them into a step.
    batchSize: schedule.batchSize,
    gradientAccumulation: schedule.gradientAccumulation,
    lr: schedule.learningRate,
    headLr: options.headLr,
    layerLrDecay: options.layerLrDecay ?? d.layerLrDecay,
    warmupRatio: options.warmupRatio ?? defaultWarmupRatio(strategy),
    weightDecay: options.weightDecay ?? d.weightDecay,
    maxGradNorm: options.maxGradNorm ?? d.maxGradNorm,
    seed,
    evalSteps: schedule.evalSteps,
    earlyStoppingPatience: schedule.earlyStoppingPatience,
    evalBatchSize: d.evalBatchSize,
  };
}

/** training_results.json's record of the schedule and optimiser settings (the same keys, in the same order, for every task). */
export function scheduleRecord(s: ScheduledSettings, batchSize: number): ScheduleHyperparameters {
  return {
    epochs: s.epochs,
    max_steps: s.maxSteps ?? null,
    batch_size: batchSize,
    gradient_accumulation_steps: s.gradientAccumulation,
    learning_rate: s.lr,
    head_lr: s.headLr ?? null,
    layer_lr_decay: s.layerLrDecay,
    warmup_ratio: s.warmupRatio,
    weight_decay: s.weightDecay,
    max_grad_norm: s.maxGradNorm,
    seed: s.seed,
  };
}
