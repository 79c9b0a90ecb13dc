import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '../engine/tfjs/adamw.js';
import { accumulatedTrainStep } from '../engine/tfjs/train-step.js';
import { batchToTensors, type TokenBatch } from '../engine/tfjs/inputs.js';
import { TfjsOps } from '../engine/tfjs/ops.js';
import { disposeParams, fromTfjsParams } from '../engine/tfjs/params.js';
import { maskedLmLogits, maskedLmLoss } from '../heads/masked-lm.js';
import { bertForward } from '../models/bert/bert.js';
import { classifierLoss, sequenceClassifierLogits } from '../heads/classification.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { ClassifierEngine, ClassifierEngineOptions, OptimizerState, StepOptions, TrainBatch } from '../engine/types.js';

export type TfjsEngineOptions = ClassifierEngineOptions;

let engineCounter = 0;

/** Training on TensorFlow.js: eager ops with autograd, AdamW from engine/tfjs. */
export class TfjsClassifierEngine implements ClassifierEngine {
  readonly name = 'tfjs';
  private readonly params = new Map<string, tf.Variable>();
  private trainable = new Set<string>();
  private readonly optimizer = new AdamW();
  private readonly classWeights?: tf.Tensor;
  private dropoutCounter = 0;
  private dropoutSeed = 0;
  private readonly ops = new TfjsOps(() => (this.dropoutSeed + 7919 * this.dropoutCounter++) >>> 0);

  constructor(private readonly options: TfjsEngineOptions) {
    const id = engineCounter++;
    // A fixed (sorted) order: the global gradient norm sums in this order, so a run resumed from a
    // checkpoint (whose tensors come back sorted) computes bit-identical steps.
    for (const name of [...options.weights.keys()].sort()) {
      const w = options.weights.get(name)!;
      this.params.set(name, tf.variable(tf.tensor(w.data, w.shape, 'float32'), true, `bertft-train/${id}/${name}`));
    }
    if (options.classWeights) this.classWeights = tf.tensor1d(options.classWeights);
  }

  setTrainable(names: ReadonlySet<string>): void {
    this.trainable = new Set(names);
  }

  private lossOf(batch: TrainBatch): tf.Scalar {
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

  async trainStep(microBatches: TrainBatch[], options: StepOptions): Promise<number> {
    this.ops.training = true;
    this.dropoutSeed = options.dropoutSeed;
    this.dropoutCounter = 0;
    try {
      const trainable = new Map([...this.params].filter(([n]) => this.trainable.has(n)));
      const settings = { lr: options.lr, maxGradNorm: options.maxGradNorm, groupOf: options.settingsOf };
      return accumulatedTrainStep(trainable, microBatches, (b) => this.lossOf(b), this.optimizer, settings);
    } finally {
      this.ops.training = false;
    }
  }

  async logits(tokens: TokenBatch): Promise<Float32Array> {
    this.ops.training = false;
    const out = tf.tidy(() => sequenceClassifierLogits(this.ops, this.options.config, this.params, batchToTensors(tokens), this.options.pooling));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  async evalLoss(batch: TrainBatch): Promise<number> {
    this.ops.training = false;
    const loss = tf.tidy(() => this.lossOf(batch));
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  }

  weights(): Promise<Map<string, HostTensor>> {
    return fromTfjsParams(this.params);
  }

  optimizerState(): Promise<OptimizerState> {
    return this.optimizer.state();
  }

  loadOptimizerState(state: OptimizerState): void {
    this.optimizer.load(state);
  }

  dispose(): void {
    disposeParams(this.params);
    this.optimizer.dispose();
    this.classWeights?.dispose();
  }
}
