import type { BertConfig } from '../../src/models/bert/config.js';

/**
 * The small BERT the engine tests differentiate and train (2 layers, hidden 16, no dropout so runs
 * are comparable step by step); a test overrides what it needs, e.g. a larger vocabulary.
 */
export function tinyTestConfig(overrides: Partial<BertConfig> = {}): BertConfig {
  return {
    vocabSize: 40,
    hiddenSize: 16,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 24,
    hiddenAct: 'gelu',
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    maxPositionEmbeddings: 12,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
    initializerRange: 0.02,
    ...overrides,
  };
}
