import * as tf from '@tensorflow/tfjs-core';
import type { TokenBatch } from '../../tokenization/index.js';
import { classifierDropoutOf, classifierLogits, classifierLoss, type ProblemType } from '../../heads/classification.js';
import type { BertConfig } from '../../models/bert/config.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { TrainBatch, TrainingEngine } from '../types.js';
import { TfjsEngineBase } from './engine-base.js';

/** What every frozen-feature head engine is built from: the features its batches index, and the weights. */
export interface TfjsFrozenHeadOptions {
  /** The encoder's config: its family chooses the head and its dropout (heads/classification.ts). */
  config: BertConfig;
  /** All rows the token ids can point at: [N, H] (train rows, then eval rows). */
  features: Float32Array;
  /** Frozen encoder weights (returned unchanged by weights()). */
  encoderWeights: ReadonlyMap<string, HostTensor>;
  head: ReadonlyMap<string, HostTensor>;
}

/**
 * What the `frozen` strategy's engines share: the encoder's features computed once and held as one
 * [N, H] tensor that batches index by row, the head as the only variables (always trainable), and
 * weights() = frozen encoder + trained head. A subclass says how a batch's ids become head inputs.
 */
export abstract class TfjsFrozenHeadBase extends TfjsEngineBase {
  protected readonly features: tf.Tensor2D;
  protected readonly params = new Map<string, tf.Variable>();

  constructor(
    protected readonly frozen: TfjsFrozenHeadOptions,
    classWeights: Float32Array | undefined,
  ) {
    super(classWeights);
    const H = frozen.config.hiddenSize;
    this.features = tf.tensor2d(frozen.features, [frozen.features.length / H, H]);
    // Sorted: the global gradient norm sums in this order (see TfjsTrainingEngine).
    for (const n of [...frozen.head.keys()].sort()) {
      const t = frozen.head.get(n)!;
      this.params.set(
        n,
        tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), true)),
      );
    }
  }

  setTrainable(): void {
    // Only the head exists here; it always trains.
  }

  protected trainableParams(): ReadonlyMap<string, tf.Variable> {
    return this.params;
  }

  async weights(): Promise<Map<string, HostTensor>> {
    const out = new Map(this.frozen.encoderWeights);
    for (const [n, v] of this.params) out.set(n, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  override dispose(): void {
    this.features.dispose();
    for (const v of this.params.values()) v.dispose();
    super.dispose();
  }
}

export interface TfjsHeadEngineOptions extends TfjsFrozenHeadOptions {
  problem: ProblemType;
  numOutputs: number;
  classWeights?: Float32Array;
}

/**
 * The `frozen` strategy's engine for sequence classification: only the classification head trains,
 * on pooled features computed once. Token batches carry feature-row indices (see featureIndexSet)
 * instead of word-piece ids.
 */
export class TfjsHeadEngine extends TfjsFrozenHeadBase implements TrainingEngine {
  readonly name = 'tfjs-head';

  constructor(private readonly options: TfjsHeadEngineOptions) {
    super(options, options.classWeights);
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

  protected lossOf(batch: TrainBatch): tf.Scalar {
    const { config } = this.options;
    const logits = classifierLogits(this.ops, this.params, this.rows(batch.tokens), classifierDropoutOf(config), config);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, this.options.numOutputs]);
    return classifierLoss(this.ops, this.options.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    return classifierLogits(this.ops, this.params, this.rows(tokens), 0, this.options.config);
  }
}
