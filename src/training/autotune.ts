import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ms from 'ms';
import { mulberry32 } from '../data/random.js';
import { UsageError } from '../errors.js';
import { loadPretrained } from '../pretrained.js';
import type { Pooling } from '../models/bert/bert.js';
import type { ClassificationHyperparameters, ClassificationResults, TokenClassificationHyperparameters, TokenClassificationResults } from '../report/types.js';
import { runTrial, type TaskResults, type TrialTraining } from './autotune-trial.js';
import { learningRateRule, microBatchSize, TRAIN_DEFAULTS } from './defaults.js';
import { fineTune, type FineTuneEvents, type FineTuneOptions } from './fine-tune.js';
import { writeTrainingResults } from './output-folder.js';
import { rungFractions, SuccessiveHalving } from './successive-halving.js';
import { resolveTask, type Task } from './task.js';
import { fineTuneTokens } from './token-fine-tune.js';

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
 * Token classifiers (autotuneTokens) are searched the same way, each trial a fineTuneTokens run
 * ranked by entity F1, over the same space less pooling (a token head reads every token's state).
 */

/** One point of the search space; omitted entries take fineTune's own defaults (rules). */
export interface TrialConfig {
  strategy: string;
  learningRate?: number;
  /** Multiple of the default epochs rule (1 = the rule). */
  epochsScale: number;
  /** Examples per optimiser step (with --gradient-accumulation-steps N, in N micro-batches). */
  batchSize: number;
  pooling?: Pooling;
  /** Head LR as a multiple of the learning rate (1 = the same). */
  headLrScale: number;
}

/** `interrupted`: stopped from outside (Ctrl-C, Trainer.requestStop via onTrainer), which also ends the search. */
export type TrialStatus = 'completed' | 'early-stopped' | 'pruned' | 'budget' | 'interrupted' | 'failed';

/** `H`: the hyperparameters of the task's results (sequence classification's by default). */
export interface TrialRecord<H extends object = ClassificationHyperparameters> {
  trial: number;
  config: TrialConfig;
  /** The settings fineTune (or fineTuneTokens) resolved (learning rate, epochs, …) as in its hyperparameters. */
  resolved: H | null;
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
  /** A record of either task: its `resolved` settings are sequence or token classification's. */
  onTrialEnd?(e: { record: AnyTrialRecord; best: AnyTrialRecord | null }): void;
}

/** A trial of a search of either task. */
export type AnyTrialRecord = TrialRecord<ClassificationHyperparameters | TokenClassificationHyperparameters>;

/** What autotune adds to training_results.json (key `autotune`); `H` as in TrialRecord. */
export interface AutotuneSummary<H extends object = ClassificationHyperparameters> {
  budget_s: number;
  elapsed_s: number;
  seed: number;
  eta: number;
  rungs: number;
  metric: string;
  greater_is_better: boolean;
  best_trial: number | null;
  trials: TrialRecord<H>[];
}

/** Parses `5m`, `90s`, `1h` or a plain number of seconds (via the `ms` library). */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  const ms_ = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : ms(v as ms.StringValue);
  if (typeof ms_ !== 'number' || !Number.isFinite(ms_) || ms_ <= 0) throw new UsageError(`${flag} must be a duration such as 5m, 90s or 1h; got "${value}"`);
  return ms_ / 1000;
}

/**
 * The search space around the default recipe of a model (values depend only on the model width and
 * depth, and the task): a token classifier has no pooling to search, its head reads every token.
 */
export function searchSpace(hiddenSize: number, layers: number, hasPooler: boolean, task: Task = 'sequence-classification') {
  const lr = learningRateRule({ kind: 'full' }, hiddenSize, undefined, task).value;
  const frozenLr = TRAIN_DEFAULTS.frozenLearningRate;
  const s = TRAIN_DEFAULTS.autotuneSpace;
  const poolings: Pooling[] = task === 'token-classification' ? [] : hasPooler ? ['pooler', 'mean', 'cls'] : ['mean', 'cls'];
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
      // Drawn in this place so that a sequence search's draws (and so its trials) stay as they were.
      ...(space.poolings.length > 0 ? { pooling: pick(space.poolings) } : {}),
      headLrScale: frozen ? 1 : pick(space.headLrScales),
    };
    const key = JSON.stringify(c);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out.slice(0, count);
}

/** A search's fixed settings and where it writes. */
interface Search {
  budget: number;
  eta: number;
  rungs: number;
  seed: number;
  configs: TrialConfig[];
  anchors: number;
  output: string;
  trialsDir: string;
  started: number;
  remainingSeconds(): number;
}

/** A task's search: how a trial trains, and what its space leaves out. */
interface SearchTask<R extends TaskResults> {
  task: Task;
  train: TrialTraining<R>;
}

/**
 * Searches the settings of a sequence classifier on the validation split within a time budget and
 * writes the best trial's model to `options.output`, with the search recorded under `autotune` in
 * training_results.json. Token data goes to autotuneTokens, as fineTune's goes to fineTuneTokens.
 *
 * @returns the best trial's training results plus the `autotune` summary
 */
export async function autotune(options: AutotuneOptions, events: AutotuneEvents = {}): Promise<ClassificationResults> {
  if (resolveTask(options.task, [...[options.train].flat(), ...[options.validation ?? []].flat()]) === 'token-classification')
    throw new UsageError('this is token-classification data (or --task token-classification): search it with autotuneTokens');
  return search(options, events, { task: 'sequence-classification', train: fineTune });
}

/**
 * `--autotune` for a token classifier: the same search with each trial a fineTuneTokens run, ranked
 * by entity F1 unless `metricForBest` names another entity metric; the kept folder is the best
 * trial's `<Family>ForTokenClassification`.
 *
 * @returns the best trial's token-classification results plus the `autotune` summary
 */
export async function autotuneTokens(options: AutotuneOptions, events: AutotuneEvents = {}): Promise<TokenClassificationResults> {
  return search(options, events, { task: 'token-classification', train: fineTuneTokens });
}

/** Runs the trials in order within the budget, ranking them by successive halving, and keeps the best. */
async function search<R extends TaskResults>(options: AutotuneOptions, events: AutotuneEvents, task: SearchTask<R>): Promise<R> {
  const plan = await planSearch(options, task.task);
  const halving = new SuccessiveHalving(rungFractions(plan.eta, plan.rungs), plan.eta, options.metricForBest);
  const context = { anchors: plan.anchors, remainingSeconds: plan.remainingSeconds, halving };
  const records: TrialRecord<R['hyperparameters']>[] = [];
  const results = new Map<number, R>();
  let best: TrialRecord<R['hyperparameters']> | null = null;
  for (const [trial, config] of plan.configs.entries()) {
    if (plan.remainingSeconds() <= 0) break;
    events.onTrialStart?.({ trial, config, remainingSeconds: plan.remainingSeconds() });
    const run = await runTrial(task.train, trial, config, options, events, { ...context, output: trialDir(plan, trial) });
    if (run.results) results.set(trial, run.results);
    const { record } = run;
    if (record.score !== null && (best === null || halving.better(record.score, best.score!))) best = record;
    records.push(record);
    events.onTrialEnd?.({ record, best });
    if (record.status === 'interrupted') break; // the caller asked the search to stop: keep the best so far
  }
  const summary: AutotuneSummary<R['hyperparameters']> = {
    budget_s: plan.budget,
    elapsed_s: (Date.now() - plan.started) / 1000,
    seed: plan.seed,
    eta: plan.eta,
    rungs: plan.rungs,
    metric: halving.metric,
    greater_is_better: halving.greaterIsBetter,
    best_trial: best?.trial ?? null,
    trials: records,
  };
  return keepBestTrial(plan, best, results, summary);
}

/** The search's settings from the options and defaults, its trials, and an empty trials folder. */
async function planSearch(options: AutotuneOptions, task: Task): Promise<Search> {
  const d = TRAIN_DEFAULTS;
  const budget = options.budgetSeconds ?? parseDuration('--autotune', d.autotuneBudget);
  const eta = options.eta ?? d.autotuneEta;
  const rungs = options.rungs ?? d.autotuneRungs;
  const seed = options.seed ?? d.seed;
  const maxTrials = options.maxTrials ?? 1000;
  if (eta < 2 || !Number.isInteger(eta)) throw new UsageError(`autotune eta must be a whole number ≥ 2, got ${eta}`);
  const started = Date.now();
  const deadline = started + budget * 1000;
  const pretrained = await loadPretrained(options.model ?? d.model, { offline: options.offline });
  const cfg = pretrained.config;
  const space = searchSpace(cfg.hiddenSize, cfg.numHiddenLayers, pretrained.hasPooler, task);
  const configs = options.trials?.slice(0, maxTrials) ?? trialSequence(space, seed, maxTrials);
  for (const c of configs) microBatchSize(c.batchSize, options.gradientAccumulation ?? d.gradientAccumulation); // every trial's batch splits evenly
  const anchors = options.anchors ?? (options.trials ? 0 : anchorTrials(space).length);
  if (!Number.isInteger(anchors) || anchors < 0) throw new UsageError(`autotune anchors must be a whole number ≥ 0, got ${anchors}`);
  const output = resolve(options.output);
  const trialsDir = join(output, 'autotune-trials');
  await rm(trialsDir, { recursive: true, force: true });
  return { budget, eta, rungs, seed, configs, anchors, output, trialsDir, started, remainingSeconds: () => (deadline - Date.now()) / 1000 };
}

const trialDir = (search: Search, trial: number) => join(search.trialsDir, `trial-${String(trial).padStart(3, '0')}`);

/**
 * Keeps the best trial: its folder (its best checkpoint) becomes the output, and its results with
 * the search's summary become training_results.json. The trial folders are removed.
 */
async function keepBestTrial<R extends TaskResults>(
  search: Search,
  best: TrialRecord<R['hyperparameters']> | null,
  results: ReadonlyMap<number, R>,
  summary: AutotuneSummary<R['hyperparameters']>,
): Promise<R> {
  const { output, trialsDir } = search;
  if (!best) {
    await rm(trialsDir, { recursive: true, force: true });
    throw new UsageError(`--autotune: no trial reached an evaluation within ${search.budget} s; give a longer duration`);
  }
  const bestDir = trialDir(search, best.trial);
  for (const name of await readdir(bestDir)) {
    if (name === 'checkpoint-last' || name === 'training_results.json') continue;
    await cp(join(bestDir, name), join(output, name), { recursive: true });
  }
  await rm(trialsDir, { recursive: true, force: true });
  const final: R = Object.assign({}, results.get(best.trial)!, {
    output_dir: output,
    interrupted: false,
    autotune: summary,
    finished_at: new Date().toISOString(),
  });
  await mkdir(output, { recursive: true });
  await writeTrainingResults(output, final);
  return final;
}
