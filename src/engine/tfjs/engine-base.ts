import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from './adamw.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { TfjsOps } from './ops.js';
import { fillDropoutMask } from '../onnx/training/dropout-masks.js';
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
  private microBatch = 0;
  private dropoutSite = 0;
  /**
   * Dropout masks from the onnxruntime engine's counter-based generator (onnx/training/dropout-masks.ts),
   * keyed by (step seed, micro-batch, site): a step replays exactly, and with the same seed the two engines
   * drop the same elements (the sites are the model's dropout calls with a rate above 0, in the same order).
   */
  protected readonly ops = new TfjsOps(undefined, (shape, rate) =>
    fillDropoutMask(new Float32Array(shape.reduce((a, b) => a * b, 1)), rate, this.dropoutSeed, this.microBatch, this.dropoutSite++),
  );

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
    let next = 0;
    const lossOf = (b: TrainBatch) => {
      // One loss per micro-batch, in order: its index and site count key the masks.
      this.microBatch = next++;
      this.dropoutSite = 0;
      return this.lossOf(b);
    };
    try {
      const settings = { lr: options.lr, maxGradNorm: options.maxGradNorm, groupOf: options.settingsOf };
      return accumulatedTrainStep(this.trainableParams(), microBatches, lossOf, this.optimizer, settings);
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
