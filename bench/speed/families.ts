/**
 * DistilBERT-base and ModernBERT-base shapes, bertft (onnxruntime) vs PyTorch (bench/speed/torch/bert_bench.py
 * `--shape distilbert-base|modernbert-base`): a sequence-classification training step and a batch forward
 * (inference, no gradients), random weights. bench/speed/run.ts prints the rows (`--family-shapes`); this
 * file holds the pieces:
 *
 *   - FAMILY_SHAPES: each shape as its family's published config.json (the family's own keys, read by
 *     bertConfigFromRaw as any checkpoint's), dropout rates included: DistilBERT 0.1 (attention 0.1,
 *     seq_classif_dropout 0.2), ModernBERT 0 everywhere; the head's pooling is the family's
 *     (familyPooling: DistilBERT's first token, ModernBERT's classifier_pooling, here mean);
 *   - familyBatch / writeFamilyBatch: one B × S batch of ids in [1000, 30000) framed by [CLS]/[SEP] and
 *     B labels from a fixed seed, written for bert_bench.py `--ids-batch`, so both sides run the same ids
 *     (and so the same word-embedding rows);
 *   - bertftFamilyTrain: OnnxTrainingEngine with the classification objective, set up as fine-tuning
 *     from random init (encoder + the family's head, AdamW with decay off for biases and LayerNorm,
 *     clipping at 1), `warmup` untimed steps then the median of `steps` timed ones;
 *   - bertftFamilyInfer: the forward runner with the family's head (logits [B, 2], as PyTorch's model
 *     forward under no_grad), median of `steps` runs after `warmup`.
 *
 * PyTorch's side is not transformers' classes (Debian ships no python3-transformers): bert_bench.py
 * re-implements DistilBertForSequenceClassification and ModernBertForSequenceClassification to do the
 * same work as bertft's models (docs/benchmarks.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { familyPooling } from '../../src/checkpoint/classifier-config.js';
import { bertConfigFromRaw } from '../../src/checkpoint/config.js';
import { Rng } from '../../src/data/random.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { TrainBatch } from '../../src/engine/types.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import { createForwardRunner } from '../../src/inference/forward.js';
import type { Pooling } from '../../src/models/bert/bert.js';
import type { BertConfig, RawConfig } from '../../src/models/bert/config.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { decays } from '../../src/trainer/schedule.js';

export type FamilyShapeName = 'distilbert-base' | 'modernbert-base';

/** The published base configs (distilbert-base-uncased, answerdotai/ModernBERT-base), as bert_bench.py's FAMILY_SHAPES. */
export const FAMILY_SHAPES: Record<FamilyShapeName, { label: string; raw: RawConfig }> = {
  'distilbert-base': {
    label: 'DistilBERT-base (L6 H768 A12 I3072, vocab 30,522)',
    raw: {
      model_type: 'distilbert',
      vocab_size: 30522,
      dim: 768,
      n_layers: 6,
      n_heads: 12,
      hidden_dim: 3072,
      activation: 'gelu',
      dropout: 0.1,
      attention_dropout: 0.1,
      seq_classif_dropout: 0.2,
      max_position_embeddings: 512,
      pad_token_id: 0,
      initializer_range: 0.02,
    },
  },
  'modernbert-base': {
    label: 'ModernBERT-base (L22 H768 A12 I1152 GeGLU, vocab 50,368, global every 3rd layer, window 128)',
    raw: {
      model_type: 'modernbert',
      vocab_size: 50368,
      hidden_size: 768,
      num_hidden_layers: 22,
      num_attention_heads: 12,
      intermediate_size: 1152,
      hidden_activation: 'gelu',
      max_position_embeddings: 8192,
      norm_eps: 1e-5,
      pad_token_id: 50283,
      initializer_range: 0.02,
      global_attn_every_n_layers: 3,
      local_attention: 128,
      global_rope_theta: 160000,
      local_rope_theta: 10000,
      embedding_dropout: 0,
      attention_dropout: 0,
      mlp_dropout: 0,
      classifier_dropout: 0,
      classifier_activation: 'gelu',
      classifier_pooling: 'mean',
    },
  },
};

export const FAMILY_SHAPE_NAMES = Object.keys(FAMILY_SHAPES) as FamilyShapeName[];

/** The config of a family shape and the pooling its head reads; throws on an unknown name. */
export function familyShape(name: string): { cfg: BertConfig; pooling: Pooling; label: string } {
  const s = FAMILY_SHAPES[name as FamilyShapeName];
  if (!s) throw new Error(`unknown family shape "${name}" (known: ${FAMILY_SHAPE_NAMES.join(', ')})`);
  const cfg = bertConfigFromRaw(s.raw, `bench shape ${name}`);
  return { cfg, pooling: familyPooling(cfg), label: s.label };
}

/** bert-base-uncased's [CLS]/[SEP] (any id below both vocabularies would do). */
const CLS = 101;
const SEP = 102;

/** One B × S batch, every position real (attention mask 1), 2 classes; labels as one-hot target rows. */
export function familyBatch(B: number, S: number, seed = 0): { batch: TrainBatch; labels: Int32Array } {
  const rng = new Rng(seed + 11);
  const inputIds = Int32Array.from({ length: B * S }, (_, i) => (i % S === 0 ? CLS : i % S === S - 1 ? SEP : 1000 + rng.int(29000)));
  const labels = Int32Array.from({ length: B }, () => rng.int(2));
  const targets = new Float32Array(2 * B);
  labels.forEach((l, b) => (targets[2 * b + l] = 1));
  const tokens = { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
  return { batch: { tokens, targets }, labels };
}

/** Writes the batch for bert_bench.py `--ids-batch FILE`. */
export function writeFamilyBatch(bench: { batch: TrainBatch; labels: Int32Array }, file: string): void {
  const t = bench.batch.tokens;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ batch: t.batchSize, seq: t.seqLength, input_ids: Array.from(t.inputIds), labels: Array.from(bench.labels) }));
}

export interface FamilyTiming {
  examplesPerS: number;
  msPerStep: number;
  msPerStepMin: number;
  /** Training only: the loss of the first and the last step. */
  firstLoss?: number;
  finalLoss?: number;
}

interface TimingOptions {
  warmup: number;
  steps: number;
  threads: number;
  seed?: number;
}

/** A fresh model as fine-tuning from random init builds it: the encoder (no pooler in these families) and the family's head. */
function freshWeights(cfg: BertConfig, seed: number) {
  return { encoder: initBertWeights(cfg, seed + 1, false), head: initClassifierHead(cfg, 2, seed + 2) };
}

function timing(B: number, times: number[]): Omit<FamilyTiming, 'firstLoss' | 'finalLoss'> {
  if (times.length === 0) throw new Error('no timed step (--family-steps must be ≥ 1)');
  const median = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
  return { examplesPerS: B / (median / 1000), msPerStep: median, msPerStepMin: Math.min(...times) };
}

/** bertft's sequence-classification training step on onnxruntime (forward, loss, backward, clipping, AdamW). */
export async function bertftFamilyTrain(cfg: BertConfig, pooling: Pooling, batch: TrainBatch, options: TimingOptions): Promise<FamilyTiming> {
  const { encoder, head } = freshWeights(cfg, options.seed ?? 0);
  const weights = new Map([...encoder, ...head]);
  const engine = await OnnxTrainingEngine.create({
    config: cfg,
    weights,
    objective: { kind: 'classification', pooling, problem: 'single_label_classification', numOutputs: 2 },
    session: { threads: options.threads },
  });
  try {
    engine.setTrainable(new Set(weights.keys()));
    const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? 0.01 : 0 });
    const losses: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      losses.push(await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i }));
      if (i >= options.warmup) times.push(performance.now() - t0);
    }
    return { ...timing(batch.tokens.batchSize, times), firstLoss: losses[0], finalLoss: losses.at(-1) };
  } finally {
    engine.dispose();
  }
}

/** bertft's batch forward with the family's head (logits), on onnxruntime. */
export async function bertftFamilyInfer(cfg: BertConfig, pooling: Pooling, batch: TrainBatch, options: TimingOptions): Promise<FamilyTiming> {
  const { encoder, head } = freshWeights(cfg, options.seed ?? 0);
  const runner = await createForwardRunner(cfg, encoder, { pooling, classifier: head, engine: 'onnxruntime', threads: options.threads });
  try {
    const times: number[] = [];
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      await runner.run(batch.tokens);
      if (i >= options.warmup) times.push(performance.now() - t0);
    }
    return timing(batch.tokens.batchSize, times);
  } finally {
    await runner.dispose();
  }
}
