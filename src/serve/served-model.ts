import type { Prediction, TextClassifier } from '../classifier.js';
import type { AggregationStrategy } from '../inference/token-entities.js';
import type { TokenClassifier, TokenPrediction } from '../token-classifier.js';

/** What the server answers per text: a classifier's labels and scores, or a token classifier's entities. */
export type ServedPrediction = Prediction | Pick<TokenPrediction, 'text' | 'entities'>;

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
  predict(texts: string[], pairs?: (string | undefined)[]): Promise<ServedPrediction[]>;
  /** JSON-serialisable facts about the model (labels, problem type, ...). */
  metadata(): Record<string, unknown>;
  /** False for a model that reads single texts only (a token classifier): a request with `text_pair` is then a 400. */
  acceptsPairs?: boolean;
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

/**
 * Wraps a loaded TokenClassifier for serving: each text's entities with character offsets, grouped
 * by `aggregation` (default the classifier's). A text pair is a 400: a tagger reads single texts.
 */
export function servedModelFromTokenClassifier(tagger: TokenClassifier, options: { batchSize?: number; aggregation?: AggregationStrategy } = {}): ServedModel {
  const batchSize = options.batchSize ?? 32;
  const config = tagger.folder.config;
  return {
    acceptsPairs: false,
    predict: async (texts) => {
      const predictions = await tagger.predict(texts, { batchSize, aggregation: options.aggregation });
      return predictions.map(({ text, entities }) => ({ text, entities }));
    },
    metadata: () => ({
      task: 'token-classification',
      labels: [...tagger.labels],
      max_length: tagger.maxLength,
      stride: tagger.stride,
      model_dir: tagger.folder.dir,
      engine: tagger.engine,
      architecture: {
        model_type: config.family ?? 'bert',
        hidden_size: config.hiddenSize,
        num_hidden_layers: config.numHiddenLayers,
        num_attention_heads: config.numAttentionHeads,
        vocab_size: config.vocabSize,
      },
    }),
  };
}
