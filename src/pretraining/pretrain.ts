import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rawFromBertConfig, readBertConfig, replaceDirAtomic, writeConfig, writeFileAtomic, writeSafetensors } from '../checkpoint/index.js';
import { loadBertWeights } from '../checkpoint/index.js';
import { readSafetensors } from '../checkpoint/safetensors.js';
import { writeTokenizerConfig } from '../checkpoint/tokenizer-config.js';
import { Rng } from '../data/random.js';
import { OnnxTrainingEngine } from '../engine/onnx/training/onnx-engine.js';
import { BertftError, UsageError } from '../errors.js';
import { initMaskedLmHead, isMaskedLmParam, maskedLmScores } from '../heads/masked-lm.js';
import { pretrainingLossChart, renderPretrainingReport } from '../report/pretraining.js';
import { resolveModelDir } from '../hub/index.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { initBertWeights } from '../models/bert/init.js';
import type { HostTensor } from '../models/host-tensor.js';
import { BertTokenizer } from '../tokenization/index.js';
import type { OptimizerState } from '../engine/types.js';
import { decays } from '../training/schedule.js';
import { buildCorpus, corpusBatch, type Corpus } from './corpus.js';
import { maskBatch, maskSeed, type MaskingOptions } from './masking.js';
import { trainSkipGram } from './skipgram.js';
import { modelPreset, PRETRAIN_DEFAULTS } from './presets.js';

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
  log?: (line: string) => void;
  onProgress?: (p: PretrainProgress) => void;
}

export interface PretrainProgress {
  step: number;
  totalSteps?: number;
  tokens: number;
  loss: number;
  lr: number;
  elapsedMs: number;
  fraction: number;
}

export interface EvalPoint {
  step: number;
  tokens: number;
  loss: number;
  accuracy: number;
}

export interface PretrainState {
  step: number;
  tokens: number;
  elapsedMs: number;
  history: Array<{ step: number; tokens: number; loss: number; lr: number }>;
  evals: EvalPoint[];
  snapshots: string[];
}

export interface PretrainResult {
  output: string;
  state: PretrainState;
  finalLoss: number;
  finalEval?: EvalPoint;
}

const CHECKPOINT_DIR = 'checkpoint-last';

interface StartingPoint {
  config: BertConfig;
  raw: RawConfig;
  weights: Map<string, HostTensor>;
  tokenizerDir: string;
  tokenizer: BertTokenizer;
  source: string;
}

async function startingPoint(o: PretrainOptions, seed: number): Promise<StartingPoint> {
  if (o.model !== undefined && o.config !== undefined) throw new UsageError('give --model (continue pre-training) or --config (from scratch), not both');
  if (o.model !== undefined) {
    const dir = await resolveModelDir(o.model, {});
    const { config, raw } = await readBertConfig(dir);
    const loaded = await loadBertWeights(dir, config);
    const head = loaded.mlmHead ?? initMaskedLmHead(config, seed + 1);
    head.delete('cls.predictions.decoder.weight');
    const tokenizer = await BertTokenizer.fromDir(dir);
    return { config, raw, weights: new Map([...loaded.weights, ...head]), tokenizerDir: dir, tokenizer, source: o.model };
  }
  if (o.config === undefined) throw new UsageError('give --model DIR|hub-id to continue pre-training, or --config tiny|mini|small|medium|FILE with --tokenizer DIR to start from scratch');
  if (o.tokenizer === undefined) throw new UsageError('--config starts from scratch and needs --tokenizer DIR (a folder with vocab.txt or tokenizer.json)');
  const tokenizer = await BertTokenizer.fromDir(o.tokenizer);
  const preset = await modelPreset(o.config, tokenizer.vocabSize, tokenizer.padId);
  const weights = new Map([...initBertWeights(preset.config, seed, true), ...initMaskedLmHead(preset.config, seed + 1)]);
  return { ...preset, weights, tokenizerDir: o.tokenizer, tokenizer, source: `random init (${o.config})` };
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
    isContinuation: (id) => tokenizer.isContinuation(id),
  };
}

/** The corpus rows of step `step`: consecutive slices of per-epoch permutations seeded by (seed, epoch). */
class BatchOrder {
  private cache = new Map<number, Uint32Array>();
  constructor(
    private readonly size: number,
    private readonly seed: number,
  ) {}

  private permutation(epoch: number): Uint32Array {
    let p = this.cache.get(epoch);
    if (p === undefined) {
      p = new Uint32Array(this.size).map((_, i) => i);
      const rng = new Rng(this.seed * 1000003 + epoch);
      for (let i = p.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const t = p[i]!;
        p[i] = p[j]!;
        p[j] = t;
      }
      this.cache.clear();
      this.cache.set(epoch, p);
    }
    return p;
  }

  rows(start: number, count: number): number[] {
    const out: number[] = [];
    for (let k = start; k < start + count; k++) out.push(this.permutation(Math.floor(k / this.size))[k % this.size]!);
    return out;
  }
}

/** Peak-relative learning rate at progress p ∈ [0, 1]: linear warm-up, then linear decay to 0. */
function scheduleAt(p: number, warmup: number): number {
  if (warmup > 0 && p < warmup) return p / warmup;
  return Math.max(0, (1 - p) / Math.max(1e-9, 1 - warmup));
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UsageError(`${name} must be a positive number, got ${v}`);
}

/** Runs (or resumes) a pre-training run; see {@link PretrainOptions}. */
export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const log = o.log ?? (() => undefined);
  const d = PRETRAIN_DEFAULTS;
  const seed = o.seed ?? d.seed;
  const lengths = [o.maxSteps, o.tokens, o.minutes].filter((v) => v !== undefined).length;
  if (lengths > 1) throw new UsageError('give one of --max-steps, --tokens and --minutes');
  for (const [n, v] of [['--max-steps', o.maxSteps], ['--tokens', o.tokens], ['--minutes', o.minutes], ['--batch-size', o.batchSize], ['--learning-rate', o.learningRate]] as const) positive(n, v);
  const batchSize = o.batchSize ?? d.batchSize;
  const accumulation = o.gradientAccumulation ?? d.gradientAccumulation;
  if (!Number.isInteger(batchSize) || !Number.isInteger(accumulation) || accumulation < 1 || batchSize % accumulation !== 0) {
    throw new UsageError(`--batch-size (${batchSize}) must be a whole multiple of --gradient-accumulation (${accumulation})`);
  }
  const maxLength = o.maxLength ?? d.maxLength;
  const lr = o.learningRate ?? (o.model !== undefined ? d.continueLearningRate : d.learningRate);
  const warmup = o.warmupRatio ?? d.warmupRatio;

  const start = await startingPoint(o, seed);
  const { tokenizer } = start;
  // Dropout off while pre-training (unless asked); the saved config keeps the fine-tuning values.
  const dropout = o.dropout ?? d.dropout;
  const trainConfig: BertConfig = { ...start.config, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout };
  if (maxLength > start.config.maxPositionEmbeddings) throw new UsageError(`--max-length ${maxLength} exceeds the model's ${start.config.maxPositionEmbeddings} positions`);
  if (tokenizer.vocabSize > start.config.vocabSize) throw new UsageError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${start.config.vocabSize}`);
  const masking = maskingOptions(tokenizer, o.mlmProbability ?? d.mlmProbability, o.wholeWordMasking ?? false, start.config.vocabSize);

  await mkdir(o.output, { recursive: true });
  log(`reading and tokenizing ${o.text.join(', ')}`);
  const corpus = await buildCorpus(o.text, tokenizer, { textColumn: o.textColumn, lineByLine: o.lineByLine, maxLength, cacheDir: o.output });
  const evalCorpus = o.evalText?.length ? await buildCorpus(o.evalText, tokenizer, { textColumn: o.textColumn, lineByLine: o.lineByLine, maxLength, cacheDir: o.output }) : undefined;
  const seqTokens = corpus.ids.length / corpus.size;
  log(`corpus: ${corpus.documents} documents, ${corpus.wordPieces} word pieces, ${corpus.size} sequences of ${o.lineByLine ? 'up to ' : ''}${maxLength} tokens${evalCorpus ? `; held out: ${evalCorpus.size} sequences` : ''}`);

  const tokensPerStep = batchSize * seqTokens;
  const totalSteps = o.maxSteps ?? (o.tokens !== undefined ? Math.ceil(o.tokens / tokensPerStep) : o.minutes === undefined ? Math.ceil(corpus.size / batchSize) : undefined);
  const budgetMs = o.minutes !== undefined ? o.minutes * 60_000 : undefined;

  const embeddingInit = o.embeddingInit ?? 'random';
  const skipgramEpochs = o.skipgramEpochs ?? 1;
  if (embeddingInit === 'skipgram' && o.model !== undefined) throw new UsageError('--embedding-init skipgram starts word-piece embeddings from scratch; it cannot be used with --model');
  const fingerprint = JSON.stringify({ source: start.source, text: o.text, maxLength, batchSize, accumulation, lr, warmup, seed, lineByLine: !!o.lineByLine, masking: [masking.rate, masking.wholeWord], totalSteps, budgetMs, dropout, ...(embeddingInit === 'skipgram' ? { embeddingInit, skipgramEpochs } : {}) });
  let weights = start.weights;
  let optimizer: OptimizerState | undefined;
  let state: PretrainState = { step: 0, tokens: 0, elapsedMs: 0, history: [], evals: [], snapshots: [] };
  const cpDir = join(o.output, CHECKPOINT_DIR);
  if ((o.resume ?? true) && existsSync(join(cpDir, 'pretrain_state.json'))) {
    const saved = JSON.parse(await readFile(join(cpDir, 'pretrain_state.json'), 'utf8')) as { fingerprint: string; state: PretrainState };
    // The run's length (steps, tokens, minutes) may change on resume: a run can be extended or cut
    // short, and the schedule then follows the new length. Everything else must match.
    const settings = (f: string) => {
      const { totalSteps: _s, budgetMs: _b, ...rest } = JSON.parse(f) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const lengthOf = (f: string) => {
      const { totalSteps: st, budgetMs: b } = JSON.parse(f) as { totalSteps?: number; budgetMs?: number };
      return b !== undefined ? `${b / 60_000} minutes` : `${st} steps`;
    };
    if (settings(saved.fingerprint) === settings(fingerprint) && lengthOf(saved.fingerprint) !== lengthOf(fingerprint)) {
      log(`the run's length changes from ${lengthOf(saved.fingerprint)} to ${lengthOf(fingerprint)}; the learning-rate schedule follows the new length`);
    } else if (saved.fingerprint !== fingerprint) {
      throw new UsageError(`${cpDir} was written by a run with other settings; resume with the same options, or pass --no-resume (or another --output) to start over`);
    }
    state = saved.state;
    weights = (await readSafetensors(join(cpDir, 'model.safetensors'))).tensors;
    const moments = (await readSafetensors(join(cpDir, 'optimizer.safetensors'))).tensors;
    optimizer = { step: state.step, moments: new Map() };
    for (const [k, t] of moments) if (k.startsWith('m.')) optimizer.moments.set(k.slice(2), { m: t.data, v: moments.get(`v.${k.slice(2)}`)!.data, shape: t.shape });
    log(`resuming from ${cpDir} at step ${state.step} (${state.tokens} tokens)`);
  }

  if (state.step === 0 && embeddingInit === 'skipgram') {
    const name = 'embeddings.word_embeddings.weight';
    const table = weights.get(name)!;
    const t0 = performance.now();
    log(`training skip-gram vectors on the corpus (${skipgramEpochs} epoch${skipgramEpochs === 1 ? '' : 's'}) to start the word-piece embeddings`);
    const data = trainSkipGram(corpus.ids, corpus.offsets, {
      dim: start.config.hiddenSize,
      vocabSize: start.config.vocabSize,
      skipIds: masking.specialIds,
      epochs: skipgramEpochs,
      seed,
      std: start.config.initializerRange,
      onProgress: (done, total) => o.onProgress?.({ step: 0, totalSteps, tokens: 0, loss: Number.NaN, lr: 0, elapsedMs: 0, fraction: (0.0 * done) / total }),
    });
    const H = start.config.hiddenSize;
    data.fill(0, start.config.padTokenId * H, (start.config.padTokenId + 1) * H);
    weights = new Map(weights).set(name, { shape: table.shape, data });
    log(`skip-gram vectors ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  const engine = await OnnxTrainingEngine.create({
    config: trainConfig,
    weights,
    objective: { kind: 'masked-lm' },
    session: o.threads ? { threads: o.threads } : undefined,
  });
  engine.setTrainable(new Set(weights.keys()));
  if (optimizer) engine.loadOptimizerState(optimizer);
  const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? (o.weightDecay ?? d.weightDecay) : 0 });
  const order = new BatchOrder(corpus.size, seed);
  const micro = batchSize / accumulation;

  const evaluate = async (): Promise<EvalPoint | undefined> => {
    if (!evalCorpus) return undefined;
    const n = Math.min(evalCorpus.size, o.evalSequences ?? d.evalSequences);
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    for (let i = 0; i < n; i += 32) {
      const rows = Array.from({ length: Math.min(32, n - i) }, (_, k) => i + k);
      const { tokens, masked } = maskBatch(corpusBatch(evalCorpus, rows, tokenizer.padId), masking, maskSeed(seed, -1, i));
      const logits = await engine.maskedLmLogits({ tokens, targets: new Float32Array(0), masked });
      const s = maskedLmScores(logits, masked.labels, start.config.vocabSize);
      lossSum += s.lossSum;
      correct += s.correct;
      count += s.count;
    }
    return { step: state.step, tokens: state.tokens, loss: lossSum / count, accuracy: correct / count };
  };

  const saveCheckpoint = async () => {
    const w = await engine.weights();
    const opt = await engine.optimizerState();
    await replaceDirAtomic(cpDir, async (tmp) => {
      await writeSafetensors(join(tmp, 'model.safetensors'), w);
      const moments = new Map<string, HostTensor>();
      for (const [name, s] of opt.moments) {
        moments.set(`m.${name}`, { shape: s.shape, data: s.m });
        moments.set(`v.${name}`, { shape: s.shape, data: s.v });
      }
      await writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { step: String(opt.step) });
      await writeFileAtomic(join(tmp, 'pretrain_state.json'), JSON.stringify({ fingerprint, state }) + '\n');
    });
  };

  const results = (finalEval?: EvalPoint) => ({
    source: start.source,
    architecture: { layers: start.config.numHiddenLayers, hidden: start.config.hiddenSize, heads: start.config.numAttentionHeads, intermediate: start.config.intermediateSize, vocab: start.config.vocabSize },
    corpus: { files: o.text, documents: corpus.documents, word_pieces: corpus.wordPieces, sequences: corpus.size, max_length: maxLength, packed: !o.lineByLine },
    eval_corpus: evalCorpus ? { files: o.evalText, sequences: evalCorpus.size } : undefined,
    hyperparameters: { embedding_init: embeddingInit, skipgram_epochs: embeddingInit === 'skipgram' ? skipgramEpochs : undefined, batch_size: batchSize, gradient_accumulation: accumulation, learning_rate: lr, warmup_ratio: warmup, weight_decay: o.weightDecay ?? d.weightDecay, max_grad_norm: o.maxGradNorm ?? d.maxGradNorm, mlm_probability: masking.rate, whole_word_masking: masking.wholeWord, dropout, seed, max_steps: totalSteps, minutes: o.minutes },
    steps: state.step,
    tokens_seen: state.tokens,
    epochs: (state.step * batchSize) / corpus.size,
    elapsed_s: Math.round(state.elapsedMs / 1000),
    final_train_loss: state.history.at(-1)?.loss,
    final_eval: finalEval,
    history: state.history,
    evals: state.evals,
    snapshots: state.snapshots,
  });

  const writeModel = async (dir: string, finalEval?: EvalPoint) => {
    const w = await engine.weights();
    const out = new Map<string, HostTensor>();
    for (const [name, t] of w) out.set(isMaskedLmParam(name) ? name : `bert.${name}`, t);
    await mkdir(dir, { recursive: true });
    await writeSafetensors(join(dir, 'model.safetensors'), out);
    const raw = rawFromBertConfig(start.config, start.raw);
    await writeConfig(dir, { ...raw, architectures: ['BertForMaskedLM'], model_type: 'bert', tie_word_embeddings: true });
    const present = new Set(await readdir(start.tokenizerDir));
    for (const f of ['tokenizer.json', 'vocab.txt', 'special_tokens_map.json']) {
      if (present.has(f) && start.tokenizerDir !== dir) await copyFile(join(start.tokenizerDir, f), join(dir, f));
    }
    // The pre-training length as model_max_length, so transformers.js and Python truncate where bertft did (checkpoint/tokenizer-config.ts).
    await writeTokenizerConfig(start.tokenizerDir, dir, maxLength);
    const r = results(finalEval);
    await writeFileAtomic(join(dir, 'pretraining_results.json'), JSON.stringify(r, null, 2) + '\n');
    if (dir === o.output) {
      await writeFileAtomic(join(dir, 'report.html'), renderPretrainingReport(r));
      await writeFileAtomic(join(dir, 'loss.svg'), pretrainingLossChart(r));
    }
  };

  const evalEvery = o.evalEvery ?? d.evalEvery;
  const saveEveryMs = (o.saveEveryMinutes ?? d.saveEveryMinutes) * 60_000;
  let lastSave = performance.now();
  let lastLoss = Number.NaN;
  const startedAt = performance.now() - state.elapsedMs;
  const elapsed = () => performance.now() - startedAt;
  const fraction = () => (budgetMs !== undefined ? elapsed() / budgetMs : state.step / totalSteps!);
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (state.step === 0 && evalCorpus) {
      const e = await evaluate();
      if (e) {
        state.evals.push(e);
        log(`step 0: held-out masked-LM loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}`);
      }
    }
    while (fraction() < 1 && !stopRequested) {
      const p = fraction();
      const stepLr = lr * scheduleAt(p, warmup);
      const microBatches = [];
      for (let m = 0; m < accumulation; m++) {
        const rows = order.rows(state.step * batchSize + m * micro, micro);
        const { tokens, masked } = maskBatch(corpusBatch(corpus, rows, tokenizer.padId), masking, maskSeed(seed, state.step, m));
        microBatches.push({ tokens, targets: new Float32Array(0), masked });
      }
      lastLoss = await engine.trainStep(microBatches, { lr: stepLr, maxGradNorm: o.maxGradNorm ?? d.maxGradNorm, settingsOf, dropoutSeed: maskSeed(seed, state.step, 99) });
      if (!Number.isFinite(lastLoss)) throw new BertftError(`masked-LM loss became ${lastLoss} at step ${state.step + 1}; lower --learning-rate`);
      const before = state.tokens;
      state.step += 1;
      // Real tokens, not padding: the same unit as --tokens (line-by-line batches are padded).
      state.tokens += microBatches.reduce((s, b) => s + b.tokens.attentionMask.reduce((a, m) => a + m, 0), 0);
      state.elapsedMs = elapsed();
      if (state.step % 10 === 0 || state.step === 1) state.history.push({ step: state.step, tokens: state.tokens, loss: lastLoss, lr: stepLr });
      o.onProgress?.({ step: state.step, totalSteps, tokens: state.tokens, loss: lastLoss, lr: stepLr, elapsedMs: state.elapsedMs, fraction: fraction() });
      if (evalCorpus && state.step % evalEvery === 0) {
        const e = (await evaluate())!;
        state.evals.push(e);
        log(`step ${state.step} (${(state.tokens / 1e6).toFixed(1)}M tokens): train loss ${lastLoss.toFixed(4)}, held-out loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}`);
      }
      const every = o.snapshotEveryTokens;
      if (every !== undefined && Math.floor(state.tokens / every) > Math.floor(before / every)) {
        const name = `tokens-${Math.round(state.tokens / 1e6)}M`;
        await writeModel(join(o.output, 'snapshots', name), state.evals.at(-1));
        state.snapshots.push(name);
      }
      if (performance.now() - lastSave >= saveEveryMs) {
        await saveCheckpoint();
        lastSave = performance.now();
      }
    }
    await saveCheckpoint();
    if (stopRequested) {
      log(`stopped at step ${state.step}; a checkpoint is in ${cpDir}: run the same command again to resume`);
      return { output: o.output, state, finalLoss: lastLoss };
    }
    const finalEval = await evaluate();
    if (finalEval && state.evals.at(-1)?.step !== finalEval.step) state.evals.push(finalEval);
    await writeModel(o.output, finalEval);
    log(`done: ${state.step} steps, ${(state.tokens / 1e6).toFixed(1)}M tokens in ${(state.elapsedMs / 60000).toFixed(1)} min; train loss ${lastLoss.toFixed(4)}${finalEval ? `, held-out loss ${finalEval.loss.toFixed(4)}, accuracy ${finalEval.accuracy.toFixed(4)}` : ''}`);
    return { output: o.output, state, finalLoss: lastLoss, finalEval };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    engine.dispose();
  }
}

export type { Corpus };
