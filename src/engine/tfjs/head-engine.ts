import * as tf from '@tensorflow/tfjs-core';
import type { TokenBatch } from '../../tokenization/index.js';
import { classifierDropoutOf, classifierLogits, classifierLoss, type ProblemType } from '../../heads/classification.js';
import type { BertConfig } from '../../models/bert/config.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { TrainBatch, TrainingEngine } from '../types.js';
import { TfjsEngineBase } from './engine-base.js';

export interface TfjsHeadEngineOptions {
  /** The encoder's config: its family chooses the head and its dropout (heads/classification.ts). */
  config: BertConfig;
  /** All rows the token ids can point at: [N, H] (train rows, then eval rows). */
  features: Float32Array;
  /** Frozen encoder weights (returned unchanged by weights()). */
  encoderWeights: ReadonlyMap<string, HostTensor>;
  head: ReadonlyMap<string, HostTensor>;
  problem: ProblemType;
  numOutputs: number;
  classWeights?: Float32Array;
}

/**
 * The `frozen` strategy's engine: only the classification head trains, on pooled features computed once.
 * Token batches carry feature-row indices (see featureIndexSet) instead of word-piece ids.
 */
export class TfjsHeadEngine extends TfjsEngineBase implements TrainingEngine {
  readonly name = 'tfjs-head';
  private readonly features: tf.Tensor2D;
  private readonly params = new Map<string, tf.Variable>();

  constructor(private readonly options: TfjsHeadEngineOptions) {
    super(options.classWeights);
    const H = options.config.hiddenSize;
    this.features = tf.tensor2d(options.features, [options.features.length / H, H]);
    for (const n of [...options.head.keys()].sort()) this.params.set(n, tf.variable(tf.tensor(options.head.get(n)!.data, options.head.get(n)!.shape), true)); // sorted: see TfjsTrainingEngine
  }

  setTrainable(): void {
    // Only the head exists here; it always trains.
  }

  private rows(tokens: TokenBatch): tf.Tensor {
    return tf.gather(
      this.features,
      tf.tensor1d(
        tokens.inputIds.filter((_, i) => i % tokens.seqLength === 0),
        'int32',
      ),
    );
  }

  protected trainableParams(): ReadonlyMap<string, tf.Variable> {
    return this.params;
  }

  protected lossOf(batch: TrainBatch): tf.Scalar {
    const { config } = this.options;
    const logits = classifierLogits(this.ops, this.params, this.rows(batch.tokens), classifierDropoutOf(config), config);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, this.options.numOutputs]);
    return classifierLoss(this.ops, this.options.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    return classifierLogits(this.ops, this.params, this.rows(tokens), 0, this.options.config);
  }

  async weights(): Promise<Map<string, HostTensor>> {
    const out = new Map(this.options.encoderWeights);
    for (const [n, v] of this.params) out.set(n, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  override dispose(): void {
    this.features.dispose();
    for (const v of this.params.values()) v.dispose();
    super.dispose();
  }
}
