/** The fields of a Hugging Face BERT `config.json` that the model definition uses. */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: 'gelu';
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  initializerRange: number;
}

/** config.json as published (snake_case keys), kept whole so unknown keys survive a save. */
export type RawConfig = Record<string, unknown>;
