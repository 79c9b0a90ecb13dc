import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../../models/host-tensor.js';
import type { TensorOps } from '../../models/ops.js';

/** A seeded source of integers for dropout masks, so a training run is reproducible. */
export type SeedSource = () => number;

/** A training step's dropout mask for a value of `shape`: 0 or 1/(1 − rate) per element, row-major. */
export type MaskSource = (shape: readonly number[], rate: number) => Float32Array;

/**
 * {@link TensorOps} on TensorFlow.js tensors, run eagerly so `tf.grad` can differentiate through
 * them. Dropout is active only when `training` is set.
 */
export class TfjsOps implements TensorOps<tf.Tensor> {
  training = false;

  /** `masks`, when given, makes dropout a multiplication by its masks instead of tf.dropout with `nextSeed`'s seeds. */
  constructor(
    private readonly nextSeed: SeedSource = () => Math.floor(Math.random() * 2 ** 31),
    private readonly masks?: MaskSource,
  ) {}

  linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
    // Flatten to 2-D so the product is one plain matrix multiply (the fast path on every backend).
    const inFeatures = x.shape[x.rank - 1];
    const outFeatures = weight.shape[0];
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
    let y = tf.matMul(flat, weight, false, true);
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
  }

  matmul(a: tf.Tensor, b: tf.Tensor, transposeB = false): tf.Tensor {
    const batch = a.shape.slice(0, -2).map((d, i) => Math.max(d, b.shape[i]!));
    // Batch dims that broadcast are made explicit, so the gradient of the smaller operand is summed back to its shape.
    if (batch.some((d, i) => d !== a.shape[i] || d !== b.shape[i])) {
      return tf.matMul(tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]), tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]), false, transposeB);
    }
    return tf.matMul(a, b, false, transposeB);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b);
  }

  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }

  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b);
  }

  affine(x: tf.Tensor, factor: number, offset = 0): tf.Tensor {
    const scaled = factor === 1 ? x : tf.mul(x, tf.scalar(factor));
    return offset === 0 ? scaled : tf.add(scaled, tf.scalar(offset));
  }

  embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
    return tf.gather(table, ids);
  }

  leadingRows(table: tf.Tensor, ids: tf.Tensor, offset = 0): tf.Tensor {
    return tf.slice(table, [offset, 0], [ids.shape[1] ?? 1, -1]);
  }

  reshape(x: tf.Tensor, shape: number[]): tf.Tensor {
    return tf.reshape(
      x,
      shape.map((d, i) => (d === 0 ? x.shape[i] : d)),
    );
  }

  transpose(x: tf.Tensor, perm: number[]): tf.Tensor {
    return tf.transpose(x, perm);
  }

  softmax(x: tf.Tensor): tf.Tensor {
    return tf.softmax(x);
  }

  logSoftmax(x: tf.Tensor): tf.Tensor {
    return tf.logSoftmax(x);
  }

  sigmoid(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }

  logSigmoid(x: tf.Tensor): tf.Tensor {
    return tf.logSigmoid(x);
  }

  gelu(x: tf.Tensor): tf.Tensor {
    const cdf = tf.add(tf.scalar(0.5), tf.mul(tf.scalar(0.5), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2)))));
    return tf.mul(x, cdf);
  }

  geluTanh(x: tf.Tensor): tf.Tensor {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), tf.scalar(0.044715))), tf.scalar(Math.sqrt(2 / Math.PI)));
    return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.tanh(inner), tf.scalar(1)));
  }

  tanh(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }

  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor | undefined, eps: number): tf.Tensor {
    const axis = x.rank - 1;
    const centered = tf.sub(x, tf.mean(x, axis, true));
    const variance = tf.mean(tf.square(centered), axis, true);
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, tf.scalar(eps))));
    const scaled = tf.mul(normed, gamma);
    return beta === undefined ? scaled : tf.add(scaled, beta);
  }

  sum(x: tf.Tensor, axis: number, keepDims = false): tf.Tensor {
    return tf.sum(x, axis, keepDims);
  }

  mean(x: tf.Tensor, axis: number, keepDims = false): tf.Tensor {
    return tf.mean(x, axis, keepDims);
  }

  splitLast(x: tf.Tensor, widths: number[]): tf.Tensor[] {
    return tf.split(x, widths, -1);
  }

  selectAlongAxis1(x: tf.Tensor, index: number): tf.Tensor {
    const begin = x.shape.map((_, i) => (i === 1 ? index : 0));
    const size = x.shape.map((_, i) => (i === 1 ? 1 : -1));
    return tf.squeeze(tf.slice(x, begin, size), [1]);
  }

  relativeSelection(ids: tf.Tensor, table: HostTensor): tf.Tensor {
    const S = ids.shape[1] ?? 1;
    const [rows, K] = table.shape as [number, number];
    const M = (rows + 1) / 2;
    if (S > M) throw new Error(`sequence of ${S} tokens is longer than the ${M} the relative-position table covers`);
    const out = new Float32Array(S * K * S);
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) {
        const row = (i - j + M - 1) * K;
        for (let k = 0; k < K; k++) out[(i * K + k) * S + j] = table.data[row + k]!;
      }
    }
    return tf.tensor3d(out, [S, K, S]);
  }

  dropout(x: tf.Tensor, rate: number): tf.Tensor {
    if (!this.training || rate <= 0) return x;
    if (this.masks) return tf.mul(x, tf.tensor(this.masks(x.shape, rate), x.shape, 'float32'));
    return tf.dropout(x, rate, undefined, this.nextSeed());
  }

  constant(values: Float32Array, shape: number[]): tf.Tensor {
    return tf.tensor(values, shape, 'float32');
  }
}
