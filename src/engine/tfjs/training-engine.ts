import * as tf from '@tensorflow/tfjs-core';
import { batchToTensors } from './inputs.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { disposeParams, fromTfjsParams } from './params.js';
import { maskedLmLogits, maskedLmLoss } from '../../heads/masked-lm.js';
import { bertForward } from '../../models/bert/bert.js';
import { classifierLoss, sequenceClassifierLogits } from '../../heads/classification.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { ClassificationObjective, TrainBatch, TrainingEngine, TrainingEngineOptions } from '../types.js';
import { TfjsEngineBase } from './engine-base.js';

let engineCounter = 0;

/** Training on TensorFlow.js (a classifier or the masked LM): eager ops with autograd, AdamW from engine/tfjs. */
export class TfjsTrainingEngine extends TfjsEngineBase implements TrainingEngine {
  readonly name = 'tfjs';
  private readonly params = new Map<string, tf.Variable>();
  private trainable = new Set<string>();

  constructor(private readonly options: TrainingEngineOptions) {
    super(options.objective.kind === 'classification' ? options.objective.classWeights : undefined);
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
    if (this.options.objective.kind === 'masked-lm') {
      if (!batch.masked) throw new Error('a masked-LM batch needs its masked positions (TrainBatch.masked)');
      const sequence = bertForward(this.ops, this.options.config, this.params, inputs).sequenceOutput;
      const logits = maskedLmLogits(this.ops, this.options.config, this.params, sequence, tf.tensor1d(batch.masked.positions, 'int32'));
      return maskedLmLoss(this.ops, logits, tf.tensor1d(batch.masked.targetIndex, 'int32')) as tf.Scalar;
    }
    const task = this.classification();
    const logits = sequenceClassifierLogits(this.ops, this.options.config, this.params, inputs, task.pooling);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, task.numOutputs]);
    return classifierLoss(this.ops, task.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    return sequenceClassifierLogits(this.ops, this.options.config, this.params, batchToTensors(tokens), this.classification().pooling);
  }

  private classification(): ClassificationObjective {
    const { objective } = this.options;
    if (objective.kind !== 'classification') throw new Error(`classification logits asked of a ${objective.kind} engine`);
    return objective;
  }

  weights(): Promise<Map<string, HostTensor>> {
    return fromTfjsParams(this.params);
  }

  override dispose(): void {
    disposeParams(this.params);
    super.dispose();
  }
}
