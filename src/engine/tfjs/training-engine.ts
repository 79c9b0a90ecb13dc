import * as tf from '@tensorflow/tfjs-core';
import { batchToTensors } from './inputs.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { disposeParams, fromTfjsParams } from './params.js';
import { maskedLmLogits, maskedLmLoss } from '../../heads/masked-lm.js';
import { bertForward } from '../../models/bert/bert.js';
import { classifierLoss, sequenceClassifierLogits } from '../../heads/classification.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { ClassifierEngine, ClassifierEngineOptions, TrainBatch } from '../types.js';
import { TfjsEngineBase } from './engine-base.js';

export type TfjsEngineOptions = ClassifierEngineOptions;

let engineCounter = 0;

/** Training on TensorFlow.js: eager ops with autograd, AdamW from engine/tfjs. */
export class TfjsClassifierEngine extends TfjsEngineBase implements ClassifierEngine {
  readonly name = 'tfjs';
  private readonly params = new Map<string, tf.Variable>();
  private trainable = new Set<string>();

  constructor(private readonly options: TfjsEngineOptions) {
    super(options.classWeights);
    const id = engineCounter++;
    // A fixed (sorted) order: the global gradient norm sums in this order, so a run resumed from a
    // checkpoint (whose tensors come back sorted) computes bit-identical steps.
    for (const name of [...options.weights.keys()].sort()) {
      const w = options.weights.get(name)!;
      this.params.set(name, tf.variable(tf.tensor(w.data, w.shape, 'float32'), true, `bertft-train/${id}/${name}`));
    }
  }

  setTrainable(names: ReadonlySet<string>): void {
    this.trainable = new Set(names);
  }

  protected trainableParams(): ReadonlyMap<string, tf.Variable> {
    return new Map([...this.params].filter(([n]) => this.trainable.has(n)));
  }

  protected lossOf(batch: TrainBatch): tf.Scalar {
    const inputs = batchToTensors(batch.tokens);
    if (this.options.head === 'masked-lm') {
      if (!batch.masked) throw new Error('a masked-LM batch needs its masked positions (TrainBatch.masked)');
      const sequence = bertForward(this.ops, this.options.config, this.params, inputs).sequenceOutput;
      const logits = maskedLmLogits(this.ops, this.options.config, this.params, sequence, tf.tensor1d(batch.masked.positions, 'int32'));
      return maskedLmLoss(this.ops, logits, tf.tensor1d(batch.masked.targetIndex, 'int32')) as tf.Scalar;
    }
    const logits = sequenceClassifierLogits(this.ops, this.options.config, this.params, inputs, this.options.pooling);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, this.options.numOutputs]);
    return classifierLoss(this.ops, this.options.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    return sequenceClassifierLogits(this.ops, this.options.config, this.params, batchToTensors(tokens), this.options.pooling);
  }

  weights(): Promise<Map<string, HostTensor>> {
    return fromTfjsParams(this.params);
  }

  override dispose(): void {
    disposeParams(this.params);
    super.dispose();
  }
}
