/**
 * The planning half of a fine-tuning run: options, data and the rules of defaults.ts resolved into
 * the trainer's settings, the tokenized data, the saved folder's description and the record
 * training_results.json keeps (`hyperparameters`, `recipe_rules`, `advice`). Everything before the
 * first optimiser step except the weights (initial-weights.ts) and the engine (fine-tune.ts).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Example } from '../data/index.js';
import { formatAugmentSpec, parseAugmentSpec, type AugmentSpec } from '../augment/index.js';
import type { DomainAdaptationPlan } from '../adaptation/methods.js';
import type { ClassifierFolder } from '../checkpoint/classifier-config.js';
import { UsageError } from '../errors.js';
import type { Pooling } from '../models/bert/bert.js';
import { resolveMetricName } from '../metrics/index.js';
import { cappedMaxLength, checkMaxLength } from '../checkpoint/positions.js';
import { loadPretrained, type PretrainedFolder } from '../pretrained.js';
import { familyOf } from '../models/bert/family.js';
import type { ClassificationHyperparameters, RecipeRules } from '../report/types.js';
import { adviseStrategy, type Advice } from './advise.js';
import { defaultMetric, defaultPooling, defaultWarmupRatio, TRAIN_DEFAULTS } from './defaults.js';
import { domainPlan, domainWeights, frozenDannError, prepareTargetDomain, type TargetDomain } from './domain-plan.js';
import type { FineTuneOptions } from './fine-tune.js';
import { batchOf, resolveSchedule, scheduledSettings, scheduleLine, scheduleRecord, type Schedule } from './schedule-rules.js';
import { parseStrategy, strategyName, trainableParams, type Strategy } from './strategy.js';
import { tokenizeAll, type TokenizedSet } from './tokenized.js';
import type { TrainerData, TrainerSettings } from './trainer.js';
import { augmentData, classWeightsOf, readData, resolveLabels, toTargets, tokenizeExamples, type RunLabels } from './training-data.js';

type Log = (message: string) => void;

/** The options that are checked before any work: a typo fails at once, not after loading a model. */
export interface CheckedOptions {
  /** `auto` until the advice (planRun) replaces it. */
  strategy: Strategy;
  augment?: AugmentSpec;
  adaptation?: DomainAdaptationPlan;
}

/** Everything a fine-tuning run needs besides its weights and engine, and the record it saves. */
export interface RunPlan {
  /** The model as given (Hub id or folder). */
  model: string;
  seed: number;
  /** The output folder, resolved. */
  output: string;
  /** The model fine-tuning starts from (DAPT's adapted model with --domain-adaptation dapt…). */
  pretrained: PretrainedFolder;
  /** A pooler the checkpoint lacks is initialised and trained (DeBERTa's ContextPooler, as transformers does). */
  freshPooler: boolean;
  maxLength: number;
  /** The strategy trained with (`auto` resolved). */
  strategy: Strategy;
  advice: Advice | null;
  init: 'pretrained' | 'random';
  pooling: Pooling;
  labels: RunLabels;
  classWeights?: Float32Array;
  /** The examples trained and evaluated on (after the validation split and augmentation). */
  examples: { train: Example[]; validation: Example[] };
  domain?: TargetDomain;
  domainWeights: { lambdaMax: number; coralWeight: number };
  /** Tokenized training and validation rows with their targets. */
  data: TrainerData;
  /** The tokenized target text when the domain objective (DANN, CORAL) needs it. */
  targetSet?: TokenizedSet;
  settings: TrainerSettings;
  recipeRules: RecipeRules;
  hyperparameters: ClassificationHyperparameters;
  /** Data and settings: a checkpoint resumes only into the same run. */
  fingerprint: string;
  /** What the saved classifier folder's config.json describes. */
  folder: ClassifierFolder;
}

/** Parses the strategy, the augmentation spec and the domain-adaptation plan; fails on a bad one. */
export function checkOptions(options: FineTuneOptions): CheckedOptions {
  const strategy = parseStrategy(options.strategy ?? TRAIN_DEFAULTS.strategy);
  batchOf(options); // --batch-size splits evenly into --gradient-accumulation-steps micro-batches
  const augment = typeof options.augment === 'string' ? parseAugmentSpec(options.augment) : options.augment;
  return { strategy, augment, adaptation: domainPlan(options, strategy) };
}

/**
 * Resolves a run: loads the model (and runs DAPT), reads, augments and labels the data, takes the
 * strategy advice, applies the schedule rules and tokenizes. `onData` sees the examples once known.
 */
export async function planRun(
  options: FineTuneOptions,
  checked: CheckedOptions,
  hooks: { log: Log; onData?(e: { train: readonly Example[]; validation: readonly Example[] }): void },
): Promise<RunPlan> {
  const { log } = hooks;
  const model = options.model ?? TRAIN_DEFAULTS.model;
  const seed = options.seed ?? TRAIN_DEFAULTS.seed;
  const source = await loadSource(options, checked.adaptation, model, seed, log);
  const { pretrained, maxLength } = source;
  let data = readData(options, seed, log);
  if (checked.augment) data = await augmentData(data, checked.augment, { seed, model: pretrained.dir, maxLength, options }, log);
  const { labels, validation } = resolveLabels(data, options.problemType);
  const examples = { train: data.train, validation };
  hooks.onData?.(examples);
  const { strategy, advice } = await chooseStrategy(checked, pretrained, examples.train, seed, log);
  const init = options.init ?? TRAIN_DEFAULTS.init;
  const pooling: Pooling = options.pooling ?? defaultPooling(strategy, pretrained.config);
  const freshPooler = pooling === 'pooler' && !pretrained.hasPooler && init !== 'random';
  if (freshPooler && !familyOf(pretrained.config).beside?.includes('pooler'))
    throw new UsageError(`${pretrained.dir} has no pooler weights; use --pooling mean or cls`);
  // DeBERTa's ContextPooler lives beside the encoder in task checkpoints only: a base checkpoint has
  // none, and transformers' DebertaV2ForSequenceClassification starts a fresh one, as bertft does.
  if (freshPooler) log(`${pretrained.dir} has no ContextPooler (pooler.dense): a fresh one is initialised and trained, as transformers does`);
  const schedule = resolveSchedule(options, strategy, pretrained.config, examples.train.length, validation.length > 0);
  log(scheduleLine(schedule.recipeRules));
  const tokenized = await tokenizeRun(pretrained, examples, labels, source.domain, maxLength);
  const weights = domainWeights(options);
  const classWeights = classWeightsOf(options.classWeights, examples.train, labels);
  const settings = trainerSettings(options, { strategy, labels, schedule, classWeights, seed, lambdaMax: weights.lambdaMax });
  const hyperparameters = hyperparametersOf(options, {
    model,
    init,
    pooling,
    maxLength,
    batchSize: schedule.batchSize,
    settings,
    augment: checked.augment,
    domain: source.domain,
    weights,
  });
  // The data and settings, so a checkpoint resumes only into the same run.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ hyperparameters, labels: labels.labels, n: examples.train.length, ids: tokenized.data.train.lengths }))
    .digest('hex');
  const folder = folderOf(pretrained, labels, settings, { pooling, maxLength });
  const output = resolve(options.output);
  return {
    model,
    seed,
    output,
    pretrained,
    freshPooler,
    maxLength,
    strategy,
    advice,
    init,
    pooling,
    labels,
    classWeights,
    examples,
    domain: source.domain,
    domainWeights: weights,
    ...tokenized,
    settings,
    recipeRules: schedule.recipeRules,
    hyperparameters,
    fingerprint,
    folder,
  };
}

/** What the saved folder's config.json says: the model's config, the labels and bertft's section. */
function folderOf(pretrained: PretrainedFolder, labels: RunLabels, settings: TrainerSettings, r: { pooling: Pooling; maxLength: number }): ClassifierFolder {
  const classWeights = settings.classWeights;
  return {
    config: pretrained.config,
    baseRaw: pretrained.raw,
    labels: labels.labels,
    problem: labels.problem,
    bertft: {
      pooling: r.pooling,
      max_length: r.maxLength,
      threshold: settings.threshold,
      strategy: strategyName(settings.strategy),
      ...(classWeights ? { class_weights: Array.from(classWeights) } : {}),
    },
  };
}

/** The model fine-tuning starts from, the sequence length, and with domain adaptation the target text (and DAPT). */
async function loadSource(options: FineTuneOptions, adaptation: DomainAdaptationPlan | undefined, model: string, seed: number, log: Log) {
  const pretrained = await loadPretrained(model, { offline: options.offline });
  const cfg = pretrained.config;
  const maxLength = checkMaxLength(cfg, options.maxLength ?? cappedMaxLength(cfg, TRAIN_DEFAULTS.maxLength));
  if (!adaptation) return { pretrained, maxLength, domain: undefined };
  const prepared = await prepareTargetDomain(adaptation, pretrained, options, { maxLength, seed, log });
  return { pretrained: prepared.pretrained, maxLength, domain: prepared.domain };
}

/** The strategy to train with: as given (its top-k checked against the layers), or `auto`'s advice. */
async function chooseStrategy(
  checked: CheckedOptions,
  pretrained: PretrainedFolder,
  train: readonly Example[],
  seed: number,
  log: Log,
): Promise<{ strategy: Strategy; advice: Advice | null }> {
  let strategy = checked.strategy;
  let advice: Advice | null = null;
  if (strategy.kind !== 'auto') trainableParams(strategy, pretrained.config, [], 0); // checks top-k against the layer count
  if (strategy.kind === 'auto') {
    advice = await adviseStrategy(
      pretrained,
      train.map((e) => e.text),
      { seed },
    );
    strategy = advice.strategy;
    log(`--strategy auto: ${advice.summary}`);
    for (const line of [...advice.details, ...advice.adaptation.lines]) log(`  ${line}`);
  }
  if (checked.adaptation?.objective === 'dann' && strategy.kind === 'frozen') throw frozenDannError();
  return { strategy, advice };
}

/** Tokenizes the training and validation rows (with their targets) and the target text a domain objective trains on. */
async function tokenizeRun(
  pretrained: PretrainedFolder,
  examples: RunPlan['examples'],
  labels: RunLabels,
  domain: TargetDomain | undefined,
  maxLength: number,
) {
  const tokenizer = pretrained.tokenizer;
  const { train, validation } = examples;
  const trainSet = await tokenizeExamples(tokenizer, train, maxLength);
  const evalSet = validation.length ? await tokenizeExamples(tokenizer, validation, maxLength) : undefined;
  const targetSet = domain?.plan.objective ? await tokenizeAll(tokenizer, domain.texts, undefined, maxLength) : undefined;
  const data: TrainerData = {
    train: trainSet,
    trainTargets: toTargets(train, labels),
    eval: evalSet,
    evalTargets: validation.length ? toTargets(validation, labels) : undefined,
  };
  return { data, targetSet };
}

/** The trainer's settings: flags, else defaults, else the schedule's rules. */
function trainerSettings(
  options: FineTuneOptions,
  r: { strategy: Strategy; labels: RunLabels; schedule: Schedule; classWeights?: Float32Array; seed: number; lambdaMax: number },
): TrainerSettings {
  const { labels } = r;
  return {
    ...scheduledSettings(options, r.strategy, r.schedule, r.seed),
    problem: labels.problem,
    labels: labels.labels,
    numOutputs: labels.width,
    metricForBest: resolveMetricName(options.metricForBest ?? defaultMetric(labels.problem), labels.problem),
    threshold: options.threshold ?? TRAIN_DEFAULTS.threshold,
    classWeights: r.classWeights,
    domainLambdaMax: r.lambdaMax,
  };
}

/** training_results.json's `hyperparameters`: every resolved setting (its key order is part of the resume fingerprint). */
function hyperparametersOf(
  options: FineTuneOptions,
  r: {
    model: string;
    init: 'pretrained' | 'random';
    pooling: Pooling;
    maxLength: number;
    batchSize: number;
    settings: TrainerSettings;
    augment?: AugmentSpec;
    domain?: TargetDomain;
    weights: { lambdaMax: number; coralWeight: number };
  },
): ClassificationHyperparameters {
  const s = r.settings;
  const domain = r.domain;
  return {
    model: r.model,
    init: r.init,
    strategy: strategyName(s.strategy),
    pooling: r.pooling,
    ...scheduleRecord(s, r.batchSize),
    max_length: r.maxLength,
    eval_steps: s.evalSteps,
    early_stopping_patience: s.earlyStoppingPatience,
    metric_for_best_model: s.metricForBest,
    threshold: s.threshold,
    class_weights: options.classWeights ?? TRAIN_DEFAULTS.classWeights,
    limit: options.limit ?? null,
    augment: r.augment ? formatAugmentSpec(r.augment) : null,
    ...(domain
      ? {
          domain_adaptation: domain.plan.method,
          target_text: domain.files,
          domain_lambda: r.weights.lambdaMax,
          coral_weight: r.weights.coralWeight,
          dapt_steps: domain.dapt?.steps ?? null,
        }
      : {}),
  };
}
