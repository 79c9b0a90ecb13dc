import type { Command } from 'commander';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend.js';
import { POOLINGS, type Pooling } from '../../models/bert/bert.js';
import { fineTune, type FineTuneOptions } from '../../training/fine-tune.js';
import { fineTuneTokens } from '../../training/token-fine-tune.js';
import { parseTask, resolveTask, TASKS } from '../../training/task.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { DEVICE_CHOICES } from '../../engine/types.js';
import { parseProblemType } from '../../training/problem.js';
import type { HistoryEntry } from '../../training/trainer.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { parseChoice, parseDevice, parseNumber, parsePositiveInt } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';
import { datasetSplits, resolveDatasetSplit } from '../../datasets/index.js';
import { UsageError } from '../../errors.js';
import { writeReport } from '../../report/index.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from '../../adaptation/defaults.js';
import { TRAIN_DEFAULTS } from '../../training/defaults.js';
import { DOMAIN_ADAPTATION_METHODS } from '../../adaptation/methods.js';
import { autotune, autotuneTokens, parseDuration, type AutotuneEvents } from '../../training/autotune.js';
import { parseAugmentSpec } from '../../augment/spec.js';
import { memoryFields, memorySummary } from '../../engine/memory.js';

interface TrainFlags extends Record<string, string | boolean | undefined> {
  model: string;
  train?: string;
  validation?: string;
  output: string;
}

/** Trained on when neither --train nor --dataset is given: the SpamAssassin corpus from the npm registry. */
export const DEFAULT_DATASET = 'spam_assassin';

/** --dataset NAME (or the default) → the recipe's train/validation files and reader flags. */
async function recipeData(f: TrainFlags): Promise<Pick<FineTuneOptions, 'train' | 'validation' | 'read'> | undefined> {
  if (typeof f.train === 'string') {
    if (typeof f.dataset === 'string') throw new UsageError('give either --train FILE or --dataset NAME, not both');
    return undefined;
  }
  const name = typeof f.dataset === 'string' ? f.dataset : DEFAULT_DATASET;
  const opts = { dataDir: typeof f.dataDir === 'string' ? f.dataDir : undefined, offline: Boolean(f.offline) };
  const train = await resolveDatasetSplit(name, 'train', opts);
  let validation: string[] | undefined;
  if (typeof f.validation !== 'string' && datasetSplits(train.spec).includes('validation')) {
    validation = (await resolveDatasetSplit(name, 'validation', opts)).sources as string[];
  }
  return { train: train.sources as string[], validation: typeof f.validation === 'string' ? f.validation : validation, read: train.read };
}

const num = (flag: string, v: string | boolean | undefined, opts?: { min?: number; max?: number }) =>
  typeof v === 'string' ? parseNumber(flag, v, opts) : undefined;
const int = (flag: string, v: string | boolean | undefined) => (typeof v === 'string' ? parsePositiveInt(flag, v) : undefined);
/** A whole number ≥ 0 (where 0 means "off"). */
const count = (flag: string, v: string | boolean | undefined) => {
  const n = num(flag, v, { min: 0 });
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`${flag} must be a whole number, got "${String(v)}"`);
  return n;
};
const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

/** Turns the command line into FineTuneOptions, checking every number and choice. */
export function trainOptionsFrom(f: TrainFlags): FineTuneOptions {
  return {
    model: f.model,
    train: f.train ?? [],
    validation: f.validation,
    output: f.output,
    read: readOptionsFrom(f as never),
    validationSplit: num('--validation-split', f.validationSplit, { min: 0, max: 0.9 }),
    limit: int('--limit', f.limit),
    augment: typeof f.augment === 'string' ? parseAugmentSpec(f.augment) : undefined,
    problemType: typeof f.problemType === 'string' ? parseProblemType(f.problemType) : undefined,
    strategy: str(f.strategy),
    pooling: typeof f.pooling === 'string' ? (parseChoice('--pooling', f.pooling, POOLINGS) as Pooling) : undefined,
    epochs: int('--epochs', f.epochs),
    maxSteps: int('--max-steps', f.maxSteps),
    batchSize: int('--batch-size', f.batchSize),
    gradientAccumulation: int('--gradient-accumulation-steps', f.gradientAccumulationSteps),
    learningRate: num('--learning-rate', f.learningRate ?? f.lr, { min: 0 }),
    headLr: num('--head-lr', f.headLr, { min: 0 }),
    layerLrDecay: num('--layer-lr-decay', f.layerLrDecay, { min: 0.01, max: 1 }),
    warmupRatio: num('--warmup-ratio', f.warmupRatio, { min: 0, max: 1 }),
    weightDecay: num('--weight-decay', f.weightDecay, { min: 0 }),
    maxGradNorm: num('--max-grad-norm', f.maxGradNorm, { min: 0 }),
    seed: num('--seed', f.seed, { min: 0 }),
    maxLength: int('--max-length', f.maxLength),
    evalSteps: int('--eval-steps', f.evalSteps),
    earlyStoppingPatience: count('--early-stopping-patience', f.earlyStoppingPatience),
    metricForBest: str(f.metricForBestModel),
    threshold: num('--threshold', f.threshold, { min: 0, max: 1 }),
    classWeights: typeof f.classWeights === 'string' ? parseChoice('--class-weights', f.classWeights, ['none', 'balanced'] as const) : undefined,
    init: typeof f.init === 'string' ? parseChoice('--init', f.init, ['pretrained', 'random'] as const) : undefined,
    resume: Boolean(f.resume),
    offline: Boolean(f.offline),
    backend: parseChoice('--backend', String(f.backend ?? TRAIN_DEFAULTS.backend), TFJS_BACKENDS) as TfjsBackendChoice,
    engine: parseChoice('--engine', String(f.engine ?? TRAIN_DEFAULTS.engine), ENGINES) as EngineChoice,
    device: parseDevice(f.device),
    checkpointMinutes: num('--checkpoint-minutes', f.checkpointMinutes, { min: 0 }),
    keepCheckpoints: Boolean(f.keepCheckpoints),
    domainAdaptation: str(f.domainAdaptation),
    targetText: str(f.targetText),
    targetTextColumn: str(f.targetTextColumn),
    domainLambda: num('--domain-lambda', f.domainLambda, { min: 0 }),
    coralWeight: num('--coral-weight', f.coralWeight, { min: 0 }),
    daptSteps: int('--dapt-steps', f.daptSteps),
    ...tokenOptionsFrom(f),
  };
}

/** The token-classification flags (token-fine-tune.ts); `--label-column` is a CoNLL file's 0-based tag column there. */
function tokenOptionsFrom(f: TrainFlags): Pick<FineTuneOptions, 'task' | 'tokenRead' | 'stride' | 'labelAllTokens' | 'entityMode'> {
  const task = typeof f.task === 'string' ? parseTask(f.task) : undefined;
  const column = str(f.labelColumn);
  const labelColumn = column !== undefined && /^\d+$/.test(column) ? Number(column) : undefined;
  return {
    task,
    tokenRead: { ...(labelColumn !== undefined ? { labelColumn } : {}), ...(typeof f.scheme === 'string' ? { scheme: f.scheme } : {}) },
    stride: count('--stride', f.stride),
    labelAllTokens: f.labelAllTokens === true ? true : undefined,
    entityMode: typeof f.entityMode === 'string' ? parseChoice('--entity-mode', f.entityMode, ['default', 'strict'] as const) : undefined,
  };
}

/** A learning rate as --help shows it: 1e-4, not 0.0001. */
const lrText = (x: number) => x.toExponential();

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('fine-tune a pretrained BERT (or train a head on frozen features) for text classification, or for token classification (named entities)');
  addTrainOptions(cmd);
  addDataOptions(cmd).addHelpText('after', TRAIN_EXAMPLES);
  cmd.action(action(runTrain));
}

/** The options of `bertft train` with their defaults (TRAIN_DEFAULTS), as --help and docs/cli.md show them. */
function addTrainOptions(cmd: Command): Command {
  const d = TRAIN_DEFAULTS;
  return cmd
    .option('-m, --model <dir|hub-id>', `pretrained model: a local Hugging Face folder, a Hub id, or ${d.model} (ships with bertft)`, d.model)
    .option('--train <file>', 'training data (CSV/TSV/JSONL/lines, see docs/data-formats.md)')
    .option('--dataset <name>', `a named data set instead of --train (bertft datasets list); default without --train: ${DEFAULT_DATASET}`)
    .option('--data-dir <dir>', 'where local copies of named data sets live (default $BERTFT_DATA_DIR)')
    .option('--validation <file>', 'validation data (default: a stratified split of --train)')
    .option('-o, --output <dir>', 'where the trained model folder goes', d.output)
    .option('--report', 'also write report.html with learning curves and the confusion matrix')
    .option('--strategy <s>', 'frozen | full | top-k:N | gradual | auto', d.strategy)
    .option(
      '--pooling <p>',
      `pooler | cls | mean (default: ${d.frozenPooling} for frozen, else the config's classifier_pooling, else ${d.pooling} (the family's))`,
    )
    .option('--problem-type <t>', 'single | multi | regression (default: from the labels)')
    .option(
      '--epochs <n>',
      `training epochs (default: enough for ${d.minSteps} optimiser steps, ${d.epochs}…${d.maxEpochs}; ${d.frozenEpochs}…${d.frozenMaxEpochs} for frozen)`,
    )
    .option('--max-steps <n>', 'stop after this many optimiser steps')
    .option('--batch-size <n>', 'examples per optimiser step', String(d.batchSize))
    .option(
      '--gradient-accumulation-steps <n>',
      'micro-batches per optimiser step, each of batch-size / N examples (must divide evenly; less memory, same steps)',
      String(d.gradientAccumulation),
    )
    .option(
      '--learning-rate, --lr <x>',
      `peak learning rate (default by model width: ${d.learningRateByWidth.map((r) => `${lrText(r.lr)} ${Number.isFinite(r.maxHidden) ? `for hidden ≤ ${r.maxHidden}` : 'above'}`).join(', ')}; × √(${d.minSteps}/steps) for runs over ${d.minSteps} steps; ${lrText(d.frozenLearningRate)} for frozen; token classification: ${d.tokenLearningRateByWidth.map((r) => `${lrText(r.lr)} ${Number.isFinite(r.maxHidden) ? `for hidden ≤ ${r.maxHidden}` : 'above'}`).join(', ')}, unscaled)`,
    )
    .option('--head-lr <x>', 'learning rate of the classification head (default: --learning-rate)')
    .option('--layer-lr-decay <x>', `layer-wise LR decay factor, e.g. 0.9 (default ${d.layerLrDecay} = off)`)
    .option('--warmup-ratio <x>', `share of steps with linear warm-up (default ${d.warmupRatio}; ${d.frozenWarmupRatio} for frozen)`)
    .option('--weight-decay <x>', 'AdamW weight decay, not on bias/LayerNorm', String(d.weightDecay))
    .option('--max-grad-norm <x>', 'gradient-norm clipping', String(d.maxGradNorm))
    .option('--max-length <n>', `longest token sequence (default ${d.maxLength})`)
    .option('--seed <n>', 'random seed (same seed → same metrics)', String(d.seed))
    .option('--eval-steps <n>', 'evaluate every N steps (default: every epoch)')
    .option('--early-stopping-patience <n>', `stop after N evaluations without improvement, keeping the best (default ${d.earlyStoppingPatience}; 0 = never)`)
    .option('--metric-for-best-model <m>', `accuracy, macro_f1, mcc, eval_loss, ... (default ${Object.values(d.metricForBest).join(' / ')})`)
    .option('--threshold <x>', 'multi-label decision threshold', String(d.threshold))
    .option('--class-weights <w>', 'none or balanced (for imbalanced classes)')
    .option('--validation-split <x>', 'fraction held out when there is no --validation file', String(d.validationSplit))
    .option('--limit <n>', 'use only the first N training examples')
    .option(
      '--augment <spec>',
      'add augmented copies of the training examples (never validation): eda[:alpha,copies] or mlm[:rate,copies] (bertft augment shows them)',
    )
    .option('--domain-adaptation <method>', `adapt to the unlabelled --target-text: ${DOMAIN_ADAPTATION_METHODS.join(', ')} (docs/domain-adaptation.md)`)
    .option('--target-text <file>', 'unlabelled text of the target domain, one text a line (or CSV/TSV/JSONL with --target-text-column)')
    .option('--target-text-column <name>', 'the text column of a CSV/TSV/JSONL --target-text file')
    .option(
      '--domain-lambda <x>',
      `DANN: largest gradient-reversal coefficient, reached along 2/(1+e^(-10p))-1 (default ${DOMAIN_ADAPTATION_DEFAULTS.lambdaMax})`,
    )
    .option('--coral-weight <x>', `CORAL while fine-tuning: weight of the covariance loss (default ${DOMAIN_ADAPTATION_DEFAULTS.coralWeight})`)
    .option('--dapt-steps <n>', `DAPT: masked-LM steps on the target text before fine-tuning (default ${DOMAIN_ADAPTATION_DEFAULTS.daptSteps})`)
    .option('--init <how>', 'pretrained, or random to train the same architecture from scratch (baseline)')
    .option('--task <t>', `${TASKS.join(' or ')} (default: from the training data: CoNLL, or JSON lines with "tokens"/"entities", is token classification)`)
    .option('--stride <n>', 'token classification: tokens shared by consecutive windows of a sentence longer than --max-length (default: a quarter of it)')
    .option('--label-all-tokens', "token classification: train every word piece on its word's tag (default: the first piece only)")
    .option('--scheme <s>', "token classification: the tags' scheme, iob1 | iob2 | bioes | io | auto (default auto: inferred; all become IOB2)")
    .option('--entity-mode <m>', "token classification: entity matching of the metrics, default (conlleval's) or strict (seqeval's IOB2)")
    .option(
      '--autotune [duration]',
      `search LR, epochs, batch size, strategy, pooling and head LR on the validation split within a time budget (e.g. 90s, 5m; default ${d.autotuneBudget}), keeping the best trial (docs/recipes.md)`,
    )
    .option('--resume', 'continue from <output>/checkpoint-last after an interruption')
    .option('--checkpoint-minutes <x>', 'minutes between resumable checkpoints within an epoch', String(d.checkpointMinutes))
    .option('--keep-checkpoints', 'keep <output>/checkpoint-last after a successful run (default: deleted)')
    .option('--engine <name>', `${ENGINES.join(', ')}: runs training and feature extraction (auto: onnxruntime when it loads)`, d.engine)
    .option(
      '--device <d>',
      `${DEVICE_CHOICES.join(', ')}: webgpu trains with parameters and moments resident on the GPU (a Vulkan driver, docs/gpu.md); cuda needs its CUDA build (docs/troubleshooting.md); auto: webgpu when an adapter is found, else cpu`,
      d.device,
    )
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, d.backend)
    .option('--offline', 'use only the local Hub cache (same as HF_HUB_OFFLINE=1)')
    .option('--json', 'print training_results.json to stdout at the end')
    .option('-q, --quiet', 'no progress output');
}

const TRAIN_EXAMPLES = `
Examples:
  $ bertft train --report              # SpamAssassin ham/spam with ${TRAIN_DEFAULTS.model}, offline
  $ bertft train --model sentence-transformers/all-MiniLM-L6-v2   # a Hub model (downloaded once)
  $ bertft train --dataset sst2 --data-dir ../shared/datasets --model ./bert-tiny -o out/sst2
  $ bertft train --model ./bert-tiny --train train.tsv --validation dev.tsv -o out/sst2
  $ bertft train -m ./bert-tiny --train sms.tsv -o out/frozen --strategy frozen
  $ bertft train -m ./bert-tiny --train data.csv --text-column review --label-column stars -o out/m --strategy top-k:2 --layer-lr-decay 0.9
  $ bertft train --train ner-train.conll --validation ner-dev.conll -o out/ner   # token classification (named entities)
  $ bertft train ... --resume          # after Ctrl-C or a crash: continue where it stopped
`;

/** `bertft train`: trains (or searches with --autotune), Ctrl-C stopping after a step; then the report, the last line, --json. */
async function runTrain(flags: TrainFlags): Promise<void> {
  const options = trainOptionsFrom(flags);
  const fromRecipe = await recipeData(flags);
  if (fromRecipe) Object.assign(options, fromRecipe, { read: { ...fromRecipe.read, ...definedOnly(options.read) } });
  const quiet = Boolean(flags.quiet);
  const log = (m: string) => !quiet && process.stderr.write(`${m}\n`);
  const budgetSeconds =
    flags.autotune === undefined ? undefined : parseDuration('--autotune', flags.autotune === true ? TRAIN_DEFAULTS.autotuneBudget : String(flags.autotune));
  if (budgetSeconds !== undefined && options.resume) throw new UsageError('--autotune cannot --resume; run the search again');
  const task = resolveTask(options.task, [...[options.train].flat(), ...[options.validation ?? []].flat()]);
  if (task === 'token-classification' && !flags.train)
    throw new UsageError('token classification trains on your tagged files: give --train FILE (CoNLL or JSON lines)');
  // --threshold has a default for multi-label classification; only a value given on purpose is a mistake for a tagger.
  if (task === 'token-classification' && flags.threshold === String(TRAIN_DEFAULTS.threshold)) options.threshold = undefined;
  const trainOrSearch =
    budgetSeconds !== undefined
      ? (o: FineTuneOptions, e: AutotuneEvents) => (task === 'token-classification' ? autotuneTokens : autotune)({ ...o, budgetSeconds }, e)
      : task === 'token-classification'
        ? fineTuneTokens
        : fineTune;
  const events = trainEvents(log, quiet);
  const stop = new AbortController();
  const stopOnSignal = onInterrupt(budgetSeconds !== undefined, stop);
  try {
    const results = await trainOrSearch({ ...options, signal: stop.signal }, events.handlers);
    events.done();
    if (results.interrupted) {
      log(`interrupted: checkpoint saved in ${results.output_dir}/checkpoint-last; run the same command with --resume to continue`);
      process.exitCode = 130;
      return;
    }
    if (flags.report) log(`report: ${(await writeReport(results.output_dir, results)).html}`);
    const search = 'autotune' in results ? results.autotune : undefined;
    log(
      search
        ? `done: searched ${search.trials.length} trials in ${search.elapsed_s.toFixed(1)} s; kept trial ${search.best_trial} (trained in ${results.train_runtime_s.toFixed(1)} s); model in ${results.output_dir}`
        : `done in ${results.train_runtime_s.toFixed(1)} s; model in ${results.output_dir}; ${memorySummary()}`,
    );
    if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    stopOnSignal();
  }
}

/**
 * Ctrl-C (or SIGTERM) aborts the run's signal: training stops after its step (a resumable
 * checkpoint, or the best trial so far with --autotune); a second one quits at once. Returns the
 * function that stops listening.
 */
function onInterrupt(search: boolean, stop: AbortController): () => void {
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(
      search
        ? '\nstopping the search after this step; the best trial so far is kept (Ctrl-C again to quit now)\n'
        : '\nstopping after this step and saving a resumable checkpoint (Ctrl-C again to quit now)\n',
    );
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Progress of a run on stderr: a bar per epoch (and per feature pass), a line per evaluation and per trial. */
function trainEvents(log: (m: string) => void, quiet: boolean): { handlers: AutotuneEvents; done(): void } {
  const progress = createProgress({ quiet });
  let barOpen = false;
  let epochFirstStep = 0;
  const handlers: AutotuneEvents = {
    onTrialStart: ({ trial, config, remainingSeconds }) => log(`autotune trial ${trial} (${remainingSeconds.toFixed(0)} s left): ${JSON.stringify(config)}`),
    onTrialEnd: ({ record, best }) =>
      log(
        `autotune trial ${record.trial}: ${record.status}, score ${record.score?.toFixed(4) ?? '—'} in ${record.seconds.toFixed(1)} s; best so far trial ${best?.trial ?? '—'} (${best?.score?.toFixed(4) ?? '—'})`,
      ),
    onLog: log,
    onFeatures: ({ done, total, split }) => {
      if (done <= 64) progress.start(total, `features (${split})`);
      progress.update(done);
      if (done === total) progress.stop();
    },
    onEpochStart: ({ epoch, epochs, stepsInEpoch, firstStep }) => {
      if (barOpen) progress.stop();
      epochFirstStep = firstStep;
      progress.start(stepsInEpoch, `epoch ${epoch + 1}/${epochs}`);
      barOpen = true;
    },
    onStep: ({ step, loss, lr, examplesPerSecond }) => {
      progress.update(step - epochFirstStep, { loss: loss.toFixed(4), lr: lr.toExponential(2), 'ex/s': examplesPerSecond.toFixed(1), ...memoryFields() });
    },
    onEvaluate: ({ entry, improved }) => {
      if (barOpen) progress.stop();
      barOpen = false;
      log(evaluationLine(entry, improved));
    },
  };
  return { handlers, done: () => barOpen && progress.stop() };
}

/** One evaluation as a log line: losses, the headline metrics, the domain objective's numbers. */
function evaluationLine(entry: HistoryEntry, improved: boolean): string {
  const m = Object.entries(entry.eval_metrics ?? {})
    .filter(([k]) => ['accuracy', 'macro_f1', 'micro_f1', 'pearson', 'mse', 'f1', 'token_accuracy'].includes(k))
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
  const domain =
    entry.domain_accuracy !== undefined
      ? `, domain_accuracy ${entry.domain_accuracy.toFixed(3)} (λ ${entry.domain_lambda?.toFixed(2)})`
      : entry.coral_loss !== undefined
        ? `, coral_loss ${entry.coral_loss.toExponential(2)}`
        : '';
  return `epoch ${entry.epoch} step ${entry.step}: train_loss ${entry.train_loss.toFixed(4)}${entry.eval_loss !== undefined ? `, eval_loss ${entry.eval_loss.toFixed(4)}` : ''}${m ? `, ${m}` : ''}${domain}${improved ? ' (best so far, saved)' : ''}`;
}

/** Reader flags the user set explicitly (CLI defaults such as header "auto" do not override a recipe). */
function definedOnly(read: FineTuneOptions['read']): Record<string, unknown> {
  const defaults: Record<string, unknown> = { header: 'auto', encoding: 'auto', labelPosition: 'first', labelLevel: 'fine', onBadRow: 'error' };
  return Object.fromEntries(Object.entries(read ?? {}).filter(([k, v]) => v !== undefined && defaults[k] !== v));
}
