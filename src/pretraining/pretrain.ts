import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig } from '../checkpoint/index.js';
import type { DeviceChoice, OptimizerState } from '../engine/types.js';
import { prepareDevice } from '../engine/select.js';
import { executionProviders } from '../engine/onnx/session.js';
import { OnnxTrainingEngine } from '../engine/onnx/training/onnx-engine.js';
import { BertftError, UsageError } from '../errors.js';
import { initMaskedLmHead, tiedDecoder } from '../heads/masked-lm.js';
import { resolveModelDir } from '../hub/index.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { initBertWeights } from '../models/bert/init.js';
import type { HostTensor } from '../models/host-tensor.js';
import { BertTokenizer } from '../tokenization/index.js';
import { CHECKPOINT_DIR, loadResumeCheckpoint, saveResumeCheckpoint } from '../trainer/checkpoint.js';
import { runTrainingLoop } from '../trainer/loop.js';
import { progressSchedule, uniformSettings } from '../trainer/schedule.js';
import { buildCorpus, type Corpus } from './corpus.js';
import type { MaskingOptions } from './masking.js';
import { MaskedLmObjective, type EvalPoint, type PretrainProgress, type PretrainState } from './objective.js';
import { writePretrainedFolder, type PretrainedOutput } from './output.js';
import { modelPreset, PRETRAIN_DEFAULTS } from './presets.js';
import { trainSkipGram } from './skipgram.js';
import { trimVocabulary } from './vocabulary.js';
import { cappedMaxLength, checkMaxLength } from '../checkpoint/positions.js';
import { checkMaskedLmFamily } from '../pretrained.js';

/**
 * Masked-LM pre-training on onnxruntime: from scratch (`config` + `tokenizer`) or continued from a
 * checkpoint (`model`). A step is one `session.run` of forward, masked-LM loss at the masked
 * positions, backward, clipping and AdamW (the classifier engine's graph with the masked-LM head).
 * The data order and every mask depend only on (seed, step), and checkpoints hold weights,
 * moments and the step, so a run killed at any moment resumes to the same result.
 */

export interface PretrainOptions {
  /** Continue from this folder or Hub id (its masked-LM head when it has one). */
  model?: string;
  /** Start from scratch with this shape: `tiny`, `mini`, `small`, `medium`, or a config.json path. */
  config?: string;
  /** Tokenizer folder for a from-scratch run. */
  tokenizer?: string;
  /**
   * From scratch only: trim the tokenizer's WordPiece vocabulary to this many pieces, the ones the
   * corpus uses most (special tokens and every character kept; vocabulary.ts), written to
   * `<output>/vocab-<N>` and into the output folder's tokenizer files.
   */
  vocabSize?: number;
  /** Unlabelled text: plain files (one document a line) or data files with `textColumn`. */
  text: string[];
  textColumn?: string;
  /** Held-out text for masked-LM loss and accuracy every `evalEvery` steps. */
  evalText?: string[];
  output: string;
  /** Length of the run: steps, tokens (sequence positions) or minutes of wall time; one of them. */
  maxSteps?: number;
  tokens?: number;
  minutes?: number;
  batchSize?: number;
  gradientAccumulation?: number;
  learningRate?: number;
  /** Warm-up as a fraction of the run. */
  warmupRatio?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  maxLength?: number;
  mlmProbability?: number;
  wholeWordMasking?: boolean;
  lineByLine?: boolean;
  /**
   * From scratch only: `skipgram` first trains skip-gram vectors on the corpus (word2vec, one pass
   * by default) and starts the word-piece embeddings from them; `random` is BERT's initialisation.
   */
  embeddingInit?: 'random' | 'skipgram';
  skipgramEpochs?: number;
  /**
   * Keep the word-piece embeddings fixed (and with them the tied decoder; its bias still trains): the
   * encoder learns to predict in the space the embeddings already have, e.g. a model's skip-gram start,
   * which on small data is most of what transfers (docs/pretraining.md).
   */
  freezeWordEmbeddings?: boolean;
  /** Dropout while pre-training (Cramming: off); the saved config keeps the model's fine-tuning dropout. */
  dropout?: number;
  seed?: number;
  evalEvery?: number;
  /** Masked sequences used for each evaluation. */
  evalSequences?: number;
  /** Minutes between resumable checkpoints. */
  saveEveryMinutes?: number;
  /** Also write a loadable model folder under `snapshots/` every this many tokens. */
  snapshotEveryTokens?: number;
  /** Continue from `<output>/checkpoint-last` when it exists (the default). */
  resume?: boolean;
  /** onnxruntime intra-op threads. */
  threads?: number;
  /** cpu (default), webgpu (parameters and moments resident on the GPU, docs/gpu.md), cuda, or auto (webgpu when an adapter is found). */
  device?: DeviceChoice;
  /** Aborting it stops the run after the current step, with a checkpoint to resume from (the CLI aborts on Ctrl-C). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (p: PretrainProgress) => void;
}

export interface PretrainResult {
  output: string;
  state: PretrainState;
  finalLoss: number;
  finalEval?: EvalPoint;
}

interface StartingPoint {
  config: BertConfig;
  raw: RawConfig;
  weights: Map<string, HostTensor>;
  tokenizerDir: string;
  tokenizer: BertTokenizer;
  source: string;
}

async function startingPoint(o: PretrainOptions, seed: number, log: (line: string) => void): Promise<StartingPoint> {
  if (o.model !== undefined && o.config !== undefined) throw new UsageError('give --model (continue pre-training) or --config (from scratch), not both');
  if (o.model !== undefined) {
    const dir = await resolveModelDir(o.model, {});
    const { config, raw } = await readBertConfig(dir);
    checkMaskedLmFamily(config, dir, 'pre-training');
    const loaded = await loadBertWeights(dir, config);
    const head = loaded.mlmHead ?? initMaskedLmHead(config, seed + 1);
    head.delete('cls.predictions.decoder.weight');
    const tokenizer = await BertTokenizer.fromDir(dir);
    return { config, raw, weights: new Map([...loaded.weights, ...head]), tokenizerDir: dir, tokenizer, source: o.model };
  }
  if (o.config === undefined)
    throw new UsageError(
      'give --model DIR|hub-id to continue pre-training, or --config tiny|mini|small|medium|FILE with --tokenizer DIR to start from scratch',
    );
  if (o.tokenizer === undefined) throw new UsageError('--config starts from scratch and needs --tokenizer DIR (a folder with vocab.txt or tokenizer.json)');
  const trimmed =
    o.vocabSize === undefined
      ? undefined
      : await trimVocabulary({
          tokenizer: o.tokenizer,
          text: o.text,
          textColumn: o.textColumn,
          size: o.vocabSize,
          output: join(o.output, `vocab-${o.vocabSize}`),
          log,
        });
  const tokenizerDir = trimmed?.dir ?? o.tokenizer;
  const tokenizer = await BertTokenizer.fromDir(tokenizerDir);
  const preset = await modelPreset(o.config, tokenizer.vocabSize, tokenizer.padId);
  const weights = new Map([...initBertWeights(preset.config, seed, true), ...initMaskedLmHead(preset.config, seed + 1)]);
  const vocab = trimmed ? `, vocabulary of ${o.tokenizer} trimmed to ${tokenizer.vocabSize}` : '';
  return { ...preset, weights, tokenizerDir, tokenizer, source: `random init (${o.config})${vocab}` };
}

function maskingOptions(tokenizer: BertTokenizer, rate: number, wholeWord: boolean, vocabSize: number): MaskingOptions {
  if (tokenizer.maskId === undefined) throw new UsageError('the tokenizer has no [MASK] token, so it cannot be used for masked-LM pre-training');
  if (!(rate > 0 && rate < 1)) throw new UsageError(`--mlm-probability must be in (0, 1), got ${rate}`);
  return {
    rate,
    wholeWord,
    maskId: tokenizer.maskId,
    vocabSize,
    specialIds: new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.maskId]),
    // Words come with the corpus batches (the tokenizer's word ids, corpus.ts), not from the pieces.
  };
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UsageError(`${name} must be a positive number, got ${v}`);
}

/** The run's settings, checked before any file is read. */
function runSettings(o: PretrainOptions) {
  const d = PRETRAIN_DEFAULTS;
  const lengths = [o.maxSteps, o.tokens, o.minutes].filter((v) => v !== undefined).length;
  if (lengths > 1) throw new UsageError('give one of --max-steps, --tokens and --minutes');
  for (const [n, v] of [
    ['--max-steps', o.maxSteps],
    ['--tokens', o.tokens],
    ['--minutes', o.minutes],
    ['--batch-size', o.batchSize],
    ['--learning-rate', o.learningRate],
  ] as const)
    positive(n, v);
  const batchSize = o.batchSize ?? d.batchSize;
  const accumulation = o.gradientAccumulation ?? d.gradientAccumulation;
  if (!Number.isInteger(batchSize) || !Number.isInteger(accumulation) || accumulation < 1 || batchSize % accumulation !== 0) {
    throw new UsageError(`--batch-size (${batchSize}) must be a whole multiple of --gradient-accumulation-steps (${accumulation})`);
  }
  const embeddingInit = o.embeddingInit ?? 'random';
  if (o.vocabSize !== undefined && o.model !== undefined)
    throw new UsageError('--vocab-size builds a new vocabulary for a run from scratch (--config); a model being continued keeps its own');
  if (o.vocabSize !== undefined && !(Number.isInteger(o.vocabSize) && o.vocabSize > 0))
    throw new UsageError(`--vocab-size must be a positive whole number, got ${o.vocabSize}`);
  if (embeddingInit === 'skipgram' && o.model !== undefined)
    throw new UsageError('--embedding-init skipgram starts word-piece embeddings from scratch; it cannot be used with --model');
  return {
    seed: o.seed ?? d.seed,
    batchSize,
    accumulation,
    maxLength: o.maxLength ?? d.maxLength,
    lr: o.learningRate ?? (o.model !== undefined ? d.continueLearningRate : d.learningRate),
    warmup: o.warmupRatio ?? d.warmupRatio,
    weightDecay: o.weightDecay ?? d.weightDecay,
    maxGradNorm: o.maxGradNorm ?? d.maxGradNorm,
    // Dropout off while pre-training (unless asked); the saved config keeps the fine-tuning values.
    dropout: o.dropout ?? d.dropout,
    embeddingInit,
    skipgramEpochs: o.skipgramEpochs ?? 1,
    freezeWordEmbeddings: o.freezeWordEmbeddings === true,
    budgetMs: o.minutes !== undefined ? o.minutes * 60_000 : undefined,
  };
}
type RunSettings = ReturnType<typeof runSettings>;

/**
 * Where a run starts: `<output>/checkpoint-last` when resuming (its settings must match, except
 * the run's length, which may change: the schedule then follows the new length), else step 0.
 */
async function resumePoint(o: PretrainOptions, fingerprint: string, log: (line: string) => void) {
  const cpDir = join(o.output, CHECKPOINT_DIR);
  const cp = (o.resume ?? true) ? await loadResumeCheckpoint<PretrainState>(o.output) : undefined;
  if (!cp) return undefined;
  const settings = (f: string) => {
    const { totalSteps: _s, budgetMs: _b, ...rest } = JSON.parse(f) as Record<string, unknown>;
    return JSON.stringify(rest);
  };
  const lengthOf = (f: string) => {
    const { totalSteps: st, budgetMs: b } = JSON.parse(f) as { totalSteps?: number; budgetMs?: number };
    return b !== undefined ? `${b / 60_000} minutes` : `${st} steps`;
  };
  if (settings(cp.fingerprint) === settings(fingerprint) && lengthOf(cp.fingerprint) !== lengthOf(fingerprint)) {
    log(`the run's length changes from ${lengthOf(cp.fingerprint)} to ${lengthOf(fingerprint)}; the learning-rate schedule follows the new length`);
  } else if (cp.fingerprint !== fingerprint) {
    throw new UsageError(
      `${cpDir} was written by a run with other settings; resume with the same options, or pass --no-resume (or another --output) to start over`,
    );
  }
  log(`resuming from ${cpDir} at step ${cp.state.step} (${cp.state.tokens} tokens)`);
  return cp;
}

/** Word-piece embeddings from skip-gram vectors trained on the corpus (from-scratch runs with --embedding-init skipgram). */
function skipgramEmbeddings(
  weights: Map<string, HostTensor>,
  config: BertConfig,
  corpus: Corpus,
  masking: MaskingOptions,
  r: RunSettings,
  o: PretrainOptions,
  log: (line: string) => void,
) {
  const name = 'embeddings.word_embeddings.weight';
  const table = weights.get(name)!;
  const t0 = performance.now();
  log(`training skip-gram vectors on the corpus (${r.skipgramEpochs} epoch${r.skipgramEpochs === 1 ? '' : 's'}) to start the word-piece embeddings`);
  const data = trainSkipGram(corpus.ids, corpus.offsets, {
    dim: config.hiddenSize,
    vocabSize: config.vocabSize,
    skipIds: masking.specialIds,
    epochs: r.skipgramEpochs,
    seed: r.seed,
    std: config.initializerRange,
    onProgress: () => o.onProgress?.({ step: 0, totalSteps: undefined, tokens: 0, loss: Number.NaN, lr: 0, elapsedMs: 0, fraction: 0 }),
  });
  const H = config.hiddenSize;
  data.fill(0, config.padTokenId * H, (config.padTokenId + 1) * H);
  log(`skip-gram vectors ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return new Map(weights).set(name, { shape: table.shape, data });
}

/** Settings, starting point, masking, corpora, the run's length and its fingerprint: everything checked before training. */
async function prepareRun(o: PretrainOptions, log: (line: string) => void) {
  const settings = runSettings(o);
  const start = await startingPoint(o, settings.seed, log);
  const { tokenizer, config } = start;
  // The default length fits the model's usable positions; a given one must.
  const r = { ...settings, maxLength: o.maxLength === undefined ? cappedMaxLength(config, settings.maxLength) : checkMaxLength(config, settings.maxLength) };
  if (tokenizer.vocabSize > config.vocabSize)
    throw new UsageError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocabSize}`);
  const masking = maskingOptions(tokenizer, o.mlmProbability ?? PRETRAIN_DEFAULTS.mlmProbability, o.wholeWordMasking ?? false, config.vocabSize);

  await mkdir(o.output, { recursive: true });
  log(`reading and tokenizing ${o.text.join(', ')}`);
  const corpusOptions = { textColumn: o.textColumn, lineByLine: o.lineByLine, maxLength: r.maxLength, cacheDir: o.output };
  const corpus = await buildCorpus(o.text, tokenizer, corpusOptions);
  const evalCorpus = o.evalText?.length ? await buildCorpus(o.evalText, tokenizer, corpusOptions) : undefined;
  const seqTokens = corpus.ids.length / corpus.size;
  log(
    `corpus: ${corpus.documents} documents, ${corpus.wordPieces} word pieces, ${corpus.size} sequences of ${o.lineByLine ? 'up to ' : ''}${r.maxLength} tokens${evalCorpus ? `; held out: ${evalCorpus.size} sequences` : ''}`,
  );
  const totalSteps =
    o.maxSteps ??
    (o.tokens !== undefined ? Math.ceil(o.tokens / (r.batchSize * seqTokens)) : o.minutes === undefined ? Math.ceil(corpus.size / r.batchSize) : undefined);
  const { seed, batchSize, accumulation, maxLength, lr, warmup, dropout, embeddingInit, skipgramEpochs, freezeWordEmbeddings, budgetMs } = r;
  const fingerprint = JSON.stringify({
    source: start.source,
    text: o.text,
    maxLength,
    batchSize,
    accumulation,
    lr,
    warmup,
    seed,
    lineByLine: !!o.lineByLine,
    masking: [masking.rate, masking.wholeWord],
    totalSteps,
    budgetMs,
    dropout,
    ...(embeddingInit === 'skipgram' ? { embeddingInit, skipgramEpochs } : {}),
    ...(freezeWordEmbeddings ? { freezeWordEmbeddings } : {}),
  });
  return { r, start, masking, corpus, evalCorpus, totalSteps, fingerprint };
}
type PreparedRun = Awaited<ReturnType<typeof prepareRun>>;

/** What the output folder (and each snapshot) is written from, with pretraining_results.json's hyperparameters. */
function outputOf(p: PreparedRun, o: PretrainOptions): PretrainedOutput {
  const { r, masking } = p;
  return {
    ...p.start,
    corpus: p.corpus,
    evalCorpus: p.evalCorpus,
    text: o.text,
    evalText: o.evalText,
    maxLength: r.maxLength,
    lineByLine: !!o.lineByLine,
    batchSize: r.batchSize,
    minutes: o.minutes,
    hyperparameters: {
      embedding_init: r.embeddingInit,
      skipgram_epochs: r.embeddingInit === 'skipgram' ? r.skipgramEpochs : undefined,
      ...(r.freezeWordEmbeddings ? { freeze_word_embeddings: true } : {}),
      batch_size: r.batchSize,
      gradient_accumulation: r.accumulation,
      learning_rate: r.lr,
      warmup_ratio: r.warmup,
      weight_decay: r.weightDecay,
      max_grad_norm: r.maxGradNorm,
      mlm_probability: masking.rate,
      whole_word_masking: masking.wholeWord,
      dropout: r.dropout,
      seed: r.seed,
      max_steps: p.totalSteps,
      minutes: o.minutes,
    },
  };
}

/** The masked-LM objective of the run, with snapshots under `<output>/snapshots` when asked. */
function objectiveOf(engine: OnnxTrainingEngine, p: PreparedRun, o: PretrainOptions, state: PretrainState, log: (line: string) => void): MaskedLmObjective {
  const { r } = p;
  const out = outputOf(p, o);
  const every = o.snapshotEveryTokens;
  return new MaskedLmObjective({
    engine,
    corpus: p.corpus,
    evalCorpus: p.evalCorpus,
    padId: p.start.tokenizer.padId,
    vocabSize: p.start.config.vocabSize,
    masking: p.masking,
    seed: r.seed,
    batchSize: r.batchSize,
    accumulation: r.accumulation,
    totalSteps: p.totalSteps,
    state,
    log,
    onProgress: o.onProgress,
    evalEvery: o.evalEvery ?? PRETRAIN_DEFAULTS.evalEvery,
    evalSequences: o.evalSequences ?? PRETRAIN_DEFAULTS.evalSequences,
    snapshot:
      every === undefined
        ? undefined
        : {
            everyTokens: every,
            write: async (name) => writePretrainedFolder(join(o.output, 'snapshots', name), false, await engine.weights(), out, state, state.evals.at(-1)),
          },
  });
}

/** Runs (or resumes) a pre-training run; see {@link PretrainOptions}. */
export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const log = o.log ?? (() => undefined);
  // --device auto is decided, and webgpu without an adapter fails, before the corpus is read.
  const device = await prepareDevice('onnxruntime', o.device);
  const p = await prepareRun(o, log);
  const { r, start, fingerprint } = p;
  const resumed = await resumePoint(o, fingerprint, log);
  const state: PretrainState = resumed?.state ?? { step: 0, tokens: 0, elapsedMs: 0, history: [], evals: [], snapshots: [] };
  let weights = resumed?.weights ?? start.weights;
  if (state.step === 0 && r.embeddingInit === 'skipgram') weights = skipgramEmbeddings(weights, start.config, p.corpus, p.masking, r, o, log);

  const engine = await OnnxTrainingEngine.create({
    config: { ...start.config, hiddenDropoutProb: r.dropout, attentionProbsDropoutProb: r.dropout },
    weights,
    objective: { kind: 'masked-lm' },
    // A GPU's execution providers are named here too: the step graphs are written for the first one.
    session:
      device === undefined || device === 'cpu'
        ? o.threads
          ? { threads: o.threads }
          : undefined
        : { threads: o.threads, executionProviders: executionProviders(device) },
    device,
  });
  try {
    engine.setTrainable(new Set([...weights.keys()].filter((n) => !(r.freezeWordEmbeddings && n === tiedDecoder(start.config)))));
    if (resumed) engine.loadOptimizerState({ ...resumed.optimizer, step: state.step } satisfies OptimizerState);
    const objective = objectiveOf(engine, p, o, state, log);
    if (state.step === 0 && p.evalCorpus) {
      const e = (await objective.heldOut())!;
      state.evals.push(e);
      log(`step 0: held-out masked-LM loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}`);
    }
    const schedule = progressSchedule(r.lr, r.warmup);
    const loop = await runTrainingLoop({
      engine,
      objective,
      startStep: state.step,
      totalSteps: p.totalSteps,
      budgetMs: r.budgetMs,
      elapsedMsBefore: state.elapsedMs,
      schedule: (_step, progress) => schedule(progress),
      maxGradNorm: r.maxGradNorm,
      settingsOf: uniformSettings(r.weightDecay),
      diverged: (loss, step) => new BertftError(`masked-LM loss became ${loss} at step ${step}; lower --learning-rate`),
      checkpoint: async () => saveResumeCheckpoint(o.output, { weights: await engine.weights(), optimizer: await engine.optimizerState(), state, fingerprint }),
      checkpointIntervalMs: (o.saveEveryMinutes ?? PRETRAIN_DEFAULTS.saveEveryMinutes) * 60_000,
      stopRequested: () => o.signal?.aborted ?? false,
    });
    if (loop.interrupted) {
      log(`stopped at step ${state.step}; a checkpoint is in ${join(o.output, CHECKPOINT_DIR)}: run the same command again to resume`);
      return { output: o.output, state, finalLoss: objective.finalLoss };
    }
    const finalEval = await objective.heldOut();
    if (finalEval && state.evals.at(-1)?.step !== finalEval.step) state.evals.push(finalEval);
    await writePretrainedFolder(o.output, true, await engine.weights(), outputOf(p, o), state, finalEval);
    log(
      `done: ${state.step} steps, ${(state.tokens / 1e6).toFixed(1)}M tokens in ${(state.elapsedMs / 60000).toFixed(1)} min; train loss ${objective.finalLoss.toFixed(4)}${finalEval ? `, held-out loss ${finalEval.loss.toFixed(4)}, accuracy ${finalEval.accuracy.toFixed(4)}` : ''}`,
    );
    return { output: o.output, state, finalLoss: objective.finalLoss, finalEval };
  } finally {
    engine.dispose();
  }
}

export type { Corpus, EvalPoint, PretrainProgress, PretrainState };
