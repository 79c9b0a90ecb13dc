/**
 * Masked-LM pre-training throughput, bertft (onnxruntime) vs an equivalent PyTorch loop
 * (bench/speed/torch/bert_bench.py `mlm`). bench/speed/run.ts prints the rows; this file holds the pieces:
 *
 *   - mlmBatches: random ids in [1000, 30000) framed by [CLS]/[SEP] (bert-base-uncased ids), masked by
 *     bertft's own maskBatch (15% of tokens, 80/10/10), one fresh batch per warm-up and timed step;
 *   - writeMlmBatches: the same batches as JSON, so PyTorch trains on exactly the same ids and masked
 *     positions (same masked count per step, so the same decoder work);
 *   - bertftMlmThroughput: OnnxTrainingEngine with objective masked-lm, set up as `bertft pretrain`
 *     does it (initBertWeights + initMaskedLmHead, dropout 0, AdamW with decay off for biases and
 *     LayerNorm, gradient clipping at 1).
 *
 * Both sides time the optimiser step only (forward, loss at the masked rows, backward, clipping,
 * AdamW); masking is done before timing. Tokens/s = batch × sequence length ÷ median step time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng } from '../../src/data/random.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { TrainBatch } from '../../src/engine/types.js';
import { initMaskedLmHead } from '../../src/heads/masked-lm.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { maskBatch, maskSeed, type MaskingOptions } from '../../src/pretraining/masking.js';
import { decays } from '../../src/trainer/schedule.js';

/** bert-base-uncased's special ids. */
const PAD = 0;
const CLS = 101;
const SEP = 102;
const MASK = 103;

/** `count` masked batches of B × S: bertft's masking of random ids, as `bertft pretrain` masks its corpus rows. */
export function mlmBatches(cfg: BertConfig, B: number, S: number, count: number, seed = 0, rate = 0.15): TrainBatch[] {
  const masking: MaskingOptions = { rate, wholeWord: false, maskId: MASK, vocabSize: cfg.vocabSize, specialIds: new Set([PAD, CLS, SEP, MASK]) };
  const rng = new Rng(seed + 1);
  const out: TrainBatch[] = [];
  for (let step = 0; step < count; step++) {
    const inputIds = new Int32Array(B * S);
    for (let i = 0; i < inputIds.length; i++) {
      const s = i % S;
      inputIds[i] = s === 0 ? CLS : s === S - 1 ? SEP : 1000 + rng.int(29000);
    }
    const batch = { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
    const { tokens, masked } = maskBatch(batch, masking, maskSeed(seed, step, 0));
    out.push({ tokens, targets: new Float32Array(0), masked });
  }
  return out;
}

/** Writes batches for bert_bench.py `mlm --mlm-batches FILE`. */
export function writeMlmBatches(batches: readonly TrainBatch[], file: string): void {
  const t = batches[0]!.tokens;
  const steps = batches.map((b) => ({
    input_ids: Array.from(b.tokens.inputIds),
    positions: Array.from(b.masked!.positions),
    labels: Array.from(b.masked!.labels),
  }));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ batch: t.batchSize, seq: t.seqLength, steps }));
}

export interface MlmThroughput {
  tokensPerS: number;
  msPerStep: number;
  msPerStepMin: number;
  maskedPerStep: number;
  firstLoss: number;
  finalLoss: number;
}

/**
 * bertft's masked-LM step on onnxruntime: `warmup` untimed steps (graph build, session, buffers),
 * then one timed step per remaining batch; the median step, as bench/speed/run.ts and bert_bench.py measure.
 */
export async function bertftMlmThroughput(
  cfg: BertConfig,
  batches: readonly TrainBatch[],
  options: { warmup: number; threads: number; lr?: number; seed?: number },
): Promise<MlmThroughput> {
  const seed = options.seed ?? 0;
  // As pretrain(): random encoder (with pooler, unused by the masked-LM graph) + a fresh head, dropout off.
  const weights = new Map([...initBertWeights(cfg, seed, true), ...initMaskedLmHead(cfg, seed + 1)]);
  const engine = await OnnxTrainingEngine.create({
    config: { ...cfg, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 },
    weights,
    objective: { kind: 'masked-lm' },
    session: { threads: options.threads },
  });
  try {
    engine.setTrainable(new Set(weights.keys()));
    const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? 0.01 : 0 });
    const stepOptions = (i: number) => ({ lr: options.lr ?? 1e-3, maxGradNorm: 1, settingsOf, dropoutSeed: i });
    const losses: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < batches.length; i++) {
      const t0 = performance.now();
      losses.push(await engine.trainStep([batches[i]!], stepOptions(i)));
      if (i >= options.warmup) times.push(performance.now() - t0);
    }
    if (times.length === 0) throw new Error(`bertftMlmThroughput: ${batches.length} batches leave no timed step after ${options.warmup} warm-ups`);
    const median = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
    const timed = batches.slice(options.warmup);
    const t = batches[0]!.tokens;
    return {
      tokensPerS: (t.batchSize * t.seqLength) / (median / 1000),
      msPerStep: median,
      msPerStepMin: Math.min(...times),
      maskedPerStep: timed.reduce((s, b) => s + b.masked!.positions.length, 0) / timed.length,
      firstLoss: losses[0]!,
      finalLoss: losses.at(-1)!,
    };
  } finally {
    engine.dispose();
  }
}
