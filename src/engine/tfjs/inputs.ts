import * as tf from '@tensorflow/tfjs-core';
import type { BertInputs } from '../../models/bert/bert.js';

/** A tokenized batch, row-major [batchSize, seqLength] (what the tokenizer pipeline produces). */
export interface TokenBatch {
  batchSize: number;
  seqLength: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

/** Wraps a token batch as tfjs tensors (the mask as float, since it is multiplied into scores). */
export function batchToTensors(batch: TokenBatch): BertInputs<tf.Tensor> {
  const shape: [number, number] = [batch.batchSize, batch.seqLength];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(Float32Array.from(batch.attentionMask), shape, 'float32'),
  };
}
