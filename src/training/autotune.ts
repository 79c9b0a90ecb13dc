import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ms from 'ms';
import { mulberry32 } from '../data/random.js';
import { BertftError, UsageError } from '../errors.js';
import { metricGreaterIsBetter, resolveMetricName } from '../metrics/index.js';
import { loadPretrained } from '../pretrained.js';
import type { Pooling } from '../models/bert/bert.js';
import { learningRateRule, TRAIN_DEFAULTS } from './defaults.js';
import { fineTune, type FineTuneEvents, type FineTuneOptions } from './fine-tune.js';
import { writeTrainingResults } from './output-folder.js';
import type { Trainer } from './trainer.js';
import type { ClassificationHyperparameters, ClassificationResults } from '../report/types.js';

/**
 * `--autotune`: a seeded random search over the settings that matter most for a small BERT
 * (strategy, learning rate, epochs, batch size, pooling, head LR), run as asynchronous successive
 * halving (ASHA, Li et al. 2020) in sequence: a trial is the same run `bertft train` makes with its
 * settings (the same evaluations, once an epoch by default, and the same early stopping), so the
 * default trial reproduces the default recipe; at the first evaluations past 1/eta², 1/eta, … of
 * its steps (its rungs) it goes on only while its best score so far is in the top 1/eta of all trials' scores at
 * that rung. Poor settings so cost a fraction of their epochs. The first trials are anchors, run
 * without pruning: the default recipe, the frozen default (cheap: features are computed once and
 * cached), and full fine-tuning at the highest and lowest learning rate of the space. They set the
 * bar at every rung with settings that win on some data (docs/recipes.md: the grid's best
 * learning rate differs by data set), so once they have run the search can only match or beat
 * the defaults and that learning-rate bracket, and a later random trial is judged against them.
 * Ranking after a ninth of a run is noisy: without anchors, the first trials at a rung set a bar
 * that a good setting with a slow start can miss (docs/recipes.md). The best trial's folder (its best checkpoint) is
 * kept as the output; there is no refit, since the search and the refit would see the same data.
 */

/** One point of the search space; omitted entries take fineTune's own defaults (rules). */
export interface TrialConfig {
  strategy: string;
  learningRate?: number;
  /** Multiple of the default epochs rule (1 = the rule). */
  epochsScale: number;
  batchSize: number;
  pooling?: Pooling;
  /** Head LR as a multiple of the learning rate (1 = the same). */
  headLrScale: number;
}

/** `interrupted`: stopped from outside (Ctrl-C, Trainer.requestStop via onTrainer), which also ends the search. */
export type TrialStatus = 'completed' | 'early-stopped' | 'pruned' | 'budget' | 'interrupted' | 'failed';

export interface TrialRecord {
  trial: number;
  config: TrialConfig;
  /** The settings fineTune resolved (learning rate, epochs, …) as in its hyperparameters. */
  resolved: ClassificationHyperparameters | null;
  status: TrialStatus;
  /** Best validation score of the trial (null when it was stopped before its first evaluation). */
  score: number | null;
  /** The trial's best score at each rung it reached, in rung order. */
  rung_scores: number[];
  evaluations: number;
  steps: number;
  final_train_loss: number | null;
  seconds: number;
  error?: string;
}

export interface AutotuneOptions extends FineTuneOptions {
  /** The search's wall-time budget in seconds (default TRAIN_DEFAULTS.autotuneBudget). */
  budgetSeconds?: number;
  /** Stop after this many trials: with a budget that does not bind, the whole search is reproducible. */
  maxTrials?: number;
  /** Successive-halving reduction factor (default TRAIN_DEFAULTS.autotuneEta). */
  eta?: number;
  /** Rungs per trial: ranked at 1/eta^(rungs-1), …, 1/eta of its steps (default TRAIN_DEFAULTS.autotuneRungs). */
  rungs?: number;
  /** Run these trials in this order instead of the seeded sequence (e.g. a fixed grid). */
  trials?: TrialConfig[];
  /**
   * The first this-many trials run without pruning (their scores still set each rung's bar).
   * Default: the anchors of the seeded sequence (anchorTrials), or 0 when `trials` is given.
   */
  anchors?: number;
}

export interface AutotuneEvents extends FineTuneEvents {
  onTrialStart?(e: { trial: number; config: TrialConfig; remainingSeconds: number }): void;
  onTrialEnd?(e: { record: TrialRecord; best: TrialRecord | null }): void;
}

/** What autotune adds to training_results.json (key `autotune`). */
export interface AutotuneSummary {
  budget_s: number;
  elapsed_s: number;
  seed: number;
  eta: number;
  rungs: number;
  metric: string;
  greater_is_better: boolean;
  best_trial: number | null;
  trials: TrialRecord[];
}

/** Parses `5m`, `90s`, `1h` or a plain number of seconds (via the `ms` library). */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  const ms_ = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : ms(v as ms.StringValue);
  if (typeof ms_ !== 'number' || !Number.isFinite(ms_) || ms_ <= 0) throw new UsageError(`${flag} must be a duration such as 5m, 90s or 1h; got "${value}"`);
  return ms_ / 1000;
}

/** The search space around the default recipe of a model (values depend only on the model width and depth). */
export function searchSpace(hiddenSize: number, layers: number, hasPooler: boolean) {
  const lr = learningRateRule({ kind: 'full' }, hiddenSize).value;
  const frozenLr = TRAIN_DEFAULTS.frozenLearningRate;
  const s = TRAIN_DEFAULTS.autotuneSpace;
  const poolings: Pooling[] = hasPooler ? ['pooler', 'mean', 'cls'] : ['mean', 'cls'];
  return {
    strategies: ['full', `top-k:${Math.max(1, Math.ceil(layers / 2))}`, 'frozen'],
    learningRates: s.lrFactors.map((f) => Number((f * lr).toPrecision(2))),
    frozenLearningRates: s.frozenLrFactors.map((f) => Number((f * frozenLr).toPrecision(2))),
    epochsScales: [...s.epochsScales],
    batchSizes: [...s.batchSizes],
    poolings,
    headLrScales: [...s.headLrScales],
  };
}

type Space = ReturnType<typeof searchSpace>;

/**
 * The anchor trials, run first and never pruned: the default recipe, the frozen default, and full
 * fine-tuning at the highest and the lowest learning rate of the space (the rules' other settings).
 */
export function anchorTrials(space: Space): TrialConfig[] {
  const base = { epochsScale: 1, batchSize: TRAIN_DEFAULTS.batchSize, headLrScale: 1 };
  return [
    { strategy: TRAIN_DEFAULTS.strategy, ...base },
    { strategy: 'frozen', ...base },
    { strategy: 'full', learningRate: Math.max(...space.learningRates), ...base },
    { strategy: 'full', learningRate: Math.min(...space.learningRates), ...base },
  ];
}

/**
 * The trial sequence of a seed: the anchors, then random points of the space without repeats. A
 * pure function of (seed, space), so the same seed gives the same trials.
 */
export function trialSequence(space: Space, seed: number, count: number): TrialConfig[] {
  const out: TrialConfig[] = anchorTrials(space);
  const rand = mulberry32((seed ^ 0x5eed7e57) >>> 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const seen = new Set(out.map((c) => JSON.stringify(c)));
  for (let guard = 0; out.length < count && guard < 100 * count; guard++) {
    const strategy = pick(space.strategies);
    const frozen = strategy === 'frozen';
    const c: TrialConfig = {
      strategy,
      learningRate: pick(frozen ? space.frozenLearningRates : space.learningRates),
      epochsScale: pick(space.epochsScales),
      batchSize: pick(space.batchSizes),
      pooling: pick(space.poolings),
      headLrScale: frozen ? 1 : pick(space.headLrScales),
    };
    const key = JSON.stringify(c);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out.slice(0, count);
}

/**
 * Successive halving's rule at one rung: go on when `score` is at least the ⌈n/eta⌉-th best of the
 * n scores recorded there (this one included). The first trial at a rung always goes on.
 */
export function survives(score: number, earlier: readonly number[], eta: number, greaterIsBetter: boolean): boolean {
  const all = [...earlier, score].sort((a, b) => (greaterIsBetter ? b - a : a - b));
  const cut = all[Math.ceil(all.length / eta) - 1]!;
  return greaterIsBetter ? score >= cut : score <= cut;
}

/**
 * Where a trial is ranked: at the fractions 1/eta^(rungs-1), …, 1/eta of its optimiser steps (the
 * last rung, the end of the run, ranks nothing). With eta 3 and 3 rungs: 1/9 and 1/3.
 */
export function rungFractions(eta: number, rungs: number): number[] {
  return Array.from({ length: rungs - 1 }, (_, r) => 1 / eta ** (rungs - 1 - r));
}

/**
 * Searches the settings on the validation split within a time budget and writes the best trial's
 * model to `options.output`, with the search recorded under `autotune` in training_results.json.
 *
 * @returns the best trial's training results plus the `autotune` summary
 */
export async function autotune(options: AutotuneOptions, events: AutotuneEvents = {}): Promise<ClassificationResults> {
  const d = TRAIN_DEFAULTS;
  const log = events.onLog ?? (() => {});
  const budget = options.budgetSeconds ?? parseDuration('--autotune', d.autotuneBudget);
  const eta = options.eta ?? d.autotuneEta;
  const rungs = options.rungs ?? d.autotuneRungs;
  const seed = options.seed ?? d.seed;
  const maxTrials = options.maxTrials ?? 1000;
  if (eta < 2 || !Number.isInteger(eta)) throw new UsageError(`autotune eta must be a whole number ≥ 2, got ${eta}`);
  const started = Date.now();
  const deadline = started + budget * 1000;
  const remaining = () => (deadline - Date.now()) / 1000;
  const pretrained = await loadPretrained(options.model ?? d.model, { offline: options.offline });
  const cfg = pretrained.config;
  const space = searchSpace(cfg.hiddenSize, cfg.numHiddenLayers, pretrained.hasPooler);
  const configs = options.trials?.slice(0, maxTrials) ?? trialSequence(space, seed, maxTrials);
  const anchors = options.anchors ?? (options.trials ? 0 : anchorTrials(space).length);
  if (!Number.isInteger(anchors) || anchors < 0) throw new UsageError(`autotune anchors must be a whole number ≥ 0, got ${anchors}`);
  const rungAt = rungFractions(eta, rungs);
  const output = resolve(options.output);
  const trialsDir = join(output, 'autotune-trials');
  await rm(trialsDir, { recursive: true, force: true });
  const rungScores: number[][] = rungAt.map(() => []);
  const records: TrialRecord[] = [];
  const results = new Map<number, ClassificationResults>();
  let metric = '';
  let greater = true;
  let best: TrialRecord | null = null;
  const better = (a: number, b: number) => (greater ? a > b : a < b);

  for (const [trial, config] of configs.entries()) {
    if (remaining() <= 0) break;
    events.onTrialStart?.({ trial, config, remainingSeconds: remaining() });
    const record: TrialRecord = { trial, config, resolved: null, status: 'completed', score: null, rung_scores: [], evaluations: 0, steps: 0, final_train_loss: null, seconds: 0 };
    const t0 = Date.now();
    let trainer: Trainer | undefined;
    let stopReason: TrialStatus | undefined;
    let totalSteps = 0;
    let trialBest: number | null = null;
    const timer = setInterval(() => {
      if (remaining() <= 0 && !stopReason) {
        stopReason = 'budget';
        trainer?.requestStop();
      }
    }, 200);
    try {
      const r = await fineTune(trialFineTuneOptions(options, config, join(trialsDir, `trial-${String(trial).padStart(3, '0')}`)), {
        // The caller's progress events (epochs, steps, logs) see each trial as a training run.
        ...events,
        onStep: (e) => {
          totalSteps = e.totalSteps;
          events.onStep?.(e);
        },
        onTrainer: (t) => {
          trainer = t;
          events.onTrainer?.(t);
          if (stopReason) t.requestStop();
        },
        onFeatures: events.onFeatures,
        onEvaluate: (e) => {
          events.onEvaluate?.(e);
          if (!metric) {
            metric = metricName(e.entry, options.metricForBest);
            greater = metric === 'eval_loss' ? false : metricGreaterIsBetter(metric);
          }
          const v = metric === 'eval_loss' ? e.entry.eval_loss : e.entry.eval_metrics?.[metric];
          if (v === undefined) return;
          if (trialBest === null || better(v, trialBest)) trialBest = v;
          // Every rung this evaluation is at or past: one evaluation can pass several (a 3-epoch run
          // evaluated once an epoch passes 1/9 and 1/3 at its first).
          const fraction = totalSteps > 0 ? e.entry.step / totalSteps : 0;
          for (let rung = record.rung_scores.length; rung < rungAt.length && fraction >= rungAt[rung]! - 1e-9; rung++) {
            record.rung_scores.push(trialBest);
            const keep = survives(trialBest, rungScores[rung]!, eta, greater);
            rungScores[rung]!.push(trialBest);
            if (!keep && trial >= anchors && !stopReason) {
              stopReason = 'pruned';
              trainer?.requestStop();
            }
          }
        },
      });
      results.set(trial, r);
      record.resolved = r.hyperparameters;
      const history = r.history;
      record.score = r.best?.value ?? null;
      record.evaluations = history.length;
      record.steps = history.at(-1)?.step ?? 0;
      record.final_train_loss = history.at(-1)?.train_loss ?? null;
      const ranAll = record.steps >= totalSteps;
      if (!stopReason && ranAll && trialBest !== null) record.rung_scores.push(trialBest);
      record.status = stopReason ?? (r.interrupted ? 'interrupted' : ranAll ? 'completed' : 'early-stopped');
    } catch (e) {
      // Bad flags or data (BertftError) would fail every trial alike: they end the search. A trial of
      // its own failing (a diverged loss) is recorded and the search goes on.
      if (!(e instanceof Error) || e instanceof BertftError) throw e;
      record.status = 'failed';
      record.error = e.message;
      log(`trial ${trial} failed: ${e.message}`);
    } finally {
      clearInterval(timer);
    }
    record.seconds = (Date.now() - t0) / 1000;
    if (record.score !== null && (best === null || better(record.score, best.score!))) best = record;
    records.push(record);
    events.onTrialEnd?.({ record, best });
    if (record.status === 'interrupted') break; // the caller asked the search to stop: keep the best so far
  }

  const summary: AutotuneSummary = {
    budget_s: budget,
    elapsed_s: (Date.now() - started) / 1000,
    seed,
    eta,
    rungs,
    metric,
    greater_is_better: greater,
    best_trial: best?.trial ?? null,
    trials: records,
  };
  if (!best) {
    await rm(trialsDir, { recursive: true, force: true });
    throw new UsageError(`--autotune: no trial reached an evaluation within ${budget} s; give a longer duration`);
  }
  const bestDir = join(trialsDir, `trial-${String(best.trial).padStart(3, '0')}`);
  for (const name of await readdir(bestDir)) {
    if (name === 'checkpoint-last' || name === 'training_results.json') continue;
    await cp(join(bestDir, name), join(output, name), { recursive: true });
  }
  await rm(trialsDir, { recursive: true, force: true });
  const final = { ...results.get(best.trial)!, output_dir: output, interrupted: false, autotune: summary, finished_at: new Date().toISOString() };
  await mkdir(output, { recursive: true });
  await writeTrainingResults(output, final);
  return final;
}

/**
 * The metric trials are ranked by: --metric-for-best-model when the evaluation reports it by that
 * name, else the first of the defaults (accuracy, micro F1, Pearson) it reports, as fineTune picks.
 */
function metricName(entry: { eval_loss?: number; eval_metrics?: Record<string, number> }, wanted: string | undefined): string {
  const m = entry.eval_metrics ?? {};
  const single = 'accuracy' in m && !('subset_accuracy' in m);
  if (wanted === 'eval_loss') return wanted;
  // An alias (f1, acc, …) resolves as fineTune resolves it.
  const problem = single ? 'single_label_classification' : 'pearson' in m ? 'regression' : 'multi_label_classification';
  let name = wanted;
  try {
    if (wanted) name = resolveMetricName(wanted, problem);
  } catch {
    // fineTune has already refused a name it does not know; keep it as given.
  }
  if (name && name in m) return name;
  const order = single ? ['accuracy'] : ['micro_f1', 'pearson'];
  return order.find((k) => k in m) ?? Object.keys(m)[0] ?? 'eval_loss';
}

/** A trial's fineTune options: the user's options with the trial's settings on top. */
function trialFineTuneOptions(base: AutotuneOptions, c: TrialConfig, output: string): FineTuneOptions {
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
