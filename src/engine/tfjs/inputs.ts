import * as tf from '@tensorflow/tfjs-core';
import type { BertInputs } from '../../models/bert/bert.js';
import type { TokenBatch } from '../../tokenization/index.js';

/** Wraps a token batch as tfjs tensors (the mask as float, since it is multiplied into scores). */
export function batchToTensors(batch: TokenBatch): BertInputs<tf.Tensor> {
  const shape: [number, number] = [batch.batchSize, batch.seqLength];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(Float32Array.from(batch.attentionMask), shape, 'float32'),
  };
}
