import { Rng } from '../data/random.js';
import type { TrainingEngine, TrainBatch } from '../engine/types.js';
import { maskedLmScores } from '../heads/masked-lm.js';
import type { Objective, StepDone } from '../trainer/loop.js';
import { corpusBatch, type Corpus } from './corpus.js';
import { maskBatch, maskSeed, type MaskingOptions } from './masking.js';

/** A held-out evaluation of the masked LM. */
export interface EvalPoint {
  step: number;
  tokens: number;
  loss: number;
  accuracy: number;
}

/** The loop state of a pre-training run (what its checkpoint saves beside weights and moments). */
export interface PretrainState {
  step: number;
  tokens: number;
  elapsedMs: number;
  history: Array<{ step: number; tokens: number; loss: number; lr: number }>;
  evals: EvalPoint[];
  snapshots: string[];
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

/** An engine that also gives masked-LM logits [masked_count, V] for evaluation (the onnxruntime engine). */
export type MaskedLmEngine = TrainingEngine & { maskedLmLogits(batch: TrainBatch): Promise<Float32Array> };

export interface MaskedLmSetup {
  engine: MaskedLmEngine;
  corpus: Corpus;
  evalCorpus?: Corpus;
  padId: number;
  vocabSize: number;
  masking: MaskingOptions;
  seed: number;
  /** Sequences per optimiser step, in `accumulation` equal micro-batches. */
  batchSize: number;
  accumulation: number;
  evalEvery: number;
  /** Masked sequences each evaluation uses. */
  evalSequences: number;
  totalSteps?: number;
  /** The loop state, updated in place. */
  state: PretrainState;
  log(line: string): void;
  onProgress?(p: PretrainProgress): void;
  /** Writes a loadable model folder every so many tokens (returns its name), if asked. */
  snapshot?: { everyTokens: number; write(name: string): Promise<void> };
}

/**
 * Masked-LM pre-training: consecutive slices of per-epoch permutations of the corpus, masked with
 * masks fixed by (seed, step, micro-batch); held-out loss and accuracy every `evalEvery` steps.
 */
export class MaskedLmObjective implements Objective {
  private readonly order: BatchOrder;
  private tokensBefore = 0;
  private lastLoss = Number.NaN;

  constructor(private readonly s: MaskedLmSetup) {
    this.order = new BatchOrder(s.corpus.size, s.seed);
  }

  batches(step: number): TrainBatch[] {
    const { corpus, padId, masking, seed, batchSize, accumulation } = this.s;
    const micro = batchSize / accumulation;
    const out: TrainBatch[] = [];
    for (let m = 0; m < accumulation; m++) {
      const rows = this.order.rows(step * batchSize + m * micro, micro);
      const { tokens, masked } = maskBatch(corpusBatch(corpus, rows, padId), masking, maskSeed(seed, step, m));
      out.push({ tokens, targets: new Float32Array(0), masked });
    }
    return out;
  }

  stepOptions(step: number): { dropoutSeed: number } {
    return { dropoutSeed: maskSeed(this.s.seed, step, 99) };
  }

  endStep(done: StepDone): void {
    const { state } = this.s;
    this.tokensBefore = state.tokens;
    this.lastLoss = done.loss;
    state.step = done.step;
    // Real tokens, not padding: the same unit as --tokens (line-by-line batches are padded).
    state.tokens += done.batches.reduce((s, b) => s + b.tokens.attentionMask.reduce((a, m) => a + m, 0), 0);
    state.elapsedMs = done.elapsedMs;
    if (state.step % 10 === 0 || state.step === 1) state.history.push({ step: state.step, tokens: state.tokens, loss: done.loss, lr: done.lr });
    this.s.onProgress?.({
      step: state.step,
      totalSteps: this.s.totalSteps,
      tokens: state.tokens,
      loss: done.loss,
      lr: done.lr,
      elapsedMs: state.elapsedMs,
      fraction: done.progress,
    });
  }

  evaluationDue(step: number): boolean {
    return this.s.evalCorpus !== undefined && step % this.s.evalEvery === 0;
  }

  async evaluate(): Promise<boolean> {
    const { state } = this.s;
    const e = (await this.heldOut())!;
    state.evals.push(e);
    this.s.log(
      `step ${state.step} (${(state.tokens / 1e6).toFixed(1)}M tokens): train loss ${this.lastLoss.toFixed(4)}, held-out loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}`,
    );
    return false;
  }

  async afterEvaluation(): Promise<void> {
    const { state, snapshot } = this.s;
    if (snapshot === undefined || Math.floor(state.tokens / snapshot.everyTokens) <= Math.floor(this.tokensBefore / snapshot.everyTokens)) return;
    const name = `tokens-${Math.round(state.tokens / 1e6)}M`;
    await snapshot.write(name);
    state.snapshots.push(name);
  }

  /** The loss of the last step (NaN before the first). */
  get finalLoss(): number {
    return this.lastLoss;
  }

  /** Masked-LM loss and accuracy on the held-out corpus with the current weights (undefined without one). */
  async heldOut(): Promise<EvalPoint | undefined> {
    const { evalCorpus, state, padId, masking, seed, engine, vocabSize } = this.s;
    if (!evalCorpus) return undefined;
    const n = Math.min(evalCorpus.size, this.s.evalSequences);
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    for (let i = 0; i < n; i += 32) {
      const rows = Array.from({ length: Math.min(32, n - i) }, (_, k) => i + k);
      const { tokens, masked } = maskBatch(corpusBatch(evalCorpus, rows, padId), masking, maskSeed(seed, -1, i));
      const logits = await engine.maskedLmLogits({ tokens, targets: new Float32Array(0), masked });
      const sc = maskedLmScores(logits, masked.labels, vocabSize);
      lossSum += sc.lossSum;
      correct += sc.correct;
      count += sc.count;
    }
    return { step: state.step, tokens: state.tokens, loss: lossSum / count, accuracy: correct / count };
  }
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
