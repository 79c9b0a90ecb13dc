import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '../engine/tfjs/adamw.js';
import { accumulatedTrainStep } from '../engine/tfjs/train-step.js';
import type { TokenBatch } from '../engine/tfjs/inputs.js';
import { TfjsOps } from '../engine/tfjs/ops.js';
import { classifierLogits, classifierLoss, type ProblemType } from '../heads/classification.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { ClassifierEngine, OptimizerState, StepOptions, TrainBatch } from '../engine/types.js';

export interface HeadEngineOptions {
  /** All rows the token ids can point at: [N, H] (train rows, then eval rows). */
  features: Float32Array;
  hiddenSize: number;
  /** Frozen encoder weights (returned unchanged by weights()). */
  encoderWeights: ReadonlyMap<string, HostTensor>;
  head: ReadonlyMap<string, HostTensor>;
  problem: ProblemType;
  numOutputs: number;
  dropout: number;
  classWeights?: Float32Array;
}

/**
 * The `frozen` strategy's engine: only the classification head trains, on pooled features computed once.
 * Token batches carry feature-row indices (see featureIndexSet) instead of word-piece ids.
 */
export class HeadEngine implements ClassifierEngine {
  readonly name = 'tfjs-head';
  private readonly features: tf.Tensor2D;
  private readonly params = new Map<string, tf.Variable>();
  private readonly optimizer = new AdamW();
  private readonly classWeights?: tf.Tensor;
  private dropoutSeed = 0;
  private dropoutCounter = 0;
  private readonly ops = new TfjsOps(() => (this.dropoutSeed + 7919 * this.dropoutCounter++) >>> 0);

  constructor(private readonly options: HeadEngineOptions) {
    this.features = tf.tensor2d(options.features, [options.features.length / options.hiddenSize, options.hiddenSize]);
    for (const n of [...options.head.keys()].sort()) this.params.set(n, tf.variable(tf.tensor(options.head.get(n)!.data, options.head.get(n)!.shape), true)); // sorted: see TfjsClassifierEngine
    if (options.classWeights) this.classWeights = tf.tensor1d(options.classWeights);
  }

  setTrainable(): void {
    // Only the head exists here; it always trains.
  }

  private rows(tokens: TokenBatch): tf.Tensor {
    return tf.gather(this.features, tf.tensor1d(tokens.inputIds.filter((_, i) => i % tokens.seqLength === 0), 'int32'));
  }

  private lossOf(batch: TrainBatch): tf.Scalar {
    const logits = classifierLogits(this.ops, this.params, this.rows(batch.tokens), this.options.dropout);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, this.options.numOutputs]);
    return classifierLoss(this.ops, this.options.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  async trainStep(microBatches: TrainBatch[], options: StepOptions): Promise<number> {
    this.ops.training = true;
    this.dropoutSeed = options.dropoutSeed;
    this.dropoutCounter = 0;
    try {
      const settings = { lr: options.lr, maxGradNorm: options.maxGradNorm, groupOf: options.settingsOf };
      return accumulatedTrainStep(this.params, microBatches, (b) => this.lossOf(b), this.optimizer, settings);
    } finally {
      this.ops.training = false;
    }
  }

  async logits(tokens: TokenBatch): Promise<Float32Array> {
    this.ops.training = false;
    const out = tf.tidy(() => classifierLogits(this.ops, this.params, this.rows(tokens), 0));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  async evalLoss(batch: TrainBatch): Promise<number> {
    this.ops.training = false;
    const l = tf.tidy(() => this.lossOf(batch));
    const v = (await l.data())[0]!;
    l.dispose();
    return v;
  }

  async weights(): Promise<Map<string, HostTensor>> {
    const out = new Map(this.options.encoderWeights);
    for (const [n, v] of this.params) out.set(n, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  optimizerState(): Promise<OptimizerState> {
    return this.optimizer.state();
  }

  loadOptimizerState(state: OptimizerState): void {
    this.optimizer.load(state);
  }

  dispose(): void {
    this.features.dispose();
    for (const v of this.params.values()) v.dispose();
    this.optimizer.dispose();
    this.classWeights?.dispose();
  }
}
