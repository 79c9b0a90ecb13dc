import { bucketedBatches } from '../../data/index.js';
import type { TrainingEngine, TrainBatch } from '../../engine/types.js';
import { isDomainParam } from '../../heads/domain.js';
import { metricGreaterIsBetter, metricValue } from '../../metrics/index.js';
import type { BertConfig } from '../../models/bert/config.js';
import type { Objective, StepDone } from '../../trainer/loop.js';
import { evaluationReport, logitsFor, type EvaluationReport, type MetricsReport } from '../evaluation.js';
import { microBatchSize, stepsPerEpoch } from '../defaults.js';
import { trainableParams } from '../strategy.js';
import { collate, gatherRows } from '../tokenized.js';
import type { HistoryEntry, StepLog, TrainerCallbacks, TrainerData, TrainerSettings, TrainerState } from '../trainer.js';

/** What a classification objective is built from: the engine, the model's names, the settings, the data and the run's state. */
export interface ClassificationSetup {
  engine: TrainingEngine;
  config: BertConfig;
  paramNames: readonly string[];
  settings: TrainerSettings;
  callbacks: TrainerCallbacks;
  data: TrainerData;
  /** The loop state, updated in place (what a checkpoint saves). */
  state: TrainerState;
}

/**
 * Sequence classification (single-label, multi-label, regression): length-bucketed shuffled
 * batches fixed by (seed, epoch), the strategy's trainable parameters per epoch, evaluation on the
 * metric for the best model, best-model keeping and early stopping.
 */
export class ClassificationObjective implements Objective {
  readonly perEpoch: number;
  /** Examples in each of a step's `gradientAccumulation` micro-batches. */
  private readonly micro: number;
  readonly total: number;
  examplesSeen = 0;
  private readonly startStep: number;
  private epochBatches?: { epoch: number; batches: number[][] };
  private last = { lr: 0, elapsedMs: 0 };

  constructor(protected readonly s: ClassificationSetup) {
    const { settings, data } = s;
    this.micro = microBatchSize(settings.batchSize, settings.gradientAccumulation);
    this.perEpoch = stepsPerEpoch(data.train.lengths.length, settings.batchSize, settings.gradientAccumulation);
    const byEpochs = this.perEpoch * settings.epochs;
    this.total = settings.maxSteps ? Math.min(settings.maxSteps, byEpochs) : byEpochs;
    this.startStep = s.state.globalStep;
  }

  protected epochOf(step: number): number {
    return Math.floor(step / this.perEpoch);
  }

  /** Parameters that train besides the strategy's: the domain discriminator trains under every strategy, like the head. */
  private alwaysTrainable(): string[] {
    return this.s.paramNames.filter(isDomainParam);
  }

  beginStep(step: number): void {
    const epoch = this.epochOf(step);
    if (step % this.perEpoch !== 0 && step !== this.startStep) return;
    const { engine, settings, config, paramNames, callbacks } = this.s;
    engine.setTrainable(new Set([...trainableParams(settings.strategy, config, paramNames, epoch), ...this.alwaysTrainable()]));
    callbacks.onEpochStart?.({ epoch, epochs: settings.epochs, stepsInEpoch: this.perEpoch, firstStep: epoch * this.perEpoch });
  }

  /** The source rows of each micro-batch of `step`. */
  protected microRows(step: number): number[][] {
    const { settings, data } = this.s;
    const epoch = this.epochOf(step);
    if (this.epochBatches?.epoch !== epoch)
      this.epochBatches = { epoch, batches: bucketedBatches(data.train.lengths, this.micro, (settings.seed + 1000003 * epoch) >>> 0) };
    const k = step % this.perEpoch;
    return this.epochBatches.batches.slice(k * settings.gradientAccumulation, (k + 1) * settings.gradientAccumulation);
  }

  batches(step: number): TrainBatch[] {
    const { data, settings } = this.s;
    return this.microRows(step).map((idx) => ({ tokens: collate(data.train, idx), targets: gatherRows(data.trainTargets, settings.numOutputs, idx) }));
  }

  stepOptions(step: number): { dropoutSeed: number; domainLambda?: number } {
    return { dropoutSeed: stepSeed(this.s.settings.seed, step) };
  }

  endStep(done: StepDone): void {
    const { state, callbacks } = this.s;
    const n = done.batches.reduce((a, b) => a + b.tokens.batchSize, 0);
    this.examplesSeen += n;
    this.last = { lr: done.lr, elapsedMs: done.elapsedMs };
    state.globalStep = done.step;
    state.pendingLoss.sum += done.loss;
    state.pendingLoss.count += 1;
    state.steps.push(this.stepLog(done));
    callbacks.onStep?.({
      step: done.step,
      totalSteps: this.total,
      epoch: this.epochOf(done.step - 1),
      loss: done.loss,
      lr: done.lr,
      examplesPerSecond: n / Math.max(1e-3, done.stepMs / 1000),
    });
  }

  protected stepLog(done: StepDone): StepLog {
    return { step: done.step, loss: done.loss, learning_rate: done.lr };
  }

  /** Whether `step` (steps done) ends an epoch: the last step of the run ends one too. */
  checkpointDue(step: number): boolean {
    return step === Math.min((this.epochOf(step - 1) + 1) * this.perEpoch, this.total);
  }

  evaluationDue(step: number): boolean {
    const evalSteps = this.s.settings.evalSteps;
    return evalSteps > 0 ? step % evalSteps === 0 || step === this.total : this.checkpointDue(step);
  }

  async evaluate(step: number): Promise<boolean> {
    const { settings, state } = this.s;
    const improved = await this.evaluateAndTrack(this.epochOf(step - 1), this.last.lr, this.last.elapsedMs / 1000);
    return settings.earlyStoppingPatience > 0 && !improved && state.evalsWithoutImprovement >= settings.earlyStoppingPatience;
  }

  /** Metrics and loss on the evaluation set with the current weights. */
  async report(): Promise<EvaluationReport> {
    const { settings: s, data, engine, callbacks } = this.s;
    const logits = await logitsFor(engine, data.eval!, s.numOutputs, s.evalBatchSize, (d) => callbacks.onEvaluateProgress?.(d, data.eval!.lengths.length));
    return evaluationReport(s.problem, logits, data.evalTargets!, s.numOutputs, s.labels, s.threshold, s.classWeights);
  }

  /** The history entry of an evaluation point, before its metrics (the domain objective adds its means). */
  protected historyEntry(epoch: number, lr: number, elapsedS: number): HistoryEntry {
    const { state } = this.s;
    const entry: HistoryEntry = {
      epoch: epoch + 1,
      step: state.globalStep,
      train_loss: state.pendingLoss.count ? state.pendingLoss.sum / state.pendingLoss.count : NaN,
      learning_rate: lr,
      elapsed_s: elapsedS,
    };
    state.pendingLoss = { sum: 0, count: 0 };
    return entry;
  }

  private async evaluateAndTrack(epoch: number, lr: number, elapsedS: number): Promise<boolean> {
    const { settings: s, state, data, engine, callbacks } = this.s;
    const entry = this.historyEntry(epoch, lr, elapsedS);
    let improved = false;
    if (data.eval) {
      const report = await this.report();
      entry.eval_loss = report.eval_loss;
      entry.eval_metrics = scalarMetrics(report);
      const value = s.metricForBest === 'eval_loss' ? report.eval_loss : metricValue(report as never, s.metricForBest);
      const greater = s.metricForBest === 'eval_loss' ? false : metricGreaterIsBetter(s.metricForBest);
      improved = state.best === null || (greater ? value > state.best.value : value < state.best.value);
      if (improved) {
        state.best = { epoch: epoch + 1, step: state.globalStep, metric: s.metricForBest, value };
        state.bestReport = report;
        state.evalsWithoutImprovement = 0;
        await callbacks.saveBest?.(await engine.weights(), state.best);
      } else {
        state.evalsWithoutImprovement += 1;
      }
    }
    state.history.push(entry);
    callbacks.onEvaluate?.({ entry, improved });
    return improved;
  }
}

/** A mixing of seed and step into a 32-bit dropout seed, so every step's masks are fixed by (seed, step). */
function stepSeed(seed: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ step, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The numeric top-level entries of a report (per-class tables and matrices stay out of the history). */
export function scalarMetrics(report: MetricsReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(report)) if (typeof v === 'number' && k !== 'support' && k !== 'eval_loss') out[k] = v;
  return out;
}
