import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  buildLabelVocab,
  checkLabels,
  readExamples,
  resolveReadOptions,
  stratifiedSplit,
  type DataSource,
  type Example,
  type ReadOptionsInput,
} from '../data/index.js';
import { initTfjs, type TfjsBackendChoice } from '../engine/tfjs/backend.js';
import { resolveMetricName } from '../metrics/index.js';
import type { EngineChoice } from '../engine/select.js';
import { BertftError, UsageError } from '../errors.js';
import { initBertWeights } from '../models/bert/init.js';
import { classifierWidth, initClassifierHead, isClassifierParam, numOutputs, type ProblemType } from '../heads/classification.js';
import type { Pooling } from '../models/bert/bert.js';
import type { HostTensor } from '../models/host-tensor.js';
import { loadPretrained } from '../pretrained.js';
import type { TrainingEngine } from '../engine/types.js';
import { cachedFeatures, featureIndexSet } from './features.js';
import { TfjsHeadEngine } from '../engine/tfjs/head-engine.js';
import { balancedClassWeights, targetRow } from './problem.js';
import { loadResumeCheckpoint, removeResumeCheckpoint, saveResumeCheckpoint } from '../trainer/checkpoint.js';
import { parseStrategy, strategyName, trainableParams, type Strategy } from './strategy.js';
import { createTrainingEngine } from '../engine/select.js';
import type { Device } from '../engine/types.js';
import { tokenizeAll } from './tokenized.js';
import { Trainer, type HistoryEntry, type TrainerCallbacks, type TrainerData, type TrainerSettings, type TrainerState } from './trainer.js';
import { writeClassifierFolder, writeTrainingResults } from './output-folder.js';
import type { ClassifierFolder } from '../checkpoint/classifier-config.js';
import { adviseStrategy, type Advice } from './advise.js';
import { augmentExamples, formatAugmentSpec, parseAugmentSpec, type AugmentSpec } from '../augment/index.js';
import { parseDomainAdaptation, type DomainAdaptationPlan } from '../adaptation/methods.js';
import { readTargetText } from '../adaptation/target-text.js';
import { continuePretraining, type DaptRecord } from '../adaptation/dapt.js';
import { applyCoralMap, fitCoralMap } from '../adaptation/coral.js';
import { initDomainHead, isDomainParam } from '../heads/domain.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from '../adaptation/defaults.js';
import { chosen, defaultMetric, defaultPooling, defaultWarmupRatio, earlyStoppingRule, epochsRule, learningRateRule, stepsPerEpoch, TRAIN_DEFAULTS } from './defaults.js';
import { bertftVersion } from '../version.js';

/** Everything `bertft train` / `TextClassifier.fit` accepts. Omitted values take the defaults in TRAIN_DEFAULTS (defaults.ts). */
export interface FineTuneOptions {
  /** A model folder or Hub id; default TRAIN_DEFAULTS.model, the English BERT that ships with bertft. */
  model?: string;
  train: string | DataSource | Array<string | DataSource>;
  validation?: string | DataSource | Array<string | DataSource>;
  output: string;
  read?: ReadOptionsInput;
  /** Fraction of the training file held out when no validation file is given (default 0.1). */
  validationSplit?: number;
  /** Use only the first N training examples (learning curves, quick runs). */
  limit?: number;
  problemType?: ProblemType;
  strategy?: string;
  pooling?: Pooling;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  gradientAccumulation?: number;
  learningRate?: number;
  headLr?: number;
  layerLrDecay?: number;
  warmupRatio?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  seed?: number;
  maxLength?: number;
  evalSteps?: number;
  earlyStoppingPatience?: number;
  metricForBest?: string;
  threshold?: number;
  classWeights?: 'none' | 'balanced';
  /** `random` trains the same architecture from scratch (the baseline transfer is measured against). */
  init?: 'pretrained' | 'random';
  resume?: boolean;
  offline?: boolean;
  backend?: TfjsBackendChoice;
  /** Engine for training and for frozen feature extraction: auto (onnxruntime when it loads), tfjs or onnxruntime. */
  engine?: EngineChoice;
  /** cpu (default) or cuda: onnxruntime's CUDA execution provider (needs a CUDA build of onnxruntime-node). */
  device?: Device;
  /** Minutes between resumable checkpoints inside an epoch (default 2). */
  checkpointMinutes?: number;
  /** Keep `<output>/checkpoint-last` after a successful run (default: removed; it only serves --resume). */
  keepCheckpoints?: boolean;
  featureCacheDir?: string;
  /**
   * `eda[:alpha,copies]` or `mlm[:rate,copies]` (or a parsed spec): adds augmented copies of each
   * training example (src/augment/), after the validation split is taken; validation data is never augmented.
   */
  augment?: string | AugmentSpec;
  /** Multiplies the epochs rule's choice when --epochs is not given (autotune searches it). */
  epochsScale?: number;
  /**
   * Unsupervised domain adaptation to the text of `targetText` (src/adaptation/methods.ts):
   * `dann`, `coral`, `dapt`, `dapt+dann` or `dapt+coral`. Source labels only; the target text is unlabelled.
   */
  domainAdaptation?: string;
  /** The target domain's unlabelled text: files of one text a line, or CSV/TSV/JSONL with `targetTextColumn`. */
  targetText?: string | string[];
  targetTextColumn?: string;
  /** DANN: the largest gradient-reversal coefficient (default DOMAIN_ADAPTATION_DEFAULTS.lambdaMax). */
  domainLambda?: number;
  /** Deep CORAL: the weight of the CORAL loss when fine-tuning (default DOMAIN_ADAPTATION_DEFAULTS.coralWeight). */
  coralWeight?: number;
  /** DAPT: masked-LM steps on the target text before fine-tuning (default DOMAIN_ADAPTATION_DEFAULTS.daptSteps). */
  daptSteps?: number;
}

export interface FineTuneEvents extends TrainerCallbacks {
  onLog?(message: string): void;
  onFeatures?(e: { done: number; total: number; split: 'train' | 'validation' }): void;
  /** Receives the trainer once it exists, so a caller can stop it (Ctrl-C). */
  onTrainer?(trainer: Trainer): void;
  /** The examples training and evaluation use, after the validation split and augmentation. */
  onData?(e: { train: readonly Example[]; validation: readonly Example[] }): void;
}

function inferProblem(examples: Example[]): ProblemType {
  const first = examples.find((e) => e.label !== undefined)?.label;
  if (typeof first === 'number') return 'regression';
  if (Array.isArray(first)) return 'multi_label_classification';
  return 'single_label_classification';
}

/** Reads train/validation data with the same reader options; splits validation off when none is given. */
function readData(options: FineTuneOptions, seed: number, log: (m: string) => void) {
  const labelType = options.problemType === 'regression' ? 'number' : options.problemType === 'multi_label_classification' ? 'multi' : undefined;
  const read: ReadOptionsInput = { ...options.read, ...(labelType && options.read?.labelType === undefined ? { labelType } : {}) };
  resolveReadOptions(read); // checks flags before any file is opened
  const trainRead = readExamples(options.train, read);
  for (const f of trainRead.files) log(`read ${f.examples} examples from ${f.file} (${f.format}${f.skipped ? `, ${f.skipped} bad rows skipped` : ''})`);
  let train = trainRead.examples;
  if (train.length === 0) throw new BertftError(`${String(options.train)}: no training examples`);
  if (options.limit !== undefined) train = train.slice(0, options.limit);
  let validation: Example[] = [];
  if (options.validation !== undefined) {
    const v = readExamples(options.validation, read);
    validation = v.examples;
    for (const f of v.files) log(`read ${f.examples} validation examples from ${f.file}`);
  } else if ((options.validationSplit ?? TRAIN_DEFAULTS.validationSplit) > 0) {
    const split = stratifiedSplit(train, options.validationSplit ?? TRAIN_DEFAULTS.validationSplit, seed);
    train = split.train;
    validation = split.validation;
    log(`no --validation file: held out ${validation.length} of the training examples (stratified, seed ${seed})`);
  }
  return { train, validation, onBadRow: resolveReadOptions(read).onBadRow };
}

/**
 * Fine-tunes (or trains a head on) a pretrained BERT for text classification and writes a Hugging
 * Face folder to `options.output`. Returns what training_results.json holds.
 */
export async function fineTune(options: FineTuneOptions, events: FineTuneEvents = {}): Promise<Record<string, unknown>> {
  const log = events.onLog ?? (() => {});
  const d = TRAIN_DEFAULTS;
  const model = options.model ?? d.model;
  const seed = options.seed ?? d.seed;
  const startedAt = new Date();
  let strategy = parseStrategy(options.strategy ?? d.strategy); // fail on a typo before any work
  const augment = typeof options.augment === 'string' ? parseAugmentSpec(options.augment) : options.augment;
  const adaptation = domainPlan(options, strategy);
  // TF.js starts only when an engine needs it (the frozen head, or the fallback): its wasm thread
  // pool would otherwise share the cores with onnxruntime for nothing.
  let tfjsBackend: string | null = null;
  const startTfjs = async () => {
    tfjsBackend = (await initTfjs(options.backend ?? d.backend)).backend;
  };
  if (options.backend && options.backend !== d.backend) await startTfjs(); // an explicit --backend fails early if it cannot start
  let pretrained = await loadPretrained(model, { offline: options.offline });
  const cfg = pretrained.config;
  const maxLength = options.maxLength ?? Math.min(d.maxLength, cfg.maxPositionEmbeddings);
  if (maxLength > cfg.maxPositionEmbeddings) throw new UsageError(`--max-length ${maxLength} exceeds the model's ${cfg.maxPositionEmbeddings} positions`);
  // Domain adaptation: the target text is checked before any training; DAPT then continues
  // pre-training on it and fine-tuning starts from the adapted model (src/adaptation/).
  const targetFiles = [options.targetText ?? []].flat();
  const target = adaptation ? await readTargetText(targetFiles, pretrained.tokenizer, { textColumn: options.targetTextColumn }) : undefined;
  if (adaptation && target) log(`--domain-adaptation ${adaptation.method}: ${target.texts.length} target texts from ${targetFiles.join(', ')} ([UNK] rate ${(target.unkRate * 100).toFixed(2)}%)`);
  let dapt: DaptRecord | undefined;
  if (adaptation?.dapt) {
    dapt = await continuePretraining({ model: pretrained.dir, targetFiles, textColumn: options.targetTextColumn, output: resolve(options.output), maxLength, seed, steps: options.daptSteps, log });
    log(`dapt: ${dapt.steps} masked-LM steps on the target text (final loss ${dapt.final_loss.toFixed(3)}, ${dapt.seconds.toFixed(0)} s); fine-tuning starts from ${dapt.model_dir}`);
    pretrained = await loadPretrained(dapt.model_dir, { offline: true });
  }

  const data = readData(options, seed, log);
  if (augment) {
    // Copies join the training rows only: readData has already set the validation rows apart.
    const originals = data.train.length;
    data.train = await augmentExamples(data.train, augment, { seed, model: pretrained.dir, maxLength, engine: options.engine, device: options.device, offline: options.offline });
    log(`--augment ${formatAugmentSpec(augment)}: ${originals} training examples + ${data.train.length - originals} augmented copies; validation not augmented`);
  }
  const problem = options.problemType ?? inferProblem(data.train);
  const labels = problem === 'regression' ? ['value'] : buildLabelVocab(data.train).labels;
  const label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  const validation = problem === 'regression' ? data.validation : checkLabels(data.validation, { labels, label2id, id2label: { ...labels } }, data.onBadRow).examples;
  const width = numOutputs(problem, labels);
  if (problem !== 'regression' && labels.length < 2) throw new UsageError(`the training data has only one label (${labels[0]}); classification needs at least two`);
  events.onData?.({ train: data.train, validation });

  if (strategy.kind !== 'auto') trainableParams(strategy, cfg, [], 0); // checks top-k against the layer count
  let advice: Advice | undefined;
  if (strategy.kind === 'auto') {
    advice = await adviseStrategy(pretrained, data.train.map((e) => e.text), { seed });
    strategy = advice.strategy;
    log(`--strategy auto: ${advice.summary}`);
    for (const line of [...advice.details, ...advice.adaptation.lines]) log(`  ${line}`);
  }
  if (adaptation?.objective === 'dann' && strategy.kind === 'frozen') throw frozenDannError();
  const init = options.init ?? d.init;
  const pooling: Pooling = options.pooling ?? defaultPooling(strategy);
  if (pooling === 'pooler' && !pretrained.hasPooler && init !== 'random') throw new UsageError(`${pretrained.dir} has no pooler weights; use --pooling mean or cls`);
  // The schedule comes from the data and the model (defaults.ts rules) unless a flag sets it; the
  // results record which rule chose what.
  const batchSize = options.batchSize ?? d.batchSize;
  const gradientAccumulation = options.gradientAccumulation ?? d.gradientAccumulation;
  const epochsChoice = chosen(options.epochs, '--epochs', () => epochsRule(strategy, data.train.length, batchSize, gradientAccumulation, options.epochsScale));
  const plannedSteps = Math.min(options.maxSteps ?? Infinity, epochsChoice.value * stepsPerEpoch(data.train.length, batchSize, gradientAccumulation));
  const lrChoice = chosen(options.learningRate, '--learning-rate', () => learningRateRule(strategy, cfg.hiddenSize, plannedSteps));
  const evalSteps = options.evalSteps ?? d.evalSteps;
  const patienceChoice = chosen(options.earlyStoppingPatience, '--early-stopping-patience', () => earlyStoppingRule(epochsChoice.value, evalSteps, validation.length > 0));
  const recipeRules = { learning_rate: lrChoice, epochs: epochsChoice, early_stopping_patience: patienceChoice };
  const lr = lrChoice.value;
  log(`schedule: ${Object.entries(recipeRules).map(([k, c]) => `${k} ${c.value} (${c.source === 'flag' ? 'flag' : c.rule})`).join('; ')}`);

  const toTargets = (examples: Example[]) => {
    const m = new Float32Array(examples.length * width);
    examples.forEach((e, i) => m.set(targetRow(e.label, problem, label2id, width), i * width));
    return m;
  };
  const tokenizer = pretrained.tokenizer;
  const trainSet = await tokenizeAll(tokenizer, data.train.map((e) => e.text), data.train.some((e) => e.textPair !== undefined) ? data.train.map((e) => e.textPair) : undefined, maxLength);
  const evalSet = validation.length ? await tokenizeAll(tokenizer, validation.map((e) => e.text), validation.some((e) => e.textPair !== undefined) ? validation.map((e) => e.textPair) : undefined, maxLength) : undefined;
  const targetSet = target && adaptation?.objective ? await tokenizeAll(tokenizer, target.texts, undefined, maxLength) : undefined;
  const domainLambda = options.domainLambda ?? DOMAIN_ADAPTATION_DEFAULTS.lambdaMax;
  const coralWeight = options.coralWeight ?? DOMAIN_ADAPTATION_DEFAULTS.coralWeight;
  const trainTargets = toTargets(data.train);
  const evalTargets = validation.length ? toTargets(validation) : undefined;
  const classWeights =
    options.classWeights === 'balanced' && problem === 'single_label_classification'
      ? balancedClassWeights(data.train.map((e) => label2id[String(e.label)]!), width)
      : undefined;

  const encoderWeights: Map<string, HostTensor> = init === 'random' ? initBertWeights(cfg, seed, true) : pretrained.weights;
  const head = pretrained.classifier && classifierWidth(pretrained.classifier) === width && init !== 'random' ? pretrained.classifier : initClassifierHead(cfg, width, seed);
  const settings: TrainerSettings = {
    problem,
    labels,
    numOutputs: width,
    strategy,
    epochs: epochsChoice.value,
    maxSteps: options.maxSteps,
    batchSize,
    gradientAccumulation,
    lr,
    headLr: options.headLr,
    layerLrDecay: options.layerLrDecay ?? d.layerLrDecay,
    warmupRatio: options.warmupRatio ?? defaultWarmupRatio(strategy),
    weightDecay: options.weightDecay ?? d.weightDecay,
    maxGradNorm: options.maxGradNorm ?? d.maxGradNorm,
    seed,
    evalSteps,
    earlyStoppingPatience: patienceChoice.value,
    metricForBest: resolveMetricName(options.metricForBest ?? defaultMetric(problem), problem),
    threshold: options.threshold ?? d.threshold,
    classWeights,
    evalBatchSize: d.evalBatchSize,
    domainLambdaMax: domainLambda,
  };
  const output = resolve(options.output);
  await mkdir(output, { recursive: true });
  const hyperparameters = {
    model,
    init,
    strategy: strategyName(strategy),
    pooling,
    epochs: settings.epochs,
    max_steps: settings.maxSteps ?? null,
    batch_size: settings.batchSize,
    gradient_accumulation_steps: settings.gradientAccumulation,
    learning_rate: lr,
    head_lr: settings.headLr ?? null,
    layer_lr_decay: settings.layerLrDecay,
    warmup_ratio: settings.warmupRatio,
    weight_decay: settings.weightDecay,
    max_grad_norm: settings.maxGradNorm,
    seed,
    max_length: maxLength,
    eval_steps: settings.evalSteps,
    early_stopping_patience: settings.earlyStoppingPatience,
    metric_for_best_model: settings.metricForBest,
    threshold: settings.threshold,
    class_weights: options.classWeights ?? d.classWeights,
    limit: options.limit ?? null,
    augment: augment ? formatAugmentSpec(augment) : null,
    ...(adaptation ? { domain_adaptation: adaptation.method, target_text: targetFiles, domain_lambda: domainLambda, coral_weight: coralWeight, dapt_steps: dapt?.steps ?? null } : {}),
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ hyperparameters, labels, n: data.train.length, ids: trainSet.lengths }))
    .digest('hex');

  const folder: ClassifierFolder = {
    config: cfg,
    baseRaw: pretrained.raw,
    labels,
    problem,
    bertft: { pooling, max_length: maxLength, threshold: settings.threshold, strategy: strategyName(strategy), ...(classWeights ? { class_weights: Array.from(classWeights) } : {}) },
  };
  // DANN's discriminator trains beside the head and is dropped from the saved model.
  const domainHead = adaptation?.objective === 'dann' && strategy.kind !== 'frozen' ? initDomainHead(cfg, seed + 7) : new Map<string, HostTensor>();
  const names = [...encoderWeights.keys(), ...head.keys(), ...domainHead.keys()];
  let resumeFrom: Parameters<Trainer['train']>[1];
  let startWeights = new Map([...encoderWeights, ...head, ...domainHead]);
  if (options.resume) {
    const cp = await loadResumeCheckpoint<TrainerState>(output);
    if (!cp) {
      log(`--resume: no checkpoint in ${output}; starting from the beginning`);
    } else {
      if (cp.fingerprint !== fingerprint) throw new UsageError(`--resume: ${output} was trained with other data or settings; use the same options or a new --output`);
      startWeights = cp.weights;
      resumeFrom = { state: cp.state, optimizer: cp.optimizer };
      log(`resuming from step ${cp.state.globalStep} (${output}/checkpoint-last)`);
    }
  }

  let engine: TrainingEngine;
  let trainData: TrainerData = { train: trainSet, trainTargets, eval: evalSet, evalTargets };
  let featureSeconds = 0;
  if (strategy.kind === 'frozen') {
    const t0 = Date.now();
    const sets = [trainSet, ...(evalSet ? [evalSet] : [])];
    const parts: Float32Array[] = [];
    for (const [k, set] of sets.entries()) {
      const split = k === 0 ? 'train' : 'validation';
      const f = await cachedFeatures(cfg, encoderWeights, pooling, set, {
        batchSize: d.evalBatchSize,
        cacheDir: options.featureCacheDir,
        engine: options.engine,
        device: options.device,
        onBatch: (done) => events.onFeatures?.({ done, total: set.lengths.length, split }),
      });
      log(`${split} features: ${f.cached ? 'reused from cache' : 'computed and cached'} (${f.file})`);
      parts.push(f.features);
    }
    if (adaptation?.objective === 'coral' && targetSet) {
      // Frozen CORAL: source features (training and validation rows) take the target's mean and
      // covariance; the head trains on them and later sees raw target features (coral.ts).
      const t = await cachedFeatures(cfg, encoderWeights, pooling, targetSet, { batchSize: d.evalBatchSize, cacheDir: options.featureCacheDir, engine: options.engine, device: options.device });
      const H = cfg.hiddenSize;
      const trainRows = trainSet.lengths.length;
      const map = fitCoralMap(parts[0]!, trainRows, t.features, targetSet.lengths.length, H, DOMAIN_ADAPTATION_DEFAULTS.coralShrinkage);
      for (let k = 0; k < parts.length; k++) parts[k] = applyCoralMap(map, parts[k]!, parts[k]!.length / H, H);
      log(`coral: ${trainRows} source feature rows mapped to the covariance of ${targetSet.lengths.length} target rows (target features ${t.cached ? 'reused from cache' : 'computed and cached'})`);
    }
    featureSeconds = (Date.now() - t0) / 1000;
    const headNow = new Map([...startWeights].filter(([n]) => isClassifierParam(n)));
    await startTfjs();
    engine = new TfjsHeadEngine({ features: concat(parts), hiddenSize: cfg.hiddenSize, encoderWeights, head: headNow, problem, numOutputs: width, dropout: cfg.hiddenDropoutProb, classWeights });
    trainData = { train: featureIndexSet(trainSet.lengths.length, 0), trainTargets, eval: evalSet && featureIndexSet(evalSet.lengths.length, trainSet.lengths.length), evalTargets };
  } else {
    const domain = adaptation?.objective ? { dann: adaptation.objective === 'dann', coralWeight: adaptation.objective === 'coral' ? coralWeight : 0 } : undefined;
    engine = await createTrainingEngine({ config: cfg, weights: startWeights, objective: { kind: 'classification', pooling, problem, numOutputs: width, classWeights, domain }, engine: options.engine, device: options.device, startTfjs });
    if (domain && engine.name !== 'onnx') {
      engine.dispose();
      throw new UsageError(`--domain-adaptation ${adaptation!.method} needs the onnxruntime engine (the TF.js engine has no gradient-reversal or CORAL objective); use --engine onnxruntime`);
    }
    if (domain && targetSet) trainData = { ...trainData, target: targetSet };
  }

  const trainer = new Trainer(engine, cfg, names, settings, {
    ...events,
    checkpointIntervalMs: (options.checkpointMinutes ?? d.checkpointMinutes) * 60_000,
    // A completed run's checkpoint is removed below unless kept: do not write it.
    finalCheckpoint: options.keepCheckpoints === true,
    saveBest: async (weights) => writeClassifierFolder(output, folder, new Map([...weights].filter(([n]) => !isDomainParam(n))), pretrained.dir),
    saveCheckpoint: async (cp) => saveResumeCheckpoint(output, { ...cp, fingerprint }),
  });
  events.onTrainer?.(trainer);
  log(`training: ${data.train.length} examples, ${validation.length} validation, ${labels.length} labels, strategy ${strategyName(strategy)}, pooling ${pooling}, lr ${lr}, ${settings.epochs} epochs, engine ${engine.name}${tfjsBackend ? ` (TF.js backend ${tfjsBackend})` : ''}`);
  let outcome;
  try {
    outcome = await trainer.train(trainData, resumeFrom);
  } finally {
    engine.dispose();
  }
  const results = {
    bertft_version: bertftVersion(),
    model,
    output_dir: output,
    problem_type: problem,
    labels,
    strategy: strategyName(strategy),
    engine: engine.name,
    backend: tfjsBackend,
    hyperparameters,
    recipe_rules: recipeRules,
    advice: advice ?? null,
    history: outcome.state.history,
    steps: outcome.state.steps,
    final_eval: outcome.finalEval ?? null,
    best: outcome.state.best,
    interrupted: outcome.interrupted,
    train_runtime_s: outcome.state.elapsedSeconds,
    feature_extraction_s: featureSeconds,
    train_examples: data.train.length,
    eval_examples: validation.length,
    train_examples_per_s: outcome.trainExamplesPerSecond,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ...(adaptation ? { domain_adaptation: domainRecord(adaptation, targetFiles, target!.texts.length, target!.unkRate, dapt, domainLambda, coralWeight, strategy, outcome.state.history) } : {}),
  };
  if (!outcome.interrupted) {
    await writeTrainingResults(output, results);
    if (!options.keepCheckpoints) await removeResumeCheckpoint(output);
  }
  return results;
}

/** The domain-adaptation plan of the options, checked before any work (unknown method, missing target text, engine). */
function domainPlan(options: FineTuneOptions, strategy: Strategy): DomainAdaptationPlan | undefined {
  if (options.domainAdaptation === undefined) {
    if (options.targetText !== undefined) throw new UsageError('--target-text is used only with --domain-adaptation dann|coral|dapt|dapt+dann|dapt+coral');
    return undefined;
  }
  const plan = parseDomainAdaptation(options.domainAdaptation);
  if ([options.targetText ?? []].flat().length === 0) throw new UsageError(`--domain-adaptation ${plan.method} needs --target-text FILE: the unlabelled text of the target domain, one text a line`);
  if (plan.objective === 'dann' && strategy.kind === 'frozen') throw frozenDannError();
  if (plan.objective && options.engine === 'tfjs') throw new UsageError(`--domain-adaptation ${plan.method} needs the onnxruntime engine; the TF.js engine has no gradient-reversal or CORAL objective`);
  for (const [flag, v] of [['--domain-lambda', options.domainLambda], ['--coral-weight', options.coralWeight]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`${flag} must be a number ≥ 0, got ${v}`);
  }
  return plan;
}

function frozenDannError(): UsageError {
  return new UsageError('--domain-adaptation dann trains the encoder against a domain discriminator, but --strategy frozen never changes the encoder; use full, top-k:N or gradual, or coral (which maps frozen features)');
}

/** What training_results.json records about domain adaptation: the method, the target text and each step. */
function domainRecord(
  plan: DomainAdaptationPlan,
  files: string[],
  texts: number,
  unkRate: number,
  dapt: DaptRecord | undefined,
  lambdaMax: number,
  coralWeight: number,
  strategy: Strategy,
  history: HistoryEntry[],
): Record<string, unknown> {
  const last = history.at(-1);
  return {
    method: plan.method,
    target_text: files,
    target_texts: texts,
    target_unk_rate: unkRate,
    steps: [
      ...(dapt ? [{ step: 'continued masked-LM pre-training on the target text', ...dapt }] : []),
      {
        step: 'fine-tuning on the labelled source text',
        objective: plan.objective ?? 'classification only',
        ...(plan.objective === 'dann' ? { lambda_max: lambdaMax, lambda_schedule: '2/(1+exp(-10p))-1', final_domain_accuracy: last?.domain_accuracy ?? null } : {}),
        ...(plan.objective === 'coral' ? (strategy.kind === 'frozen' ? { coral: 'source features whitened and re-coloured to the target covariance' } : { coral_weight: coralWeight, final_coral_loss: last?.coral_loss ?? null }) : {}),
      },
    ],
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}
