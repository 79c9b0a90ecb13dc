/**
 * Token-classification training-step throughput, bertft (onnxruntime) vs PyTorch's
 * `BertForTokenClassification` (bench/speed/torch/bert_bench.py `train-throughput --task token`).
 * bench/speed/run.ts prints the rows; this file holds the pieces:
 *
 *   - tokenBatch: one synthetic batch of B × S random ids in [1000, 30000) framed by [CLS]/[SEP]
 *     (bert-base-uncased ids), ~70 % of the other positions labelled with a random label in
 *     [0, numLabels) from a fixed seed and the rest -100 (as run_ner.py labels every word's first
 *     piece and ignores the others); built as the trainer builds its batches (labelledBatch's layout:
 *     flat positions b·S + s, label ids, m·C + label, empty targets);
 *   - writeTokenBatch: the same ids and per-token labels as JSON, so PyTorch trains on exactly the
 *     same ids and labelled positions (same labelled count, same loss work);
 *   - bertftTokenThroughput: OnnxTrainingEngine with `objective: { kind: 'token-classification' }`, set
 *     up as fineTuneTokens does it from random init (encoder without pooler + the family's token head,
 *     dropout as configured, AdamW with decay off for biases and LayerNorm, gradient clipping at 1).
 *
 * Both sides time the optimiser step only (forward, head on every token, loss over the labelled
 * tokens, backward, clipping, AdamW), the same batch every step, as the sequence-classification
 * rows do; median step after the warm-up steps. Examples/s = batch ÷ median step time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng } from '../../src/data/random.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { TrainBatch } from '../../src/engine/types.js';
import { flatTargetIndex } from '../../src/heads/masked-lm.js';
import { IGNORED_LABEL, initTokenClassifierHead } from '../../src/heads/token-classification.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { decays } from '../../src/trainer/schedule.js';

/** bert-base-uncased's special ids. */
const CLS = 101;
const SEP = 102;

/** A synthetic token-classification batch and its per-token labels (-100 = ignored). */
export interface TokenBench {
  batch: TrainBatch;
  /** Label per token, B·S, IGNORED_LABEL where the loss ignores it (what PyTorch gets). */
  tokenLabels: Int32Array;
  numLabels: number;
}

/** One B × S batch: random ids, `rate` of the non-special positions labelled at random (seeded). */
export function tokenBatch(B: number, S: number, numLabels: number, seed = 0, rate = 0.7): TokenBench {
  const rng = new Rng(seed + 7);
  const inputIds = new Int32Array(B * S);
  const tokenLabels = new Int32Array(B * S).fill(IGNORED_LABEL);
  const positions: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < inputIds.length; i++) {
    const s = i % S;
    const special = s === 0 || s === S - 1;
    inputIds[i] = s === 0 ? CLS : s === S - 1 ? SEP : 1000 + rng.int(29000);
    if (!special && rng.next() < rate) {
      tokenLabels[i] = rng.int(numLabels);
      positions.push(i);
      labels.push(tokenLabels[i]!);
    }
  }
  const tokens = { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
  const masked = { positions: Int32Array.from(positions), labels: Int32Array.from(labels), targetIndex: flatTargetIndex(labels, numLabels) };
  return { batch: { tokens, targets: new Float32Array(0), masked }, tokenLabels, numLabels };
}

/** Writes the batch for bert_bench.py `train-throughput --task token --token-batch FILE`. */
export function writeTokenBatch(bench: TokenBench, file: string): void {
  const t = bench.batch.tokens;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({
      batch: t.batchSize,
      seq: t.seqLength,
      num_labels: bench.numLabels,
      input_ids: Array.from(t.inputIds),
      labels: Array.from(bench.tokenLabels),
    }),
  );
}

export interface TokenThroughput {
  examplesPerS: number;
  msPerStep: number;
  msPerStepMin: number;
  labelledPerStep: number;
  firstLoss: number;
  finalLoss: number;
}

/**
 * bertft's token-classification step on onnxruntime: `warmup` untimed steps (graph build, session,
 * buffers), then `steps` timed ones on the same batch; the median step, as bert_bench.py measures.
 */
export async function bertftTokenThroughput(
  cfg: BertConfig,
  bench: TokenBench,
  options: { warmup: number; steps: number; threads: number; lr?: number; seed?: number },
): Promise<TokenThroughput> {
  const seed = options.seed ?? 0;
  // As fineTuneTokens from random init: the encoder without a pooler (add_pooling_layer=False) and a fresh token head.
  const weights = new Map([...initBertWeights(cfg, seed + 1, false), ...initTokenClassifierHead(cfg, bench.numLabels, seed + 2)]);
  const engine = await OnnxTrainingEngine.create({
    config: cfg,
    weights,
    objective: { kind: 'token-classification', numLabels: bench.numLabels },
    session: { threads: options.threads },
  });
  try {
    engine.setTrainable(new Set(weights.keys()));
    const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? 0.01 : 0 });
    const stepOptions = (i: number) => ({ lr: options.lr ?? 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i });
    const losses: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      losses.push(await engine.trainStep([bench.batch], stepOptions(i)));
      if (i >= options.warmup) times.push(performance.now() - t0);
    }
    if (times.length === 0) throw new Error('bertftTokenThroughput: no timed step');
    const median = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
    return {
      examplesPerS: bench.batch.tokens.batchSize / (median / 1000),
      msPerStep: median,
      msPerStepMin: Math.min(...times),
      labelledPerStep: bench.batch.masked!.positions.length,
      firstLoss: losses[0]!,
      finalLoss: losses.at(-1)!,
    };
  } finally {
    engine.dispose();
  }
}
