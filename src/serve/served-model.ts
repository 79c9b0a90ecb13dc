import type { Prediction, TextClassifier } from '../classifier.js';

/**
 * What the classification server needs from a model: batch prediction in input order, and a
 * description for `GET /metadata`. TextClassifier fits through {@link servedModelFromClassifier};
 * tests and benchmarks pass a fake.
 */
export interface ServedModel {
  /**
   * One prediction per text, in the same order; `pairs` (when any text has one) holds each text's
   * second text, undefined for a single text. Never called again before the last call settles.
   */
  predict(texts: string[], pairs?: (string | undefined)[]): Promise<Prediction[]>;
  /** JSON-serialisable facts about the model (labels, problem type, ...). */
  metadata(): Record<string, unknown>;
}

/**
 * Wraps a loaded TextClassifier for serving. `batchSize` is the forward-pass size; the server never
 * hands over more texts than its own maxBatchSize, so passing the same number runs one pass per call.
 */
export function servedModelFromClassifier(classifier: TextClassifier, options: { batchSize?: number } = {}): ServedModel {
  const batchSize = options.batchSize ?? 32;
  const config = classifier.folder.config;
  return {
    predict: (texts, pairs) => classifier.predict(texts, { batchSize, ...(pairs ? { pairs } : {}) }),
    metadata: () => ({
      labels: [...classifier.labels],
      problem_type: classifier.problem,
      pooling: classifier.pooling,
      max_length: classifier.maxLength,
      model_dir: classifier.folder.dir,
      engine: classifier.engine,
      architecture: {
        hidden_size: config.hiddenSize,
        num_hidden_layers: config.numHiddenLayers,
        num_attention_heads: config.numAttentionHeads,
        vocab_size: config.vocabSize,
      },
    }),
  };
}
