import { bucketedBatches } from '../data/index.js';
import { metricGreaterIsBetter, metricValue } from '../metrics/index.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { DomainStepStats, OptimizerState, TrainBatch, TrainingEngine } from '../engine/types.js';
import { evaluationReport, logitsFor, type EvaluationReport, type MetricsReport } from './evaluation.js';
import type { ProblemType } from '../heads/classification.js';
import { linearSchedule, paramSettings } from './schedule.js';
import { trainableParams, type Strategy } from './strategy.js';
import { collate, gatherRows, type TokenizedSet } from './tokenized.js';
import { DomainBatches } from './domain-batches.js';
import { dannLambda, isDomainParam } from '../heads/domain.js';

/** Hyper-parameters of a fine-tuning run (everything but the data and the model). */
export interface TrainerSettings {
  problem: ProblemType;
  labels: string[];
  numOutputs: number;
  strategy: Strategy;
  epochs: number;
  /** Stop after this many optimiser steps (overrides epochs when smaller). */
  maxSteps?: number;
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
  /**
   * Also checkpoint when the run completes (default true). A caller that deletes the checkpoint
   * after a completed run sets false: the last checkpoint copies every weight and AdamW moment
   * (three times the model) to disk only to be removed.
   */
  finalCheckpoint?: boolean;
}

export interface TrainOutcome {
  state: TrainerState;
  finalEval?: EvaluationReport;
  interrupted: boolean;
  trainExamplesPerSecond: number;
}

/** A mixing of seed and step into a 32-bit dropout seed, so every step's masks are fixed by (seed, step). */
function stepSeed(seed: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ step, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function emptyState(): TrainerState {
  return { globalStep: 0, history: [], steps: [], best: null, bestReport: null, evalsWithoutImprovement: 0, elapsedSeconds: 0, pendingLoss: { sum: 0, count: 0 } };
}

/**
 * The fine-tuning loop: length-bucketed shuffled batches (fixed by seed and epoch), gradient
 * accumulation, warm-up + linear decay, per-parameter LR (layer decay, head LR), evaluation,
 * early stopping, best-model keeping and resumable checkpoints. Every random choice derives from
 * (seed, epoch, step), so a run resumed from a checkpoint continues exactly as if never stopped.
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

  private batchesOfEpoch(train: TokenizedSet, epoch: number): number[][] {
    return bucketedBatches(train.lengths, this.settings.batchSize, (this.settings.seed + 1000003 * epoch) >>> 0);
  }

  stepsPerEpoch(train: TokenizedSet): number {
    return Math.ceil(Math.ceil(train.lengths.length / this.settings.batchSize) / this.settings.gradientAccumulation);
  }

  totalSteps(train: TokenizedSet): number {
    const byEpochs = this.stepsPerEpoch(train) * this.settings.epochs;
    return this.settings.maxSteps ? Math.min(this.settings.maxSteps, byEpochs) : byEpochs;
  }

  async train(data: TrainerData, resume?: { state: TrainerState; optimizer: OptimizerState }): Promise<TrainOutcome> {
    const s = this.settings;
    const state = resume ? structuredClone(resume.state) : emptyState();
    if (resume) this.engine.loadOptimizerState(resume.optimizer);
    const perEpoch = this.stepsPerEpoch(data.train);
    const total = this.totalSteps(data.train);
    const schedule = linearSchedule(s.lr, Math.round(s.warmupRatio * total), total);
    const settingsOf = paramSettings(this.config, { lr: s.lr, headLr: s.headLr, layerLrDecay: s.layerLrDecay, weightDecay: s.weightDecay });
    const started = Date.now() - state.elapsedSeconds * 1000;
    const stepsBefore = state.globalStep;
    let examplesSeen = 0;
    let lastCheckpoint = Date.now();
    let stoppedEarly = false;
    const elapsed = () => (Date.now() - started) / 1000;
    const mixed = data.target ? new DomainBatches(data.train, data.target, s.seed) : undefined;
    // The domain discriminator trains under every strategy, like the head.
    const domainParams = this.paramNames.filter(isDomainParam);

    while (state.globalStep < total && !stoppedEarly && !this.stopRequested) {
      const epoch = Math.floor(state.globalStep / perEpoch);
      const stepInEpoch = state.globalStep % perEpoch;
      this.engine.setTrainable(new Set([...trainableParams(s.strategy, this.config, this.paramNames, epoch), ...domainParams]));
      if (stepInEpoch === 0 || state.globalStep === stepsBefore) this.callbacks.onEpochStart?.({ epoch, epochs: s.epochs, stepsInEpoch: perEpoch, firstStep: epoch * perEpoch });
      const batches = this.batchesOfEpoch(data.train, epoch);
      const epochEnd = Math.min((epoch + 1) * perEpoch, total);
      for (let k = stepInEpoch; state.globalStep < epochEnd; k++) {
        const micro: TrainBatch[] = batches
          .slice(k * s.gradientAccumulation, (k + 1) * s.gradientAccumulation)
          .map((idx, j): TrainBatch => {
            const targets = gatherRows(data.trainTargets, s.numOutputs, idx);
            return mixed ? mixed.batch(idx, targets, state.globalStep * s.gradientAccumulation + j) : { tokens: collate(data.train, idx), targets };
          });
        const lr = schedule(state.globalStep);
        const t0 = Date.now();
        const domainLambda = mixed ? dannLambda(state.globalStep / total, s.domainLambdaMax ?? 1) : undefined;
        const loss = await this.engine.trainStep(micro, { lr, maxGradNorm: s.maxGradNorm, settingsOf, dropoutSeed: stepSeed(s.seed, state.globalStep), domainLambda });
        if (!Number.isFinite(loss)) throw new Error(`training diverged: loss is ${loss} at step ${state.globalStep + 1}; lower --learning-rate`);
        const n = micro.reduce((a, b) => a + b.tokens.batchSize, 0);
        examplesSeen += n;
        state.globalStep += 1;
        state.pendingLoss.sum += loss;
        state.pendingLoss.count += 1;
        const stepLog: StepLog = { step: state.globalStep, loss, learning_rate: lr };
        if (mixed) trackDomain(state, stepLog, this.engine.domainStats?.(), domainLambda!);
        state.steps.push(stepLog);
        this.callbacks.onStep?.({ step: state.globalStep, totalSteps: total, epoch, loss, lr, examplesPerSecond: n / Math.max(1e-3, (Date.now() - t0) / 1000) });
        const atEpochEnd = state.globalStep === epochEnd;
        const evalNow = s.evalSteps > 0 ? state.globalStep % s.evalSteps === 0 || state.globalStep === total : atEpochEnd;
        if (evalNow) {
          const improved = await this.evaluateAndTrack(data, state, epoch, lr, elapsed());
          if (s.earlyStoppingPatience > 0 && !improved && state.evalsWithoutImprovement >= s.earlyStoppingPatience) stoppedEarly = true;
        }
        const due = this.callbacks.checkpointIntervalMs !== undefined && Date.now() - lastCheckpoint >= this.callbacks.checkpointIntervalMs;
        const completed = (state.globalStep === total || stoppedEarly) && !this.stopRequested;
        if ((atEpochEnd || due || this.stopRequested || stoppedEarly) && !(completed && this.callbacks.finalCheckpoint === false)) {
          state.elapsedSeconds = elapsed();
          await this.checkpoint(state);
          lastCheckpoint = Date.now();
        }
        if (this.stopRequested || stoppedEarly) break;
      }
    }
    state.elapsedSeconds = elapsed();
    const interrupted = this.stopRequested && state.globalStep < total && !stoppedEarly;
    if (!interrupted && !data.eval) await this.callbacks.saveBest?.(await this.engine.weights(), null);
    const finalEval = state.bestReport ?? undefined;
    const runSeconds = Math.max(1e-3, state.elapsedSeconds - (resume?.state.elapsedSeconds ?? 0));
    return { state, finalEval, interrupted, trainExamplesPerSecond: examplesSeen / runSeconds };
  }

  /** Metrics and loss on the evaluation set with the current weights. */
  async evaluate(data: TrainerData): Promise<EvaluationReport> {
    const s = this.settings;
    const logits = await logitsFor(this.engine, data.eval!, s.numOutputs, s.evalBatchSize, (d) => this.callbacks.onEvaluateProgress?.(d, data.eval!.lengths.length));
    return evaluationReport(s.problem, logits, data.evalTargets!, s.numOutputs, s.labels, s.threshold, s.classWeights);
  }

  private async evaluateAndTrack(data: TrainerData, state: TrainerState, epoch: number, lr: number, elapsedS: number): Promise<boolean> {
    const s = this.settings;
    const entry: HistoryEntry = {
      epoch: epoch + 1,
      step: state.globalStep,
      train_loss: state.pendingLoss.count ? state.pendingLoss.sum / state.pendingLoss.count : NaN,
      learning_rate: lr,
      elapsed_s: elapsedS,
    };
    state.pendingLoss = { sum: 0, count: 0 };
    const pd = state.pendingDomain;
    if (pd && pd.steps > 0) {
      // λ belongs to DANN (the discriminator's stats); CORAL reports its loss term.
      if (pd.count > 0) Object.assign(entry, { domain_loss: pd.loss / pd.steps, domain_accuracy: pd.correct / pd.count, domain_lambda: pd.lambda / pd.steps });
      if (pd.coral > 0) entry.coral_loss = pd.coral / pd.steps;
      state.pendingDomain = { loss: 0, correct: 0, count: 0, lambda: 0, coral: 0, steps: 0 };
    }
    let improved = false;
    if (data.eval) {
      const report = await this.evaluate(data);
      entry.eval_loss = report.eval_loss;
      entry.eval_metrics = scalarMetrics(report);
      const value = s.metricForBest === 'eval_loss' ? report.eval_loss : metricValue(report as never, s.metricForBest);
      const greater = s.metricForBest === 'eval_loss' ? false : metricGreaterIsBetter(s.metricForBest);
      improved = state.best === null || (greater ? value > state.best.value : value < state.best.value);
      if (improved) {
        state.best = { epoch: epoch + 1, step: state.globalStep, metric: s.metricForBest, value };
        state.bestReport = report;
        state.evalsWithoutImprovement = 0;
        await this.callbacks.saveBest?.(await this.engine.weights(), state.best);
      } else {
        state.evalsWithoutImprovement += 1;
      }
    }
    state.history.push(entry);
    this.callbacks.onEvaluate?.({ entry, improved });
    return improved;
  }

  private async checkpoint(state: TrainerState): Promise<void> {
    if (!this.callbacks.saveCheckpoint) return;
    await this.callbacks.saveCheckpoint({ weights: await this.engine.weights(), optimizer: await this.engine.optimizerState(), state: structuredClone(state) });
  }
}

/** Adds a step's domain objectives to its log line and to the sums reported at the next evaluation. */
function trackDomain(state: TrainerState, log: StepLog, stats: DomainStepStats | undefined, lambda: number): void {
  const pd = (state.pendingDomain ??= { loss: 0, correct: 0, count: 0, lambda: 0, coral: 0, steps: 0 });
  pd.steps += 1;
  pd.lambda += lambda;
  if (stats?.domainCount) {
    log.domain_accuracy = stats.domainCorrect! / stats.domainCount;
    log.domain_lambda = lambda;
    pd.loss += stats.domainLoss ?? 0;
    pd.correct += stats.domainCorrect!;
    pd.count += stats.domainCount;
  }
  if (stats?.coralLoss !== undefined) {
    log.coral_loss = stats.coralLoss;
    pd.coral += stats.coralLoss;
  }
}

/** The numeric top-level entries of a report (per-class tables and matrices stay out of the history). */
export function scalarMetrics(report: MetricsReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(report)) if (typeof v === 'number' && k !== 'support' && k !== 'eval_loss') out[k] = v;
  return out;
}
