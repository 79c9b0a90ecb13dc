import type { TrainingEngine, ParamSettings, StepOptions, TrainBatch } from '../engine/types.js';

/**
 * The one training loop. An objective (sequence classification, domain-adversarial classification,
 * masked LM; token classification next) says what a step trains on and what an evaluation measures;
 * the loop owns the rest: the schedule, the optimiser step, when to evaluate and stop, checkpoints,
 * and stopping from outside. Everything random derives from the objective's (seed, step), so a run
 * resumed from a checkpoint continues exactly as if it had never stopped.
 */
export interface Objective {
  /** Before step `step` (0-based) is made: e.g. gradual unfreezing sets the trainable parameters per epoch. */
  beginStep?(step: number): void;
  /** The micro-batches of optimiser step `step` (0-based): more than one under gradient accumulation. */
  batches(step: number): TrainBatch[];
  /** What the objective adds to the step's options: its dropout seed, DANN's λ. */
  stepOptions(step: number): Pick<StepOptions, 'dropoutSeed' | 'domainLambda'>;
  /** Bookkeeping after a step: `step` optimiser steps are now done. */
  endStep(done: StepDone): void;
  /** Whether to evaluate now that `step` steps are done. */
  evaluationDue(step: number): boolean;
  /** Evaluates with the current weights; returns true to stop early (patience ran out). */
  evaluate(step: number): Promise<boolean>;
  /** After the step's evaluation, before its checkpoint (pre-training's snapshots). */
  afterEvaluation?(step: number): Promise<void>;
  /** A natural checkpoint point besides the timer (the end of an epoch). */
  checkpointDue?(step: number): boolean;
}

export interface StepDone {
  /** Optimiser steps done, this one included. */
  step: number;
  loss: number;
  lr: number;
  batches: TrainBatch[];
  /** Wall time of the step alone and of the run so far (resumed runs included). */
  stepMs: number;
  elapsedMs: number;
  /** The run's progress ∈ [0, 1] after this step (steps, or wall time against the budget). */
  progress: number;
}

export interface LoopOptions {
  engine: TrainingEngine;
  objective: Objective;
  /** Optimiser steps already done (a resumed run). */
  startStep: number;
  /** The run's length: a step count, or a wall-time budget (then the schedule follows the time). */
  totalSteps?: number;
  budgetMs?: number;
  /** Wall time already spent (a resumed run). */
  elapsedMsBefore: number;
  /** Learning rate of step `step` (0-based) at progress ∈ [0, 1) (trainer/schedule.ts). */
  schedule: (step: number, progress: number) => number;
  maxGradNorm: number;
  settingsOf: (name: string) => ParamSettings;
  /** A non-finite loss at `step` (1-based) ends the run with this error. */
  diverged: (loss: number, step: number) => Error;
  /** Writes a resumable checkpoint (atomically); `elapsedMs` is the run's wall time so far. */
  checkpoint?: (elapsedMs: number) => Promise<void>;
  /** Milliseconds between timed checkpoints (absent: none between natural points). */
  checkpointIntervalMs?: number;
  /**
   * Also checkpoint when the run completes (default true). A caller that deletes the checkpoint
   * after a completed run sets false: the last checkpoint copies every weight and AdamW moment
   * (three times the model) to disk only to be removed.
   */
  finalCheckpoint?: boolean;
  /** Polled after every step: true stops the run after a checkpoint (Ctrl-C; the CLI owns the signal). */
  stopRequested?: () => boolean;
}

export interface LoopOutcome {
  step: number;
  elapsedMs: number;
  stoppedEarly: boolean;
  /** Stopped from outside before the run's length was reached. */
  interrupted: boolean;
}

/** Runs optimiser steps until the run's length is reached, the objective stops early, or a stop is requested. */
export async function runTrainingLoop(o: LoopOptions): Promise<LoopOutcome> {
  const { engine, objective } = o;
  const started = performance.now() - o.elapsedMsBefore;
  const elapsed = () => performance.now() - started;
  const progress = (step: number) => (o.budgetMs !== undefined ? elapsed() / o.budgetMs : step / o.totalSteps!);
  const stopRequested = () => o.stopRequested?.() ?? false;
  let step = o.startStep;
  let stoppedEarly = false;
  let lastCheckpoint = performance.now();
  while (progress(step) < 1 && !stoppedEarly && !stopRequested()) {
    objective.beginStep?.(step);
    const batches = objective.batches(step);
    const lr = o.schedule(step, progress(step));
    const t0 = performance.now();
    const loss = await engine.trainStep(batches, { lr, maxGradNorm: o.maxGradNorm, settingsOf: o.settingsOf, ...objective.stepOptions(step) });
    if (!Number.isFinite(loss)) throw o.diverged(loss, step + 1);
    step += 1;
    objective.endStep({ step, loss, lr, batches, stepMs: performance.now() - t0, elapsedMs: elapsed(), progress: progress(step) });
    if (objective.evaluationDue(step)) stoppedEarly = await objective.evaluate(step);
    await objective.afterEvaluation?.(step);
    const completed = (progress(step) >= 1 || stoppedEarly) && !stopRequested();
    const timerDue = o.checkpointIntervalMs !== undefined && performance.now() - lastCheckpoint >= o.checkpointIntervalMs;
    const natural = objective.checkpointDue?.(step) || completed || stopRequested();
    if (o.checkpoint && (natural || timerDue) && !(completed && o.finalCheckpoint === false)) {
      await o.checkpoint(elapsed());
      lastCheckpoint = performance.now();
    }
  }
  const reachedEnd = progress(step) >= 1;
  return { step, elapsedMs: elapsed(), stoppedEarly, interrupted: stopRequested() && !reachedEnd && !stoppedEarly };
}
