/**
 * The synthetic training step the speed benches share: token ids spread over the vocabulary without
 * padding, two alternating classes, BERT's weight-decay split, and a sequence classifier (pooler, two
 * classes) on the ONNX training engine with every parameter trainable.
 */
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { OnnxTrainingEngine, type OnnxEngineOptions } from '../../src/engine/onnx/training/onnx-engine.js';
import type { TokenBatch } from '../../src/tokenization/index.js';

/** B rows of S token ids (deterministic, no padding, one segment). */
export function syntheticTokens(B: number, S: number): TokenBatch {
  const inputIds = Int32Array.from({ length: B * S }, (_, i) => 1000 + ((i * 7919) % 29000));
  return { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
}

/** syntheticTokens with one-hot targets of two classes, alternating by row. */
export function syntheticClassificationBatch(B: number, S: number) {
  return { tokens: syntheticTokens(B, S), targets: Float32Array.from({ length: 2 * B }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)) };
}

/** Weight decay 0.01 on matrices, none on biases and LayerNorm, no LR scaling. */
export const decaySettings = (n: string) => ({ lrScale: 1, weightDecay: n.endsWith('.bias') || n.includes('LayerNorm') ? 0 : 0.01 });

/** A two-class sequence classifier on the ONNX engine, every parameter trainable; `options` picks the variant. */
export function classificationEngine(config: BertConfig, weights: Map<string, HostTensor>, options: Partial<OnnxEngineOptions> = {}): OnnxTrainingEngine {
  const engine = new OnnxTrainingEngine({
    config,
    weights,
    objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
    ...options,
  });
  engine.setTrainable(new Set(weights.keys()));
  return engine;
}
