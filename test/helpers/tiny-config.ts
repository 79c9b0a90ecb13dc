import type { BertConfig } from '../../src/models/bert/config.js';
import type { RefConfig } from '../reference/bert64.js';

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

/** The float64 reference's view of a config (test/reference/bert64.ts). */
export function refConfigOf(cfg: BertConfig): RefConfig {
  return {
    vocabSize: cfg.vocabSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numHiddenLayers,
    numHeads: cfg.numAttentionHeads,
    intermediateSize: cfg.intermediateSize,
    maxPositions: cfg.maxPositionEmbeddings,
    typeVocabSize: cfg.typeVocabSize,
    layerNormEps: cfg.layerNormEps,
  };
}
