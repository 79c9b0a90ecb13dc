import type { TrainingEngine, OptimizerState } from '../engine/types.js';
import type { ProblemType } from '../heads/classification.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { runTrainingLoop } from '../trainer/loop.js';
import { linearSchedule, paramSettings } from '../trainer/schedule.js';
import type { EvaluationReport } from './evaluation.js';
import { ClassificationObjective } from './objectives/classification.js';
import { DomainObjective } from './objectives/domain.js';
import { TokenClassificationObjective, type TokenTargets } from './objectives/token-classification.js';
import type { Strategy } from './strategy.js';
import type { TokenizedSet } from './tokenized.js';

/** Hyper-parameters of a fine-tuning run (everything but the data and the model). */
export interface TrainerSettings {
  problem: ProblemType;
  labels: string[];
  numOutputs: number;
  strategy: Strategy;
  epochs: number;
  /** Stop after this many optimiser steps (overrides epochs when smaller). */
  maxSteps?: number;
  /** Examples per optimiser step, split into `gradientAccumulation` equal micro-batches (the same meaning as --batch-size). */
  batchSize: number;
  gradientAccumulation: number;
  lr: number;
  headLr?: number;
  layerLrDecay: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  /** Evaluate every N optimiser steps; 0 = at the end of each epoch. */
  evalSteps: number;
  /** Stop when the metric has not improved for this many evaluations; 0 = never. */
  earlyStoppingPatience: number;
  metricForBest: string;
  /** Multi-label decision threshold on sigmoid scores. */
  threshold: number;
  classWeights?: Float32Array;
  evalBatchSize: number;
  /** DANN's largest gradient-reversal coefficient (used when the data has target text). */
  domainLambdaMax?: number;
}

/** One evaluation point in training_results.json's history. */
export interface HistoryEntry {
  epoch: number;
  step: number;
  train_loss: number;
  learning_rate: number;
  eval_loss?: number;
  eval_metrics?: Record<string, number>;
  elapsed_s: number;
  /** Domain adaptation, means since the last evaluation: the discriminator's loss and accuracy (0.5 is the aim), λ, the CORAL term. */
  domain_loss?: number;
  domain_accuracy?: number;
  domain_lambda?: number;
  coral_loss?: number;
}

export interface StepLog {
  step: number;
  loss: number;
  learning_rate: number;
  domain_accuracy?: number;
  domain_lambda?: number;
  coral_loss?: number;
}

export interface BestPoint {
  epoch: number;
  step: number;
  metric: string;
  value: number;
}

/** Everything needed to continue a run exactly where a checkpoint left it. */
export interface TrainerState {
  globalStep: number;
  history: HistoryEntry[];
  steps: StepLog[];
  best: BestPoint | null;
  /** The full evaluation report of the best point (per-class table, confusion matrix). */
  bestReport: EvaluationReport | null;
  evalsWithoutImprovement: number;
  elapsedSeconds: number;
  /** Loss sum/count since the last evaluation. */
  pendingLoss: { sum: number; count: number };
  /** Domain-objective sums since the last evaluation (domain adaptation only). */
  pendingDomain?: { loss: number; correct: number; count: number; lambda: number; coral: number; steps: number };
}

export interface TrainerData {
  train: TokenizedSet;
  trainTargets: Float32Array;
  eval?: TokenizedSet;
  evalTargets?: Float32Array;
  /** Unlabelled target-domain text: each training batch then mixes in as many target rows (domain-batches.ts). */
  target?: TokenizedSet;
  /** Token classification: `train` and `eval` are windows, and these their token labels (trainTargets is then empty). */
  tokenTargets?: TokenTargets;
}

/** Progress events; the CLI draws bars from them, a service may log them. */
export interface TrainerCallbacks {
  onStep?(e: { step: number; totalSteps: number; epoch: number; loss: number; lr: number; examplesPerSecond: number }): void;
  onEpochStart?(e: { epoch: number; epochs: number; stepsInEpoch: number; firstStep: number }): void;
  onEvaluate?(e: { entry: HistoryEntry; improved: boolean }): void;
  onEvaluateProgress?(done: number, total: number): void;
  /** Called with the weights whenever the best metric improves (or at the end when there is no evaluation). */
  saveBest?(weights: Map<string, HostTensor>, best: BestPoint | null): Promise<void>;
  /** Called at checkpoint points with the full state; must write atomically. */
  saveCheckpoint?(checkpoint: { weights: Map<string, HostTensor>; optimizer: OptimizerState; state: TrainerState }): Promise<void>;
  /** How often (ms) to call saveCheckpoint during an epoch; epochs always end with one. */
  checkpointIntervalMs?: number;
  /** Also checkpoint when the run completes (default true; see LoopOptions.finalCheckpoint). */
  finalCheckpoint?: boolean;
}

export interface TrainOutcome {
  state: TrainerState;
  finalEval?: EvaluationReport;
  interrupted: boolean;
  trainExamplesPerSecond: number;
}

export function emptyState(): TrainerState {
  return {
    globalStep: 0,
    history: [],
    steps: [],
    best: null,
    bestReport: null,
    evalsWithoutImprovement: 0,
    elapsedSeconds: 0,
    pendingLoss: { sum: 0, count: 0 },
  };
}

/**
 * Fine-tuning a sequence or token classifier on the one training loop (trainer/loop.ts): the
 * classification objective, the domain objective when the data has target text, or the token
 * classification objective when it has token labels, under
 * warm-up + linear decay and per-parameter LR (layer decay, head LR), with resumable checkpoints.
 */
export class Trainer {
  private stopRequested = false;

  constructor(
    private readonly engine: TrainingEngine,
    private readonly config: BertConfig,
    private readonly paramNames: readonly string[],
    private readonly settings: TrainerSettings,
    private readonly callbacks: TrainerCallbacks = {},
  ) {}

  /** Asks the loop to stop after the current step (Ctrl-C); it saves a checkpoint first. */
  requestStop(): void {
    this.stopRequested = true;
  }

  async train(data: TrainerData, resume?: { state: TrainerState; optimizer: OptimizerState }): Promise<TrainOutcome> {
    const s = this.settings;
    const state = resume ? structuredClone(resume.state) : emptyState();
    if (resume) this.engine.loadOptimizerState(resume.optimizer);
    const setup = { engine: this.engine, config: this.config, paramNames: this.paramNames, settings: s, callbacks: this.callbacks, data, state };
    const objective = data.tokenTargets
      ? new TokenClassificationObjective(setup)
      : data.target
        ? new DomainObjective(setup)
        : new ClassificationObjective(setup);
    const total = objective.total;
    const schedule = linearSchedule(s.lr, Math.round(s.warmupRatio * total), total);
    const saveCheckpoint = this.callbacks.saveCheckpoint;
    const outcome = await runTrainingLoop({
      engine: this.engine,
      objective,
      startStep: state.globalStep,
      totalSteps: total,
      elapsedMsBefore: state.elapsedSeconds * 1000,
      schedule: (step) => schedule(step),
      maxGradNorm: s.maxGradNorm,
      settingsOf: paramSettings(this.config, { lr: s.lr, headLr: s.headLr, layerLrDecay: s.layerLrDecay, weightDecay: s.weightDecay }),
      diverged: (loss, step) => new Error(`training diverged: loss is ${loss} at step ${step}; lower --learning-rate`),
      checkpoint: saveCheckpoint
        ? async (elapsedMs) => {
            state.elapsedSeconds = elapsedMs / 1000;
            await saveCheckpoint({ weights: await this.engine.weights(), optimizer: await this.engine.optimizerState(), state: structuredClone(state) });
          }
        : undefined,
      checkpointIntervalMs: this.callbacks.checkpointIntervalMs,
      finalCheckpoint: this.callbacks.finalCheckpoint,
      stopRequested: () => this.stopRequested,
    });
    state.elapsedSeconds = outcome.elapsedMs / 1000;
    if (!outcome.interrupted && !data.eval) await this.callbacks.saveBest?.(await this.engine.weights(), null);
    const runSeconds = Math.max(1e-3, state.elapsedSeconds - (resume?.state.elapsedSeconds ?? 0));
    return { state, finalEval: state.bestReport ?? undefined, interrupted: outcome.interrupted, trainExamplesPerSecond: objective.examplesSeen / runSeconds };
  }
}
