import type { Command } from 'commander';
import { addDeprecatedAlias } from '../aliases.js';
import { MODEL_PRESETS, PRETRAIN_DEFAULTS } from '../../pretraining/presets.js';
import { pretrain, type PretrainOptions } from '../../pretraining/pretrain.js';
import { UsageError } from '../../errors.js';
import { memoryFields, memorySummary } from '../../engine/memory.js';
import { DEVICE_CHOICES } from '../../engine/types.js';
import { parseChoice, parseDevice, parsePositiveInt } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';

interface PretrainCliOptions {
  model?: string;
  config?: string;
  tokenizer?: string;
  vocabSize?: string;
  text: string[];
  textColumn?: string;
  evalText?: string[];
  output: string;
  maxSteps?: string;
  tokens?: string;
  minutes?: string;
  batchSize: string;
  gradientAccumulationSteps: string;
  learningRate?: string;
  warmupRatio: string;
  weightDecay: string;
  maxLength?: string;
  mlmProbability: string;
  wholeWordMasking?: boolean;
  lineByLine?: boolean;
  dropout: string;
  embeddingInit: string;
  skipgramEpochs: string;
  freezeWordEmbeddings?: boolean;
  seed: string;
  evalEvery: string;
  saveEvery: string;
  snapshotEvery?: string;
  threads?: string;
  device: string;
  resume: boolean;
  quiet?: boolean;
}

/** A number with an optional k/M/B suffix ("200M" tokens). */
function parseAmount(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMbBgG]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a positive number such as 5000 or 200M, got "${value}"`);
  const scale = { '': 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'b' | 'g'];
  const n = Number(m[1]) * scale;
  if (!(n > 0)) throw new UsageError(`${flag} must be positive, got "${value}"`);
  return Math.round(n);
}

function parseNumber(flag: string, value: string, ok: (v: number) => boolean, want: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag} must be ${want}, got "${value}"`);
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The library's options from the command line's (everything but the run's events). */
function pretrainOptionsFrom(opts: PretrainCliOptions): Omit<PretrainOptions, 'signal' | 'log' | 'onProgress'> {
  return {
    model: opts.model,
    config: opts.config,
    tokenizer: opts.tokenizer,
    vocabSize: opts.vocabSize === undefined ? undefined : parsePositiveInt('--vocab-size', opts.vocabSize),
    text: opts.text,
    textColumn: opts.textColumn,
    evalText: opts.evalText,
    output: opts.output,
    maxSteps: opts.maxSteps === undefined ? undefined : parsePositiveInt('--max-steps', opts.maxSteps),
    tokens: opts.tokens === undefined ? undefined : parseAmount('--tokens', opts.tokens),
    minutes: opts.minutes === undefined ? undefined : parseNumber('--minutes', opts.minutes, (v) => v > 0, 'a positive number'),
    batchSize: parsePositiveInt('--batch-size', opts.batchSize),
    gradientAccumulation: parsePositiveInt('--gradient-accumulation-steps', opts.gradientAccumulationSteps),
    learningRate: opts.learningRate === undefined ? undefined : parseNumber('--learning-rate', opts.learningRate, (v) => v > 0, 'a positive number'),
    warmupRatio: parseNumber('--warmup-ratio', opts.warmupRatio, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    weightDecay: parseNumber('--weight-decay', opts.weightDecay, (v) => v >= 0, 'at least 0'),
    maxLength: opts.maxLength === undefined ? undefined : parsePositiveInt('--max-length', opts.maxLength),
    mlmProbability: parseNumber('--mlm-probability', opts.mlmProbability, (v) => v > 0 && v < 1, 'in (0, 1)'),
    wholeWordMasking: opts.wholeWordMasking,
    lineByLine: opts.lineByLine,
    embeddingInit: parseChoice('--embedding-init', opts.embeddingInit, ['random', 'skipgram'] as const),
    skipgramEpochs: parseNumber('--skipgram-epochs', opts.skipgramEpochs, (v) => v > 0, 'a positive number'),
    freezeWordEmbeddings: opts.freezeWordEmbeddings === true,
    dropout: parseNumber('--dropout', opts.dropout, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    seed: parseNumber('--seed', opts.seed, Number.isInteger, 'a whole number'),
    evalEvery: parsePositiveInt('--eval-every', opts.evalEvery),
    saveEveryMinutes: parseNumber('--save-every', opts.saveEvery, (v) => v > 0, 'a positive number of minutes'),
    snapshotEveryTokens: opts.snapshotEvery === undefined ? undefined : parseAmount('--snapshot-every', opts.snapshotEvery),
    threads: opts.threads === undefined ? undefined : parsePositiveInt('--threads', opts.threads),
    device: parseDevice(opts.device),
    resume: opts.resume,
  };
}

export function registerPretrain(program: Command): void {
  const d = PRETRAIN_DEFAULTS;
  const command = program
    .command('pretrain')
    .description('pre-train a BERT encoder with masked LM: from scratch, or continued on your own unlabelled text')
    .option('-m, --model <dir|hub-id>', 'continue pre-training this model (domain-adaptive pre-training)')
    .option('--config <shape>', `start from scratch: ${Object.keys(MODEL_PRESETS).join(', ')} or a config.json`)
    .option('--tokenizer <dir>', 'tokenizer folder (vocab.txt or tokenizer.json) for --config')
    .option('--vocab-size <n>', "with --config: trim the tokenizer's WordPiece vocabulary to the n pieces the corpus uses most (all characters kept)")
    .requiredOption('--text <file>', 'unlabelled text: one document a line, or CSV/TSV/JSONL with --text-column (repeatable)', collect)
    .option('--text-column <name>', 'column or JSON field holding the text in data files')
    .option('--eval-text <file>', 'held-out text: masked-LM loss and accuracy every --eval-every steps (repeatable)', collect)
    .option('-o, --output <dir>', 'output folder (Hugging Face BertForMaskedLM)', 'bertft-pretrained')
    .option('--max-steps <n>', 'optimiser steps')
    .option('--tokens <n>', 'token positions to train on, e.g. 50M (sets the number of steps)')
    .option('--minutes <n>', 'wall-time budget; the learning-rate schedule follows the time')
    .option('--batch-size <n>', 'sequences per optimiser step', String(d.batchSize))
    .option('--gradient-accumulation-steps <n>', 'micro-batches per optimiser step (--batch-size must divide evenly)', String(d.gradientAccumulation))
    .option('--learning-rate <lr>', `peak learning rate (default ${d.learningRate} from scratch, ${d.continueLearningRate} when continuing)`)
    .option('--warmup-ratio <r>', 'share of the run spent warming up', String(d.warmupRatio))
    .option('--weight-decay <wd>', 'AdamW weight decay (not on biases and LayerNorm)', String(d.weightDecay))
    .option('--max-length <n>', `tokens per sequence, [CLS] and [SEP] included (default ${d.maxLength}, capped by the model)`)
    .option('--mlm-probability <p>', 'share of tokens selected for prediction (80% [MASK], 10% random, 10% kept)', String(d.mlmProbability))
    .option('--whole-word-masking', 'select whole words (a word and its ## pieces) together')
    .option('--line-by-line', 'one sequence per line instead of packing texts into full blocks')
    .option('--embedding-init <how>', 'from scratch: random (BERT init) or skipgram (word2vec vectors trained on the corpus first)', 'random')
    .option('--skipgram-epochs <n>', 'passes of skip-gram over the corpus for --embedding-init skipgram (fractions cover part of it)', '1')
    .option('--freeze-word-embeddings', 'keep the word-piece embeddings (and the tied decoder) fixed: the encoder learns around them')
    .option('--dropout <p>', 'dropout while pre-training (off by default, as in Cramming); the saved config keeps 0.1', String(d.dropout))
    .option('--seed <n>', 'seed of initialisation, data order and masks', String(d.seed))
    .option('--eval-every <n>', 'steps between held-out evaluations', String(d.evalEvery))
    .option('--save-every <minutes>', 'minutes between resumable checkpoints', String(d.saveEveryMinutes))
    .option('--snapshot-every <tokens>', 'also save a loadable model under snapshots/ every N tokens, e.g. 10M')
    .option('--threads <n>', 'onnxruntime threads (default: all cores)')
    .option(
      '--device <d>',
      `${DEVICE_CHOICES.join(', ')}: webgpu keeps parameters and moments on the GPU (a Vulkan driver, docs/gpu.md); auto: webgpu when an adapter is found, else cpu`,
      'cpu',
    )
    .option('--no-resume', 'start over even if the output folder has a checkpoint')
    .option('-q, --quiet', 'no progress output');
  addDeprecatedAlias(command, '--gradient-accumulation', '--gradient-accumulation-steps');
  command
    .addHelpText(
      'after',
      `
A run writes <output>/checkpoint-last every --save-every minutes; killed at any moment (even with
SIGKILL), the same command resumes where it stopped and ends with the same result.

Examples:
  $ bertft pretrain --config tiny --tokenizer ./vocab-folder --text corpus.txt --minutes 60
  $ bertft pretrain --model ./my-bert --text support-tickets.csv --text-column body --tokens 20M
`,
    )
    .action(
      action(async (opts: PretrainCliOptions) => {
        const progress = createProgress({ quiet: opts.quiet });
        const log = opts.quiet ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
        let started = false;
        // Ctrl-C (or SIGTERM) stops after the current step with a checkpoint; a second one quits at once.
        const stop = new AbortController();
        const onSignal = () => {
          if (stop.signal.aborted) process.exit(130);
          process.stderr.write('\nstopping after this step and saving a resumable checkpoint (Ctrl-C again to quit now)\n');
          stop.abort();
        };
        process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
        const result = await pretrain({
          ...pretrainOptionsFrom(opts),
          signal: stop.signal,
          log,
          onProgress: (p) => {
            if (!started) {
              progress.start(1000, 'pretrain');
              started = true;
            }
            progress.update(Math.min(1000, Math.round(p.fraction * 1000)), {
              step: p.step,
              tokens: `${(p.tokens / 1e6).toFixed(1)}M`,
              loss: p.loss.toFixed(3),
              ...memoryFields(),
            });
          },
        }).finally(() => process.off('SIGINT', onSignal).off('SIGTERM', onSignal));
        if (started) progress.stop();
        log(`memory: ${memorySummary()}`);
        process.stdout.write(
          `${JSON.stringify({ output: result.output, steps: result.state.step, tokens: result.state.tokens, train_loss: result.finalLoss, eval: result.finalEval })}\n`,
        );
      }),
    );
}
