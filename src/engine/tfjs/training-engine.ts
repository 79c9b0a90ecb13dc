import * as tf from '@tensorflow/tfjs-core';
import { batchToTensors } from './inputs.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { disposeParams, fromTfjsParams } from './params.js';
import { maskedLmLogits, maskedLmLoss } from '../../heads/masked-lm.js';
import { bertForward } from '../../models/bert/bert.js';
import { classifierLoss, sequenceClassifierLogits } from '../../heads/classification.js';
import { labelledTokenLoss, tokenClassifierLogits } from '../../heads/token-classification.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { ClassificationObjective, TrainBatch, TrainingEngine, TrainingEngineOptions } from '../types.js';
import { TfjsEngineBase } from './engine-base.js';

let engineCounter = 0;

/** Training on TensorFlow.js (a sequence or token classifier, or the masked LM): eager ops with autograd, AdamW from engine/tfjs. */
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
    const { objective, config } = this.options;
    if (objective.kind !== 'classification') {
      if (!batch.masked) throw new Error(`a ${objective.kind} batch needs its predicted positions (TrainBatch.masked)`);
      const positions = tf.tensor1d(batch.masked.positions, 'int32');
      const targetIndex = tf.tensor1d(batch.masked.targetIndex, 'int32');
      if (objective.kind === 'masked-lm')
        return maskedLmLoss(this.ops, maskedLmLogits(this.ops, config, this.params, inputs, positions), targetIndex) as tf.Scalar;
      const sequence = bertForward(this.ops, config, this.params, inputs).sequenceOutput;
      const rowWeights = batch.targets.length > 0 ? tf.tensor1d(batch.targets) : undefined;
      return labelledTokenLoss(this.ops, config, this.params, sequence, objective.numLabels, { positions, targetIndex, rowWeights }) as tf.Scalar;
    }
    const task = this.classification();
    const logits = sequenceClassifierLogits(this.ops, this.options.config, this.params, inputs, task.pooling);
    const targets = tf.tensor2d(batch.targets, [batch.tokens.batchSize, task.numOutputs]);
    return classifierLoss(this.ops, task.problem, logits, targets, this.classWeights) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    const { objective, config } = this.options;
    if (objective.kind === 'token-classification')
      return tokenClassifierLogits(this.ops, config, this.params, bertForward(this.ops, config, this.params, batchToTensors(tokens)).sequenceOutput);
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
