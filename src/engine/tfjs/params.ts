import * as tf from '@tensorflow/tfjs-core';

import type { HostTensor } from '../../models/host-tensor.js';

export type { HostTensor };

/** tfjs variable names are global to the process; a counter keeps two models' names apart. */
let variableCounter = 0;

/**
 * Moves host weights into TensorFlow.js. Trainable parameters become `tf.Variable`s (what
 * optimizers update); frozen ones stay plain tensors so no gradient is ever computed for them.
 */
export function toTfjsParams(weights: ReadonlyMap<string, HostTensor>, isTrainable: (name: string) => boolean = () => false): Map<string, tf.Tensor> {
  const params = new Map<string, tf.Tensor>();
  for (const [name, w] of weights) {
    const t = tf.tensor(w.data, w.shape, 'float32');
    if (isTrainable(name)) {
      params.set(name, tf.variable(t, true, `bertft/${variableCounter++}/${name}`));
      t.dispose();
    } else {
      params.set(name, t);
    }
  }
  return params;
}

/** Copies parameters back to host memory (for saving a checkpoint). */
export async function fromTfjsParams(params: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of params) {
    out.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  return out;
}

/** Frees every tensor of a parameter map. */
export function disposeParams(params: ReadonlyMap<string, tf.Tensor>): void {
  for (const t of params.values()) t.dispose();
}
