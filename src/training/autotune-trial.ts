/**
 * One trial of `--autotune`: the run `bertft train` makes with the trial's settings, stopped when it
 * falls out at a rung (successive halving) or the budget runs out, and what the search records of it.
 */
import { BertftError } from '../errors.js';
import type { ClassificationResults, TokenClassificationResults } from '../report/types.js';
import type { AutotuneEvents, AutotuneOptions, TrialConfig, TrialRecord, TrialStatus } from './autotune.js';
import type { FineTuneEvents, FineTuneOptions } from './fine-tune.js';
import type { SuccessiveHalving } from './successive-halving.js';
import type { Trainer } from './trainer.js';

/** What a trial of either task returns: a training run's results. */
export type TaskResults = ClassificationResults | TokenClassificationResults;

/** The run a trial makes: fineTune for sequence classification, fineTuneTokens for token classification. */
export type TrialTraining<R extends TaskResults> = (options: FineTuneOptions, events: FineTuneEvents) => Promise<R>;

/** What a trial needs of the search: where it writes, the anchors and the time left. */
export interface TrialContext {
  /** The trial's output folder. */
  output: string;
  /** Trials numbered below this are anchors: ranked, never pruned. */
  anchors: number;
  remainingSeconds(): number;
  halving: SuccessiveHalving;
}

/** Why a trial stops before its end (the first reason wins), and the trainer to tell. */
class TrialStop {
  reason?: TrialStatus;
  trainer?: Trainer;

  request(reason: TrialStatus): void {
    if (this.reason) return;
    this.reason = reason;
    this.trainer?.requestStop();
  }
}

/**
 * Runs one trial. A failure of its own (a diverged loss) is recorded as `failed`; bad flags or data
 * (BertftError) would fail every trial alike and are thrown, ending the search.
 */
export async function runTrial<R extends TaskResults>(
  train: TrialTraining<R>,
  trial: number,
  config: TrialConfig,
  options: AutotuneOptions,
  events: AutotuneEvents,
  c: TrialContext,
): Promise<{ record: TrialRecord<R['hyperparameters']>; results?: R }> {
  const record: TrialRecord<R['hyperparameters']> = {
    trial,
    config,
    resolved: null,
    status: 'completed',
    score: null,
    rung_scores: [],
    evaluations: 0,
    steps: 0,
    final_train_loss: null,
    seconds: 0,
  };
  const t0 = Date.now();
  const stop = new TrialStop();
  let totalSteps = 0;
  let trialBest: number | null = null;
  let results: R | undefined;
  const timer = setInterval(() => {
    if (c.remainingSeconds() <= 0) stop.request('budget');
  }, 200);
  try {
    results = await train(trialFineTuneOptions(options, config, c.output), {
      // The caller's progress events (epochs, steps, logs) see each trial as a training run.
      ...events,
      onStep: (e) => {
        totalSteps = e.totalSteps;
        events.onStep?.(e);
      },
      onTrainer: (t) => {
        stop.trainer = t;
        events.onTrainer?.(t);
        if (stop.reason) t.requestStop();
      },
      onFeatures: events.onFeatures,
      onEvaluate: (e) => {
        events.onEvaluate?.(e);
        const v = c.halving.score(e.entry);
        if (v === undefined) return;
        if (trialBest === null || c.halving.better(v, trialBest)) trialBest = v;
        const fraction = totalSteps > 0 ? e.entry.step / totalSteps : 0;
        if (!c.halving.passRungs(record.rung_scores, trialBest, fraction) && trial >= c.anchors) stop.request('pruned');
      },
    });
    recordOutcome(record, results, { totalSteps, trialBest, stopReason: stop.reason });
  } catch (e) {
    if (!(e instanceof Error) || e instanceof BertftError) throw e;
    record.status = 'failed';
    record.error = e.message;
    events.onLog?.(`trial ${trial} failed: ${e.message}`);
  } finally {
    clearInterval(timer);
  }
  record.seconds = (Date.now() - t0) / 1000;
  return { record, results };
}

/** Fills a trial's record from its results: settings, best score, evaluations, steps and how it ended. */
function recordOutcome<R extends TaskResults>(
  record: TrialRecord<R['hyperparameters']>,
  r: R,
  run: { totalSteps: number; trialBest: number | null; stopReason?: TrialStatus },
): void {
  record.resolved = r.hyperparameters;
  record.score = r.best?.value ?? null;
  record.evaluations = r.history.length;
  record.steps = r.history.at(-1)?.step ?? 0;
  record.final_train_loss = r.history.at(-1)?.train_loss ?? null;
  const ranAll = record.steps >= run.totalSteps;
  // A run that reached its end records its best at the last rung (the end, which ranks nothing).
  if (!run.stopReason && ranAll && run.trialBest !== null) record.rung_scores.push(run.trialBest);
  record.status = run.stopReason ?? (r.interrupted ? 'interrupted' : ranAll ? 'completed' : 'early-stopped');
}

/** A trial's fineTune options: the user's options with the trial's settings on top. */
export function trialFineTuneOptions(base: AutotuneOptions, c: TrialConfig, output: string): FineTuneOptions {
  const { budgetSeconds: _b, maxTrials: _m, eta: _e, rungs: _r, trials: _t, anchors: _a, ...rest } = base;
  return {
    ...rest,
    output,
    strategy: c.strategy,
    batchSize: c.batchSize,
    epochsScale: c.epochsScale,
    ...(c.learningRate !== undefined ? { learningRate: c.learningRate } : {}),
    ...(c.pooling !== undefined ? { pooling: c.pooling } : {}),
    ...(c.headLrScale !== 1 && c.learningRate !== undefined ? { headLr: c.learningRate * c.headLrScale } : {}),
    resume: false,
    keepCheckpoints: false,
    // No resumable checkpoints inside a trial: a stopped trial is over, not resumed.
    checkpointMinutes: 1e9,
  };
}
