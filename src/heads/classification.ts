import type { TensorOps } from '../models/ops.js';
import type { ParamMap } from '../models/bert/bert.js';

/**
 * The BertForSequenceClassification head: pooled features → dropout → dense to `num_labels`,
 * with weights named `classifier.weight` [C, H] and `classifier.bias` [C].
 */
export function classifierLogits<T>(ops: TensorOps<T>, params: ParamMap<T>, features: T, dropoutRate: number): T {
  const w = params.get('classifier.weight');
  const b = params.get('classifier.bias');
  if (w === undefined || b === undefined) throw new Error('classification head parameters missing (classifier.weight/bias)');
  return ops.linear(ops.dropout(features, dropoutRate), w, b);
}
