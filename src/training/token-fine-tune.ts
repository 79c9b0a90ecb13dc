/**
 * Fine-tuning a token classifier (named entities, any per-token tags) on the one trainer: tagged
 * sentences become overlapping windows whose first word pieces carry the tags (token-data.ts), the
 * encoder gets `<Family>ForTokenClassification`'s head (heads/token-classification.ts), and the
 * trainer runs the token-classification objective with the schedule, strategies, early stopping on
 * entity F1 and resumable checkpoints of sequence classification. The folder it writes loads in
 * Python transformers as `<Family>ForTokenClassification`.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { initTfjs } from '../engine/tfjs/backend.js';
import { createTrainingEngine, prepareDevice } from '../engine/select.js';
import type { TrainingEngine } from '../engine/types.js';
import { UsageError } from '../errors.js';
import { TfjsTokenHeadEngine } from '../engine/tfjs/token-head-engine.js';
import { classifierWidth, splitClassifierParams } from '../heads/classification.js';
import { initTokenClassifierHead } from '../heads/token-classification.js';
import type { EntityMode } from '../metrics/entities.js';
import { resolveMetricName } from '../metrics/index.js';
import { initBertWeights } from '../models/bert/init.js';
import type { HostTensor } from '../models/host-tensor.js';
import { cappedMaxLength, checkMaxLength } from '../checkpoint/positions.js';
import { defaultStride, type TokenClassifierSettings } from '../checkpoint/token-classifier-config.js';
import { loadPretrained, type PretrainedFolder } from '../pretrained.js';
import type { TokenClassificationHyperparameters, TokenClassificationResults } from '../report/types.js';
import { saveResumeCheckpoint } from '../trainer/checkpoint.js';
import { resumeOrStart } from './initial-weights.js';
import { bertftVersion } from '../version.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import type { FineTuneEvents, FineTuneOptions } from './fine-tune.js';
import { writeTokenClassifierFolder, writeTrainingResults } from './output-folder.js';
import { batchOf, resolveSchedule, scheduledSettings, scheduleLine, scheduleRecord, type Schedule } from './schedule-rules.js';
import { adviseStrategy } from './advise.js';
import { parseStrategy, strategyName, trainableParams, type Strategy } from './strategy.js';
import { balancedTokenWeights, readTokenSentences, sentenceWindows, tagVocabulary, type SentenceWindows, type TokenSentences } from './token-data.js';
import { frozenTokenFeatures } from './token-features.js';
import type { TokenizedSet } from './tokenized.js';
import { Trainer, type TrainerData, type TrainerSettings, type TrainOutcome } from './trainer.js';
import { removeResumeCheckpoint } from '../trainer/checkpoint.js';

/** The entity metric early stopping watches by default: conlleval's overall (micro) F1. */
export const TOKEN_DEFAULT_METRIC = 'f1';

/** Everything a token-classification run needs besides its weights and engine. */
interface TokenRunPlan {
  model: string;
  output: string;
  seed: number;
  pretrained: PretrainedFolder;
  strategy: Strategy;
  labels: string[];
  sentences: TokenSentences;
  train: SentenceWindows;
  validation?: SentenceWindows;
  settings: TrainerSettings;
  folder: TokenClassifierSettings;
  schedule: Schedule;
  hyperparameters: TokenClassificationHyperparameters;
  fingerprint: string;
}

/**
 * Fine-tunes a token classifier and writes a Hugging Face `<Family>ForTokenClassification` folder
 * to `options.output`, with training_results.json when the run completes.
 */
export async function fineTuneTokens(options: FineTuneOptions, events: FineTuneEvents = {}): Promise<TokenClassificationResults> {
  const log = events.onLog ?? (() => {});
  const startedAt = new Date();
  const strategy = parseStrategy(options.strategy ?? TRAIN_DEFAULTS.strategy);
  checkTokenOptions(options);
  // An unknown device, or webgpu without an adapter, fails before any data is read; auto is decided here, once.
  options = { ...options, device: await prepareDevice(options.engine, options.device) };
  const plan = await planTokenRun(options, strategy, log);
  await mkdir(plan.output, { recursive: true });
  const start = await startingWeights(plan, options.resume === true, log);
  const run = await createTokenEngine(plan, start, options, events);
  const outcome = await train(plan, run, start, options, events);
  const results = tokenResults(plan, { engine: run.engine.name, backend: run.backend(), featureSeconds: run.featureSeconds, outcome, startedAt });
  if (!results.interrupted) {
    await writeTrainingResults(plan.output, results);
    if (options.keepCheckpoints !== true) await removeResumeCheckpoint(plan.output);
  }
  return results;
}

/** The engine that trains, the windows it reads (word pieces, or feature rows for the frozen head) and the TF.js backend once started. */
interface TokenEngineRun {
  engine: TrainingEngine;
  train: TokenizedSet;
  eval?: TokenizedSet;
  featureSeconds: number;
  backend(): string | null;
}

/**
 * `--strategy frozen`: the encoder's hidden states of every window token, computed once (or read from
 * the feature cache), and the token head alone on TF.js (TfjsTokenHeadEngine); any other strategy:
 * the fine-tuning engine (onnxruntime, or TF.js) on the word-piece windows.
 */
async function createTokenEngine(plan: TokenRunPlan, start: TokenStart, options: FineTuneOptions, events: FineTuneEvents): Promise<TokenEngineRun> {
  let backend: string | null = null;
  const startTfjs = async () => {
    backend = (await initTfjs(options.backend ?? TRAIN_DEFAULTS.backend)).backend;
  };
  const config = plan.pretrained.config;
  const numLabels = plan.labels.length;
  if (plan.strategy.kind === 'frozen') {
    const { encoder, head } = splitClassifierParams(start.weights);
    const frozen = await frozenTokenFeatures(config, encoder, { train: plan.train.set, validation: plan.validation?.set }, options, events);
    events.onLog?.(
      `frozen encoder: token features of ${frozen.train.lengths.length + (frozen.eval?.lengths.length ?? 0)} windows in ${frozen.seconds.toFixed(1)} s`,
    );
    await startTfjs();
    const engine = new TfjsTokenHeadEngine({ config, features: frozen.features, encoderWeights: encoder, head, numLabels });
    return { engine, train: frozen.train, eval: frozen.eval, featureSeconds: frozen.seconds, backend: () => backend };
  }
  const engine = await createTrainingEngine({
    config,
    weights: start.weights,
    objective: { kind: 'token-classification', numLabels, classWeights: plan.settings.classWeights },
    engine: options.engine,
    device: options.device,
    startTfjs,
  });
  return { engine, train: plan.train.set, eval: plan.validation?.set, featureSeconds: 0, backend: () => backend };
}

/** Options that have no meaning for token classification fail before any work. */
function checkTokenOptions(options: FineTuneOptions): void {
  const unsupported: [keyof FineTuneOptions, string][] = [
    ['domainAdaptation', '--domain-adaptation'],
    ['augment', '--augment'],
    ['pooling', '--pooling'],
    ['threshold', '--threshold'],
  ];
  for (const [key, flag] of unsupported)
    if (options[key] !== undefined) throw new UsageError(`${flag} applies to sequence classification; token classification has no use for it`);
  if (options.problemType !== undefined && options.problemType !== 'single_label_classification')
    throw new UsageError(`--problem-type ${options.problemType} applies to sequence classification; a token classifier picks one tag per word`);
  batchOf(options);
}

/** The strategy as given (top-k checked against the layers), or `auto`'s advice on the sentences' text. */
async function chooseStrategy(
  given: Strategy,
  pretrained: PretrainedFolder,
  sentences: TokenSentences,
  seed: number,
  log: (m: string) => void,
): Promise<Strategy> {
  if (given.kind !== 'auto') {
    trainableParams(given, pretrained.config, [], 0); // checks top-k against the layer count
    return given;
  }
  const advice = await adviseStrategy(
    pretrained,
    sentences.train.map((s) => s.tokens.join(' ')),
    { seed },
  );
  log(`--strategy auto: ${advice.summary}`);
  for (const line of advice.details) log(`  ${line}`);
  return advice.strategy;
}

/** Reads and windows the data, resolves the schedule and settings, and fingerprints the run. */
async function planTokenRun(options: FineTuneOptions, given: Strategy, log: (m: string) => void): Promise<TokenRunPlan> {
  const model = options.model ?? TRAIN_DEFAULTS.model;
  const seed = options.seed ?? TRAIN_DEFAULTS.seed;
  const pretrained = await loadPretrained(model, { offline: options.offline });
  const cfg = pretrained.config;
  const maxLength = checkMaxLength(cfg, options.maxLength ?? cappedMaxLength(cfg, TRAIN_DEFAULTS.maxLength));
  const stride = options.stride ?? defaultStride(maxLength);
  const labelAllTokens = options.labelAllTokens === true;
  const sentences = readTokenSentences(
    {
      train: files(options.train),
      validation: options.validation && files(options.validation),
      read: options.tokenRead,
      validationSplit: options.validationSplit,
      limit: options.limit,
    },
    seed,
    log,
  );
  if (sentences.train.length === 0) throw new UsageError(`${String(options.train)}: no training sentences`);
  const strategy = await chooseStrategy(given, pretrained, sentences, seed, log);
  const labels = tagVocabulary([...sentences.train, ...sentences.validation]);
  const windowSettings = { maxLength, stride, labelAllTokens };
  const train = withoutUnlabelled(await sentenceWindows(pretrained.tokenizer, sentences.train, labels, windowSettings));
  const validation = sentences.validation.length ? await sentenceWindows(pretrained.tokenizer, sentences.validation, labels, windowSettings) : undefined;
  for (const [what, w] of [
    ['training', train],
    ['validation', validation],
  ] as const)
    if (w)
      log(
        `${what}: ${w.counts.sentences} sentences in ${w.counts.windows} windows of at most ${maxLength} tokens (${w.counts.sentencesSplit} sentences longer than one window, split with stride ${stride}; no token dropped)`,
      );
  const schedule = resolveSchedule(options, strategy, cfg, train.counts.windows, validation !== undefined, 'token-classification');
  log(scheduleLine(schedule.recipeRules));
  const classWeights = options.classWeights === 'balanced' ? balancedTokenWeights(train.labels, labels.length) : undefined;
  const entityMode: EntityMode = options.entityMode ?? 'default';
  const settings = tokenTrainerSettings(options, { strategy, labels, schedule, classWeights, seed });
  const folder: TokenClassifierSettings = {
    labels,
    maxLength,
    stride,
    labelAllTokens,
    strategy: strategyName(strategy),
    ...(classWeights ? { classWeights: Array.from(classWeights) } : {}),
  };
  const hyperparameters: TokenClassificationHyperparameters = {
    task: 'token-classification',
    model,
    init: options.init ?? TRAIN_DEFAULTS.init,
    strategy: strategyName(strategy),
    ...scheduleRecord(settings, schedule.batchSize),
    max_length: maxLength,
    stride,
    label_all_tokens: labelAllTokens,
    entity_mode: entityMode,
    eval_steps: settings.evalSteps,
    early_stopping_patience: settings.earlyStoppingPatience,
    metric_for_best_model: settings.metricForBest,
    class_weights: options.classWeights ?? TRAIN_DEFAULTS.classWeights,
    limit: options.limit ?? null,
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ hyperparameters, labels, n: sentences.train.length, lengths: train.set.lengths }))
    .digest('hex');
  return {
    model,
    output: resolve(options.output),
    seed,
    pretrained,
    strategy,
    labels,
    sentences,
    train,
    validation,
    settings,
    folder,
    schedule,
    hyperparameters,
    fingerprint,
  };
}

/**
 * The training windows that have a labelled token: a window holding only the continuation of a word
 * begun in the previous one teaches nothing, and a micro-batch of such windows would have no loss.
 */
function withoutUnlabelled(w: SentenceWindows): SentenceWindows {
  const keep = w.labels.map((l, i) => (l.some((x) => x >= 0) ? i : -1)).filter((i) => i >= 0);
  if (keep.length === w.labels.length) return w;
  const pick = <T>(a: T[]) => keep.map((i) => a[i]!);
  const set = { ...w.set, ids: pick(w.set.ids), typeIds: pick(w.set.typeIds), lengths: pick(w.set.lengths) };
  return { ...w, set, labels: pick(w.labels), counts: { ...w.counts, windows: keep.length } };
}

const files = (f: FineTuneOptions['train']): string | string[] => {
  const list = Array.isArray(f) ? f : [f];
  if (list.some((x) => typeof x !== 'string')) throw new UsageError('token-classification data comes from files (CoNLL or JSON lines); give their paths');
  return list as string[];
};

function tokenTrainerSettings(
  options: FineTuneOptions,
  r: { strategy: Strategy; labels: string[]; schedule: Schedule; classWeights?: Float32Array; seed: number },
): TrainerSettings {
  return {
    ...scheduledSettings(options, r.strategy, r.schedule, r.seed),
    // The head is a softmax over the tags; the problem type only names that loss.
    problem: 'single_label_classification',
    labels: r.labels,
    numOutputs: r.labels.length,
    metricForBest: resolveMetricName(options.metricForBest ?? TOKEN_DEFAULT_METRIC, 'token_classification'),
    threshold: TRAIN_DEFAULTS.threshold,
    classWeights: r.classWeights,
  };
}

interface TokenStart {
  names: string[];
  weights: Map<string, HostTensor>;
  resumeFrom?: Parameters<Trainer['train']>[1];
}

/** The encoder (random with --init random) and the token head (the folder's own when its labels fit), or the checkpoint's with --resume. */
async function startingWeights(plan: TokenRunPlan, resume: boolean, log: (m: string) => void): Promise<TokenStart> {
  const { pretrained, seed } = plan;
  const cfg = pretrained.config;
  const random = plan.hyperparameters.init === 'random';
  // `<Family>ForTokenClassification` has no pooler (add_pooling_layer=False): a pretrained one is left out, not trained or saved.
  const encoder = random ? initBertWeights(cfg, seed, false) : new Map([...pretrained.weights].filter(([n]) => !n.startsWith('pooler.')));
  const own = pretrained.tokenClassifier;
  const head = own && !random && classifierWidth(own) === plan.labels.length ? own : initTokenClassifierHead(cfg, plan.labels.length, seed);
  const names = [...encoder.keys(), ...head.keys()];
  const weights = new Map([...encoder, ...head]);
  if (!resume) return { names, weights };
  return { names, ...(await resumeOrStart(plan.output, plan.fingerprint, weights, log)) };
}

/** The training loop with the best model saved as it improves; disposes the engine. */
async function train(plan: TokenRunPlan, run: TokenEngineRun, start: TokenStart, options: FineTuneOptions, events: FineTuneEvents): Promise<TrainOutcome> {
  const { pretrained, output, settings } = plan;
  const { engine } = run;
  const trainer = new Trainer(engine, pretrained.config, start.names, settings, {
    ...events,
    checkpointIntervalMs: (options.checkpointMinutes ?? TRAIN_DEFAULTS.checkpointMinutes) * 60_000,
    finalCheckpoint: options.keepCheckpoints === true,
    saveBest: async (weights) => writeTokenClassifierFolder(output, pretrained, plan.folder, weights),
    saveCheckpoint: async (cp) => saveResumeCheckpoint(output, { ...cp, fingerprint: plan.fingerprint }),
  });
  events.onTrainer?.(trainer);
  if (options.signal?.aborted) trainer.requestStop();
  options.signal?.addEventListener('abort', () => trainer.requestStop(), { once: true });
  const data: TrainerData = {
    train: run.train,
    trainTargets: new Float32Array(0),
    eval: run.eval,
    tokenTargets: { train: plan.train.labels, eval: plan.validation?.eval, mode: plan.hyperparameters.entity_mode },
  };
  events.onLog?.(
    `training: ${plan.sentences.train.length} sentences (${plan.train.counts.windows} windows), ${plan.sentences.validation.length} validation, ${plan.labels.length} tags, strategy ${strategyName(plan.strategy)}, lr ${settings.lr}, ${settings.epochs} epochs, engine ${engine.name}`,
  );
  try {
    return await trainer.train(data, start.resumeFrom);
  } finally {
    engine.dispose();
  }
}

function tokenResults(
  plan: TokenRunPlan,
  run: { engine: string; backend: string | null; featureSeconds: number; outcome: TrainOutcome; startedAt: Date },
): TokenClassificationResults {
  const { outcome } = run;
  return {
    bertft_version: bertftVersion(),
    model: plan.model,
    output_dir: plan.output,
    problem_type: 'token_classification',
    labels: plan.labels,
    strategy: strategyName(plan.strategy),
    engine: run.engine,
    backend: run.backend,
    hyperparameters: plan.hyperparameters,
    recipe_rules: plan.schedule.recipeRules,
    history: outcome.state.history,
    steps: outcome.state.steps,
    final_eval: (outcome.finalEval as TokenClassificationResults['final_eval'] | undefined) ?? null,
    best: outcome.state.best,
    interrupted: outcome.interrupted,
    train_runtime_s: outcome.state.elapsedSeconds,
    feature_extraction_s: run.featureSeconds,
    train_sentences: plan.sentences.train.length,
    eval_sentences: plan.sentences.validation.length,
    windows: { train: plan.train.counts, validation: plan.validation?.counts ?? null },
    train_windows_per_s: outcome.trainExamplesPerSecond,
    started_at: run.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
  };
}
