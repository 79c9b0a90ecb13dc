import type { FamilyName } from './family.js';

/**
 * The fields of a Hugging Face BERT `config.json` that the model definition uses. The optional
 * fields describe the other encoders of the family (family.ts); absent, the model is BERT.
 */
export interface BertConfig {
  /** The family (`model_type`); absent means `bert`. */
  family?: FamilyName;
  /** Width E of the embedding tables when the family factorises them (ELECTRA's and ALBERT's `embedding_size`). */
  embeddingSize?: number;
  /**
   * `classifier_pooling`: what feeds a sequence head by default, for any family. ModernBERT publishes it
   * (transformers' head reads it); a BERT pre-trained by masked LM alone (no next-sentence task, so no
   * trained pooler) may set `mean`. Absent: the family's (classifier-config.ts familyPooling).
   */
  classifierPooling?: 'cls' | 'mean';
  /** ModernBERT's settings (family `modernbert` only; modernbert.ts). */
  modernBert?: ModernBertSettings;
  /** The classifier's dropout when the family sets it apart (DistilBERT's `seq_classif_dropout`, ALBERT's `classifier_dropout_prob`); absent → hiddenDropoutProb. */
  classifierDropout?: number;
  /** DeBERTa's relative attention (family `deberta-v2`): log buckets and the largest distance told apart (deberta.ts). */
  relativeAttention?: RelativeAttention;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** The feed-forward activation: BERT's exact (erf) GELU, its tanh approximation `gelu_new` (ALBERT), or ReLU (DistilBERT's `activation: "relu"`). */
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
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

/** DeBERTa-v3's relative attention: p2c + c2p over shared query/key projections, relative embeddings layer-normed. */
export interface RelativeAttention {
  /** `position_buckets` (≤ 0: one embedding per distance up to maxRelativePositions). */
  positionBuckets: number;
  /** `max_relative_positions`, or `max_position_embeddings` where that is < 1. */
  maxRelativePositions: number;
}

/** What a ModernBERT config.json says beyond BERT's fields (read from transformers 4.x or 5 keys). */
export interface ModernBertSettings {
  /** Per layer: full (global) attention or a sliding window. */
  layerTypes: ('full' | 'sliding')[];
  /** `local_attention`: the window's width; a token sees the keys within ±⌊width/2⌋ positions. */
  localAttention: number;
  /** RoPE θ of the full-attention layers (`global_rope_theta`) and of the sliding ones (`local_rope_theta`). */
  globalRopeTheta: number;
  localRopeTheta: number;
  /** The head's activation (`classifier_activation`). */
  classifierActivation: 'gelu' | 'gelu_new' | 'relu';
  embeddingDropout: number;
}
