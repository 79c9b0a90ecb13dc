import type { BertConfig } from './config.js';

/**
 * The BERT family as data: what each encoder that shares BERT's post-LN layer stack does
 * differently. The model (bert.ts), the heads (heads/classification.ts) and the checkpoint readers
 * and writers (checkpoint/) all ask this table; none of them names a family. Parameter names
 * inside bertft are BERT's, without a prefix, for every family; {@link hfName} and
 * {@link internalName} translate to and from a family's checkpoint names.
 */

export type FamilyName = 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta' | 'electra' | 'albert' | 'deberta-v2' | 'modernbert';

/**
 * The sequence-classification head of `<Family>ForSequenceClassification`, on the pooled features:
 * - `linear`: dropout → `classifier` (BERT and ALBERT, on the pooler's output);
 * - `dense-tanh-out` / `dense-gelu-out`: dropout → `classifier.dense` → tanh/gelu → dropout → `classifier.out_proj` (RoBERTa, XLM-R / ELECTRA);
 * - `pre-relu`: `pre_classifier` → ReLU → dropout → `classifier` (DistilBERT);
 * - `dense-act-norm`: `head.dense` → act → `head.norm` → dropout → `classifier` (ModernBERT, no biases but the classifier's).
 */
export type HeadKind = 'linear' | 'dense-tanh-out' | 'dense-gelu-out' | 'pre-relu' | 'dense-act-norm';

/**
 * The masked-LM head of `<Family>ForMaskedLM`, as data: inside bertft its parameters are BERT's
 * (`cls.predictions.transform.dense` → activation → `cls.predictions.transform.LayerNorm` → the
 * decoder, tied to the word embeddings, + `cls.predictions.bias`; heads/masked-lm.ts holds the
 * math), E wide where the embeddings are (ALBERT, ELECTRA's generator); these are the family's names.
 */
export interface MaskedLmSpec {
  /** `architectures` of a masked-LM folder. */
  architecture: string;
  /** Module paths of the head that the family names differently: [the family's, BERT's] (unprefixed, first match wins). */
  renames: readonly (readonly [string, string])[];
  /** The family's name of the output bias (BERT's `cls.predictions.bias`). */
  bias: string;
  /**
   * The transform's activation: exact GELU always (BERT, RoBERTa, ELECTRA), config.json's `hidden_act`
   * (ALBERT's gelu_new, DistilBERT, DeBERTa), or its `classifier_activation` (ModernBERT).
   */
  activation: 'gelu' | 'hidden_act' | 'classifier_activation';
  /** The LayerNorm's epsilon when fixed by the family (DistilBERT's 1e-12), else config.json's. */
  layerNormEps?: number;
  /**
   * `false`: the transform's dense and LayerNorm have no biases (ModernBERT's `classifier_bias` and
   * `norm_bias`, off as published; checkpoint/modernbert-config.ts refuses them on). Default: they have.
   */
  transformBiases?: false;
  /**
   * The transform's modules are named as the family's classification head's (ModernBERT's
   * `head.dense`, `head.norm`): {@link internalName} then leaves those names alone, and the
   * masked-LM loader (checkpoint/bert-weights.ts) maps them once no classifier has claimed them.
   */
  namedAsClassifier?: true;
  /** The encoder parameter the decoder is tied to, when not `embeddings.word_embeddings.weight` (ModernBERT's `embeddings.tok_embeddings.weight`). */
  tiedTo?: string;
}

export interface FamilySpec {
  /** `model_type` in config.json. */
  modelType: FamilyName;
  /** The encoder's prefix in a task model's state dict (`bert.`, `roberta.`, …), without the dot. */
  prefix: string;
  /** The class name written to `architectures` for a sequence classifier. */
  sequenceClassifier: string;
  /** Whether the embeddings add a token-type (segment) table. */
  tokenTypes: boolean;
  /** Whether the encoder may have a pooler (`pooler.dense`). */
  pooler: boolean;
  /**
   * Position ids: from 0, or from `pad_token_id + 1` (RoBERTa's `create_position_ids_from_input_ids`, right padding);
   * `relative`: no position table, DeBERTa's disentangled attention over relative positions (deberta.ts).
   */
  positions: 'from-zero' | 'after-padding' | 'relative';
  /**
   * `embeddings_project` (E→H) after the embedding LayerNorm: never, when `embedding_size` differs
   * from `hidden_size` (ELECTRA), or always (ALBERT's `embedding_hidden_mapping_in`).
   */
  embeddingProjection: 'never' | 'when-widths-differ' | 'always';
  /** Whether one layer's parameters serve at every depth (ALBERT): then only `encoder.layer.0.*` exists, read L times. */
  sharedLayers: boolean;
  /** Whether the feed-forward output passes dropout before its residual sum (not in ALBERT). */
  ffnDropout: boolean;
  /** Whether the attention output projection passes dropout before its residual sum (not in DistilBERT, whose `out_lin` goes straight to `sa_layer_norm`). */
  attentionOutputDropout: boolean;
  head: HeadKind;
  /** config.json keys that the family spells differently: BERT's key → the family's. */
  configKeys: Readonly<Record<string, string>>;
  /** BERT keys the family's config.json does not have (not written back). */
  absentKeys: readonly string[];
  /** The key of the classifier's dropout rate (`null` → hidden dropout). */
  classifierDropoutKey: string;
  /** config.json defaults where the family's config class differs from BertConfig's, by BERT's keys (and classifierDropoutKey). */
  defaults: Readonly<Record<string, number | string>>;
  /** Module paths the family names differently: [the family's, BERT's], `{i}` a layer index (or none: a fixed path). */
  renames: readonly (readonly [string, string])[];
  /** Modules a task checkpoint keeps beside the encoder, without the prefix (DeBERTa's `pooler`). */
  beside?: readonly string[];
  /** A layer stack of its own instead of BERT's (modernbert.ts), with its own parameter names (the checkpoint's, unprefixed). */
  block?: 'modernbert';
  /** The masked-LM head bertft reads, trains and writes (none: the masked-LM commands refuse the family). */
  maskedLm?: MaskedLmSpec;
  /** `<Family>ForTokenClassification` (heads/token-classification.ts). */
  tokenClassifier: TokenClassifierSpec;
}

/**
 * A family's token-classification model: its class name, the head it puts on every token's
 * hidden state (one linear layer, or ModernBERT's `head` → `drop` → `classifier`), and the rate of
 * the dropout before that head: the classifier's (classifierDropoutKey, falling back to the hidden
 * dropout) or the hidden dropout itself (DistilBERT's `dropout`, DeBERTa's `hidden_dropout_prob`,
 * whose token models ignore `seq_classif_dropout` / `cls_dropout`).
 */
export interface TokenClassifierSpec {
  architecture: string;
  head: Extract<HeadKind, 'linear' | 'dense-act-norm'>;
  dropout: 'classifier' | 'hidden';
}

const LM_HEAD: MaskedLmSpec['renames'] = [
  ['lm_head.dense', 'cls.predictions.transform.dense'],
  ['lm_head.layer_norm', 'cls.predictions.transform.LayerNorm'],
  ['lm_head', 'cls.predictions'],
];

const BERT_LIKE = {
  tokenTypes: true,
  positions: 'from-zero',
  embeddingProjection: 'never',
  sharedLayers: false,
  ffnDropout: true,
  attentionOutputDropout: true,
  configKeys: {},
  absentKeys: [],
  classifierDropoutKey: 'classifier_dropout',
  defaults: {},
  renames: [],
} as const;

/** ALBERT's one shared layer (`num_hidden_groups` = `inner_group_num` = 1) as BERT's layer 0. */
const ALBERT_LAYER = 'encoder.albert_layer_groups.0.albert_layers.0';

export const FAMILIES: Readonly<Record<FamilyName, FamilySpec>> = {
  bert: {
    ...BERT_LIKE,
    modelType: 'bert',
    prefix: 'bert',
    sequenceClassifier: 'BertForSequenceClassification',
    tokenClassifier: { architecture: 'BertForTokenClassification', head: 'linear', dropout: 'classifier' },
    pooler: true,
    head: 'linear',
    maskedLm: { architecture: 'BertForMaskedLM', renames: [], bias: 'cls.predictions.bias', activation: 'gelu' },
  },
  roberta: {
    ...BERT_LIKE,
    modelType: 'roberta',
    prefix: 'roberta',
    sequenceClassifier: 'RobertaForSequenceClassification',
    tokenClassifier: { architecture: 'RobertaForTokenClassification', head: 'linear', dropout: 'classifier' },
    pooler: true,
    positions: 'after-padding',
    head: 'dense-tanh-out',
    // RobertaConfig's own default (its `<pad>` is id 1), for a config.json that leaves it out or null.
    defaults: { pad_token_id: 1 },
    maskedLm: { architecture: 'RobertaForMaskedLM', renames: LM_HEAD, bias: 'lm_head.bias', activation: 'gelu' },
  },
  'xlm-roberta': {
    ...BERT_LIKE,
    modelType: 'xlm-roberta',
    prefix: 'roberta',
    sequenceClassifier: 'XLMRobertaForSequenceClassification',
    tokenClassifier: { architecture: 'XLMRobertaForTokenClassification', head: 'linear', dropout: 'classifier' },
    pooler: true,
    positions: 'after-padding',
    head: 'dense-tanh-out',
    // RobertaConfig's own default (its `<pad>` is id 1), for a config.json that leaves it out or null.
    defaults: { pad_token_id: 1 },
    maskedLm: { architecture: 'XLMRobertaForMaskedLM', renames: LM_HEAD, bias: 'lm_head.bias', activation: 'gelu' },
  },
  electra: {
    ...BERT_LIKE,
    modelType: 'electra',
    prefix: 'electra',
    sequenceClassifier: 'ElectraForSequenceClassification',
    tokenClassifier: { architecture: 'ElectraForTokenClassification', head: 'linear', dropout: 'classifier' },
    pooler: false,
    embeddingProjection: 'when-widths-differ',
    head: 'dense-gelu-out',
    maskedLm: {
      architecture: 'ElectraForMaskedLM',
      renames: [
        ['generator_predictions.dense', 'cls.predictions.transform.dense'],
        ['generator_predictions.LayerNorm', 'cls.predictions.transform.LayerNorm'],
        ['generator_lm_head', 'cls.predictions.decoder'],
      ],
      bias: 'generator_lm_head.bias',
      activation: 'gelu',
    },
  },
  distilbert: {
    ...BERT_LIKE,
    modelType: 'distilbert',
    prefix: 'distilbert',
    sequenceClassifier: 'DistilBertForSequenceClassification',
    tokenClassifier: { architecture: 'DistilBertForTokenClassification', head: 'linear', dropout: 'hidden' },
    tokenTypes: false,
    pooler: false,
    head: 'pre-relu',
    attentionOutputDropout: false,
    maskedLm: {
      architecture: 'DistilBertForMaskedLM',
      renames: [
        ['vocab_transform', 'cls.predictions.transform.dense'],
        ['vocab_layer_norm', 'cls.predictions.transform.LayerNorm'],
        ['vocab_projector', 'cls.predictions.decoder'],
      ],
      bias: 'vocab_projector.bias',
      activation: 'hidden_act',
      layerNormEps: 1e-12,
    },
    configKeys: {
      hidden_size: 'dim',
      num_hidden_layers: 'n_layers',
      num_attention_heads: 'n_heads',
      intermediate_size: 'hidden_dim',
      hidden_act: 'activation',
      hidden_dropout_prob: 'dropout',
      attention_probs_dropout_prob: 'attention_dropout',
    },
    absentKeys: ['type_vocab_size', 'layer_norm_eps'],
    classifierDropoutKey: 'seq_classif_dropout',
    defaults: { seq_classif_dropout: 0.2 },
    renames: [
      ['transformer.layer.{i}.attention.q_lin', 'encoder.layer.{i}.attention.self.query'],
      ['transformer.layer.{i}.attention.k_lin', 'encoder.layer.{i}.attention.self.key'],
      ['transformer.layer.{i}.attention.v_lin', 'encoder.layer.{i}.attention.self.value'],
      ['transformer.layer.{i}.attention.out_lin', 'encoder.layer.{i}.attention.output.dense'],
      ['transformer.layer.{i}.sa_layer_norm', 'encoder.layer.{i}.attention.output.LayerNorm'],
      ['transformer.layer.{i}.ffn.lin1', 'encoder.layer.{i}.intermediate.dense'],
      ['transformer.layer.{i}.ffn.lin2', 'encoder.layer.{i}.output.dense'],
      ['transformer.layer.{i}.output_layer_norm', 'encoder.layer.{i}.output.LayerNorm'],
    ],
  },
  albert: {
    ...BERT_LIKE,
    modelType: 'albert',
    prefix: 'albert',
    sequenceClassifier: 'AlbertForSequenceClassification',
    tokenClassifier: { architecture: 'AlbertForTokenClassification', head: 'linear', dropout: 'classifier' },
    pooler: true,
    embeddingProjection: 'always',
    sharedLayers: true,
    ffnDropout: false,
    head: 'linear',
    classifierDropoutKey: 'classifier_dropout_prob',
    maskedLm: {
      architecture: 'AlbertForMaskedLM',
      renames: [
        ['predictions.dense', 'cls.predictions.transform.dense'],
        ['predictions.LayerNorm', 'cls.predictions.transform.LayerNorm'],
        ['predictions', 'cls.predictions'],
      ],
      bias: 'predictions.bias',
      activation: 'hidden_act',
    },
    defaults: { embedding_size: 128, hidden_act: 'gelu_new', hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0.1 },
    renames: [
      ['encoder.embedding_hidden_mapping_in', 'embeddings_project'],
      [`${ALBERT_LAYER}.attention.query`, 'encoder.layer.0.attention.self.query'],
      [`${ALBERT_LAYER}.attention.key`, 'encoder.layer.0.attention.self.key'],
      [`${ALBERT_LAYER}.attention.value`, 'encoder.layer.0.attention.self.value'],
      [`${ALBERT_LAYER}.attention.dense`, 'encoder.layer.0.attention.output.dense'],
      [`${ALBERT_LAYER}.attention.LayerNorm`, 'encoder.layer.0.attention.output.LayerNorm'],
      [`${ALBERT_LAYER}.ffn`, 'encoder.layer.0.intermediate.dense'],
      [`${ALBERT_LAYER}.ffn_output`, 'encoder.layer.0.output.dense'],
      [`${ALBERT_LAYER}.full_layer_layer_norm`, 'encoder.layer.0.output.LayerNorm'],
      ['pooler', 'pooler.dense'],
    ],
  },
  'deberta-v2': {
    ...BERT_LIKE,
    modelType: 'deberta-v2',
    prefix: 'deberta',
    sequenceClassifier: 'DebertaV2ForSequenceClassification',
    tokenClassifier: { architecture: 'DebertaV2ForTokenClassification', head: 'linear', dropout: 'hidden' },
    tokenTypes: false,
    pooler: true,
    positions: 'relative',
    head: 'linear',
    classifierDropoutKey: 'cls_dropout',
    maskedLm: { architecture: 'DebertaV2ForMaskedLM', renames: [], bias: 'cls.predictions.bias', activation: 'hidden_act' },
    defaults: { layer_norm_eps: 1e-7, type_vocab_size: 0 },
    beside: ['pooler'],
    renames: [
      ['encoder.layer.{i}.attention.self.query_proj', 'encoder.layer.{i}.attention.self.query'],
      ['encoder.layer.{i}.attention.self.key_proj', 'encoder.layer.{i}.attention.self.key'],
      ['encoder.layer.{i}.attention.self.value_proj', 'encoder.layer.{i}.attention.self.value'],
    ],
  },
  modernbert: {
    ...BERT_LIKE,
    modelType: 'modernbert',
    prefix: 'model',
    sequenceClassifier: 'ModernBertForSequenceClassification',
    tokenClassifier: { architecture: 'ModernBertForTokenClassification', head: 'dense-act-norm', dropout: 'classifier' },
    tokenTypes: false,
    pooler: false,
    head: 'dense-act-norm',
    block: 'modernbert',
    maskedLm: {
      architecture: 'ModernBertForMaskedLM',
      renames: [
        ['head.dense', 'cls.predictions.transform.dense'],
        ['head.norm', 'cls.predictions.transform.LayerNorm'],
        ['decoder', 'cls.predictions.decoder'],
      ],
      bias: 'decoder.bias',
      activation: 'classifier_activation',
      transformBiases: false,
      namedAsClassifier: true,
      tiedTo: 'embeddings.tok_embeddings.weight',
    },
    configKeys: {
      hidden_act: 'hidden_activation',
      layer_norm_eps: 'norm_eps',
      hidden_dropout_prob: 'mlp_dropout',
      attention_probs_dropout_prob: 'attention_dropout',
    },
    absentKeys: ['type_vocab_size'],
    defaults: {
      hidden_act: 'gelu',
      layer_norm_eps: 1e-5,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      classifier_dropout: 0,
      max_position_embeddings: 8192,
    },
  },
};

/** The families bertft runs, in the order messages list them. */
export const SUPPORTED_FAMILIES = Object.keys(FAMILIES) as FamilyName[];

export const isFamilyName = (v: unknown): v is FamilyName => typeof v === 'string' && Object.hasOwn(FAMILIES, v);

/** The spec of a config's family (BERT when the config names none). */
export function familyOf(cfg: Pick<BertConfig, 'family'>): FamilySpec {
  return FAMILIES[cfg.family ?? 'bert'];
}

/** The row of the position table for the first token. */
export function positionOffset(cfg: BertConfig): number {
  return familyOf(cfg).positions === 'after-padding' ? cfg.padTokenId + 1 : 0;
}

/** The width E of the embedding tables (hidden_size unless the family factorises them). */
export function embeddingWidth(cfg: BertConfig): number {
  return cfg.embeddingSize ?? cfg.hiddenSize;
}

/** Whether the encoder has `embeddings_project` (E→H). */
export function hasEmbeddingProjection(cfg: BertConfig): boolean {
  const projection = familyOf(cfg).embeddingProjection;
  return projection === 'always' || (projection === 'when-widths-differ' && embeddingWidth(cfg) !== cfg.hiddenSize);
}

/** The layers with parameters of their own: L, or 1 when one layer serves at every depth. */
export function storedLayers(cfg: BertConfig): number {
  return familyOf(cfg).sharedLayers ? 1 : cfg.numHiddenLayers;
}

/** The parameter prefix of the layer at depth `i` (0-based): `encoder.layer.<i>`, or layer 0 when shared. */
export function layerPrefix(cfg: BertConfig, i: number): string {
  return `encoder.layer.${familyOf(cfg).sharedLayers ? 0 : i}`;
}

/**
 * Where a parameter sits in the stack, for layer-wise learning rates and partial unfreezing:
 * 0 = the embeddings with their projection, 1..L = encoder layers (a layer shared across depth
 * counts as the top one, L, since it is also that), L + 1 = the pooler; undefined for a head.
 */
export function depthOf(cfg: BertConfig, name: string): number | undefined {
  if (name.startsWith('embeddings.') || name.startsWith('embeddings_project.') || /^encoder\.(rel_embeddings|LayerNorm)\./.test(name)) return 0;
  const layer = /^(?:encoder\.layer|layers)\.(\d+)\./.exec(name);
  if (layer) return familyOf(cfg).sharedLayers ? cfg.numHiddenLayers : Number(layer[1]) + 1;
  if (name.startsWith('final_norm.')) return cfg.numHiddenLayers;
  return name.startsWith('pooler.') ? cfg.numHiddenLayers + 1 : undefined;
}

/** A rename pattern as a regex: the optional `{i}` (a layer index) is group `i`, the rest of the name group `rest`. */
function patternRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/\./g, '\\.').replace('{i}', '(?<i>\\d+)')}(?<rest>\\..+)$`);
}

function rename(name: string, renames: FamilySpec['renames'], from: 0 | 1): string {
  for (const pair of renames) {
    const m = patternRegex(pair[from]).exec(name);
    if (m) return `${pair[1 - from]!.replace('{i}', m.groups!.i ?? '')}${m.groups!.rest}`;
  }
  return name;
}

/** An encoder parameter's name in the family's task checkpoints (`roberta.encoder…`, `distilbert.transformer…`). */
export function hfName(family: FamilySpec, internal: string): string {
  if (family.beside?.some((m) => internal.startsWith(`${m}.`))) return internal;
  return `${family.prefix}.${rename(internal, family.renames, 1)}`;
}

/** A masked-LM head parameter's name in the family's checkpoints (`cls.predictions.bias` → `lm_head.bias`). */
export function hfMaskedLmName(family: FamilySpec, internal: string): string {
  const spec = family.maskedLm;
  if (!spec) return internal;
  return internal === 'cls.predictions.bias' ? spec.bias : rename(internal, spec.renames, 1);
}

/** bertft's name for a checkpoint name: the prefix (when present) dropped and the family's module names mapped to BERT's. */
export function internalName(family: FamilySpec, name: string): string {
  const unprefixed = name.startsWith(`${family.prefix}.`) ? name.slice(family.prefix.length + 1) : name;
  if (family.maskedLm && unprefixed === family.maskedLm.bias) return 'cls.predictions.bias';
  const encoder = rename(unprefixed, family.renames, 0);
  return family.maskedLm?.namedAsClassifier ? encoder : rename(encoder, family.maskedLm?.renames ?? [], 0);
}
