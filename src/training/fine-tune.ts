import { mkdir } from 'node:fs/promises';
import type { DataSource, Example, ReadOptionsInput } from '../data/index.js';
import type { TokenReadOptions } from '../data/tokens/index.js';
import type { EntityMode } from '../metrics/entities.js';
import { resolveTask, type Task } from './task.js';
import { initTfjs, type TfjsBackendChoice } from '../engine/tfjs/backend.js';
import type { EngineChoice } from '../engine/select.js';
import { UsageError } from '../errors.js';
import { isClassifierParam, type ProblemType } from '../heads/classification.js';
import { isDomainParam } from '../heads/domain.js';
import type { Pooling } from '../models/bert/bert.js';
import type { DeviceChoice, TrainingEngine } from '../engine/types.js';
import type { AugmentSpec } from '../augment/index.js';
import type { ClassificationResults } from '../report/types.js';
import { TfjsHeadEngine } from '../engine/tfjs/head-engine.js';
import { createTrainingEngine, prepareDevice } from '../engine/select.js';
import { saveResumeCheckpoint } from '../trainer/checkpoint.js';
import { strategyName } from './strategy.js';
import { Trainer, type TrainerCallbacks, type TrainerData, type TrainOutcome } from './trainer.js';
import { writeClassifierFolder } from './output-folder.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import { checkOptions, planRun, type RunPlan } from './plan.js';
import { initialWeights, type StartingWeights } from './initial-weights.js';
import { frozenFeatures, type FrozenFeatures } from './frozen-features.js';
import { classificationResults, saveResults } from './results.js';

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
  /** Examples per optimiser step, as --batch-size in every command (default 32). */
  batchSize?: number;
  /** Micro-batches per optimiser step (default 1): each holds batchSize / gradientAccumulation examples; must divide evenly. */
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
  /** Aborting it stops training after the current step, with a resumable checkpoint (`bertft train` aborts it on Ctrl-C). */
  signal?: AbortSignal;
  offline?: boolean;
  backend?: TfjsBackendChoice;
  /** Engine for training and for frozen feature extraction: auto (onnxruntime when it loads), tfjs or onnxruntime. */
  engine?: EngineChoice;
  /**
   * cpu (default); webgpu (onnxruntime's WebGPU provider, parameters and AdamW moments resident on the GPU, docs/gpu.md);
   * cuda (onnxruntime's CUDA provider, needs its CUDA build); auto: webgpu when an adapter is found, else cpu.
   */
  device?: DeviceChoice;
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
  /**
   * `sequence-classification` (one label per text) or `token-classification` (a tag per word:
   * token-fine-tune.ts); default: inferred from the training data (task.ts).
   */
  task?: Task;
  /** Token classification: how tagged files are read (format, CoNLL tag column, tag scheme). */
  tokenRead?: TokenReadOptions;
  /** Token classification: tokens shared by consecutive windows of a long sentence (default a quarter of --max-length). */
  stride?: number;
  /** Token classification: train every piece of a word on its tag, not only the first (HF's `label_all_tokens`). */
  labelAllTokens?: boolean;
  /** Token classification: entity matching of the metrics, conlleval's `default` or seqeval's `strict` IOB2. */
  entityMode?: EntityMode;
}

export interface FineTuneEvents extends TrainerCallbacks {
  onLog?(message: string): void;
  onFeatures?(e: { done: number; total: number; split: 'train' | 'validation' }): void;
  /** Receives the trainer once it exists, so a caller can stop it (Ctrl-C). */
  onTrainer?(trainer: Trainer): void;
  /** The examples training and evaluation use, after the validation split and augmentation. */
  onData?(e: { train: readonly Example[]; validation: readonly Example[] }): void;
}

/**
 * Fine-tunes (or trains a head on) a pretrained BERT for text classification and writes a Hugging
 * Face folder to `options.output`: the run is planned (plan.ts: options, data and rules resolved
 * into settings), its weights set up (initial-weights.ts, with --resume), its engine made (frozen
 * features for the frozen strategy), then trained (trainer.ts). Returns what training_results.json
 * holds, which is written when the run completes (not after an interruption).
 */
export async function fineTune(options: FineTuneOptions, events: FineTuneEvents = {}): Promise<ClassificationResults> {
  const log = events.onLog ?? (() => {});
  const startedAt = new Date();
  if (resolveTask(options.task, [...[options.train].flat(), ...[options.validation ?? []].flat()]) === 'token-classification')
    throw new UsageError('this is token-classification data (or --task token-classification): train it with fineTuneTokens or TokenClassifier.fit');
  const checked = checkOptions(options); // fail on a typo before any work
  // An unknown device, or webgpu without an adapter, fails before any data is read; auto is decided here, once.
  options = { ...options, device: await prepareDevice(options.engine, options.device) };
  const tfjs = lazyTfjs(options.backend ?? TRAIN_DEFAULTS.backend);
  if (options.backend && options.backend !== TRAIN_DEFAULTS.backend) await tfjs.start(); // an explicit --backend fails early if it cannot start
  const plan = await planRun(options, checked, { log, onData: events.onData });
  await mkdir(plan.output, { recursive: true });
  const start = await initialWeights(plan, options.resume === true, log);
  const frozen = plan.strategy.kind === 'frozen' ? await frozenFeatures(plan, start.encoder, options, events) : undefined;
  const engine = await createEngine(plan, start, frozen, options, tfjs.start);
  const outcome = await train({ plan, engine, data: trainerData(plan, frozen), start, backend: tfjs.backend() }, options, events);
  const results = classificationResults(plan, { engine: engine.name, backend: tfjs.backend(), outcome, featureSeconds: frozen?.seconds ?? 0, startedAt });
  await saveResults(results, options.keepCheckpoints === true);
  return results;
}

/**
 * TF.js starts only when an engine needs it (the frozen head, or the fallback): its wasm thread
 * pool would otherwise share the cores with onnxruntime for nothing.
 */
function lazyTfjs(choice: TfjsBackendChoice): { start: () => Promise<void>; backend: () => string | null } {
  let backend: string | null = null;
  return {
    start: async () => {
      backend = (await initTfjs(choice)).backend;
    },
    backend: () => backend,
  };
}

/** The engine that trains: the frozen head on features, else the fine-tuning engine (onnxruntime, or TF.js). */
async function createEngine(
  plan: RunPlan,
  start: StartingWeights,
  frozen: FrozenFeatures | undefined,
  options: FineTuneOptions,
  startTfjs: () => Promise<void>,
): Promise<TrainingEngine> {
  const cfg = plan.pretrained.config;
  const { problem, width } = plan.labels;
  const classWeights = plan.classWeights;
  if (frozen) {
    const head = new Map([...start.weights].filter(([n]) => isClassifierParam(n)));
    await startTfjs();
    return new TfjsHeadEngine({
      config: cfg,
      features: frozen.features,
      encoderWeights: start.encoder,
      head,
      problem,
      numOutputs: width,
      classWeights,
    });
  }
  const objective = plan.domain?.plan.objective;
  const domain = objective ? { dann: objective === 'dann', coralWeight: objective === 'coral' ? plan.domainWeights.coralWeight : 0 } : undefined;
  const engine = await createTrainingEngine({
    config: cfg,
    weights: start.weights,
    objective: { kind: 'classification', pooling: plan.pooling, problem, numOutputs: width, classWeights, domain },
    engine: options.engine,
    device: options.device,
    startTfjs,
  });
  if (domain && engine.name !== 'onnx') {
    engine.dispose();
    throw new UsageError(
      `--domain-adaptation ${plan.domain!.plan.method} needs the onnxruntime engine (the TF.js engine has no gradient-reversal or CORAL objective); use --engine onnxruntime`,
    );
  }
  return engine;
}

/** The trainer's data: feature rows for the frozen head, else token rows (with the target text a domain objective mixes in). */
function trainerData(plan: RunPlan, frozen: FrozenFeatures | undefined): TrainerData {
  if (frozen) return frozen.data;
  return plan.domain?.plan.objective && plan.targetSet ? { ...plan.data, target: plan.targetSet } : plan.data;
}

/** What the training loop runs: the plan, the engine, the data and the starting weights. */
interface TrainingRun {
  plan: RunPlan;
  engine: TrainingEngine;
  data: TrainerData;
  start: StartingWeights;
  /** The TF.js backend when TF.js was started, for the log line. */
  backend: string | null;
}

/** The training loop: saves the best model as it improves and resumable checkpoints on the way; disposes the engine. */
async function train(run: TrainingRun, options: FineTuneOptions, events: FineTuneEvents): Promise<TrainOutcome> {
  const { plan, engine, start } = run;
  const { output, folder, fingerprint, settings } = plan;
  const trainer = new Trainer(engine, plan.pretrained.config, start.names, settings, {
    ...events,
    checkpointIntervalMs: (options.checkpointMinutes ?? TRAIN_DEFAULTS.checkpointMinutes) * 60_000,
    // A completed run's checkpoint is removed afterwards unless kept: do not write it.
    finalCheckpoint: options.keepCheckpoints === true,
    saveBest: async (weights) => writeClassifierFolder(output, folder, new Map([...weights].filter(([n]) => !isDomainParam(n))), plan.pretrained.dir),
    saveCheckpoint: async (cp) => saveResumeCheckpoint(output, { ...cp, fingerprint }),
  });
  events.onTrainer?.(trainer);
  if (options.signal?.aborted) trainer.requestStop();
  options.signal?.addEventListener('abort', () => trainer.requestStop(), { once: true });
  const { examples, labels } = plan;
  events.onLog?.(
    `training: ${examples.train.length} examples, ${examples.validation.length} validation, ${labels.labels.length} labels, strategy ${strategyName(plan.strategy)}, pooling ${plan.pooling}, lr ${settings.lr}, ${settings.epochs} epochs, engine ${engine.name}${run.backend ? ` (TF.js backend ${run.backend})` : ''}`,
  );
  try {
    return await trainer.train(run.data, start.resumeFrom);
  } finally {
    engine.dispose();
  }
}
