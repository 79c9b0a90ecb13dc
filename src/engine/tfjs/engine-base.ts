import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from './adamw.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { TfjsOps } from './ops.js';
import { accumulatedTrainStep } from './train-step.js';
import type { OptimizerState, StepOptions, TrainBatch } from '../types.js';

/**
 * What the TF.js engines share (the full encoder's and the frozen strategy's head-only one): dropout
 * seeded per step, gradient accumulation with clipping and AdamW, evaluation loss, logits and the
 * optimiser state. A subclass says what trains, its loss and its logits.
 */
export abstract class TfjsEngineBase {
  protected readonly optimizer = new AdamW();
  protected readonly classWeights?: tf.Tensor;
  private dropoutSeed = 0;
  private dropoutCounter = 0;
  /** Each dropout call of a step draws its own seed from the step's seed, so a step replays exactly. */
  protected readonly ops = new TfjsOps(() => (this.dropoutSeed + 7919 * this.dropoutCounter++) >>> 0);

  constructor(classWeights: Float32Array | undefined) {
    if (classWeights) this.classWeights = tf.tensor1d(classWeights);
  }

  /** The variables the next step updates. */
  protected abstract trainableParams(): ReadonlyMap<string, tf.Variable>;
  /** The batch's mean loss, built with this.ops (training mode during steps). */
  protected abstract lossOf(batch: TrainBatch): tf.Scalar;
  /** Logits of a token batch [B, outputs], without dropout. */
  protected abstract forwardLogits(tokens: TokenBatch): tf.Tensor;

  async trainStep(microBatches: TrainBatch[], options: StepOptions): Promise<number> {
    this.ops.training = true;
    this.dropoutSeed = options.dropoutSeed;
    this.dropoutCounter = 0;
    try {
      const settings = { lr: options.lr, maxGradNorm: options.maxGradNorm, groupOf: options.settingsOf };
      return accumulatedTrainStep(this.trainableParams(), microBatches, (b) => this.lossOf(b), this.optimizer, settings);
    } finally {
      this.ops.training = false;
    }
  }

  async logits(tokens: TokenBatch): Promise<Float32Array> {
    this.ops.training = false;
    const out = tf.tidy(() => this.forwardLogits(tokens));
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

  optimizerState(): Promise<OptimizerState> {
    return this.optimizer.state();
  }

  loadOptimizerState(state: OptimizerState): void {
    this.optimizer.load(state);
  }

  /** Frees the optimiser's moments and the class weights (a subclass frees its own tensors too). */
  dispose(): void {
    this.optimizer.dispose();
    this.classWeights?.dispose();
  }
}
