import * as tf from '@tensorflow/tfjs-core';
import { AdamW, clipByGlobalNorm } from '../engine/tfjs/adamw.js';
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
    const vars = [...this.params].filter(([n]) => this.trainable.has(n));
    const nameOf = new Map(vars.map(([n, v]) => [v.name, n]));
    const total = microBatches.reduce((s, b) => s + b.tokens.batchSize, 0);
    let grads = new Map<string, tf.Tensor>();
    let lossSum = 0;
    try {
      for (const batch of microBatches) {
        // Weight each micro-batch by its share of examples so accumulation equals one big batch.
        const share = batch.tokens.batchSize / total;
        const { value, grads: g } = tf.variableGrads(() => tf.mul(this.lossOf(batch), share) as tf.Scalar, vars.map(([, v]) => v));
        lossSum += (await value.data())[0]!;
        value.dispose();
        for (const [varName, t] of Object.entries(g)) {
          const name = nameOf.get(varName)!;
          const prev = grads.get(name);
          grads.set(name, prev ? tf.add(prev, t) : t);
          if (prev) {
            prev.dispose();
            t.dispose();
          }
        }
      }
      clipByGlobalNorm(grads, options.maxGradNorm);
      const trainableVars = new Map(vars);
      this.optimizer.apply(trainableVars, grads, options.lr, options.settingsOf);
    } finally {
      for (const g of grads.values()) g.dispose();
      grads = new Map();
      this.ops.training = false;
    }
    return lossSum;
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
