import type { TensorOps } from './ops.js';
import { bertForward, pool, type BertInputs, type ParamMap, type Pooling } from './bert/bert.js';
import type { BertConfig } from './bert/config.js';
import { classifierLogits } from '../heads/classification.js';

/** BertForSequenceClassification: encoder → pooled features → dropout → dense. Returns logits [B, C]. */
export function sequenceClassifierLogits<T>(
  ops: TensorOps<T>,
  cfg: BertConfig,
  params: ParamMap<T>,
  inputs: BertInputs<T>,
  pooling: Pooling,
  classifierDropout: number = cfg.hiddenDropoutProb,
): T {
  const features = pool(ops, bertForward(ops, cfg, params, inputs), inputs.attentionMask, pooling);
  return classifierLogits(ops, params, features, classifierDropout);
}
