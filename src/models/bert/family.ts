import type { BertConfig } from './config.js';

/**
 * The BERT family as data: what each encoder that shares BERT's post-LN layer stack does
 * differently. The model (bert.ts), the heads (heads/classification.ts) and the checkpoint readers
 * and writers (checkpoint/) all ask this table; none of them names a family. Parameter names
 * inside bertft are BERT's, without a prefix, for every family; {@link hfName} and
 * {@link internalName} translate to and from a family's checkpoint names.
 */

export type FamilyName = 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta' | 'electra';

/**
 * The sequence-classification head of `<Family>ForSequenceClassification`, on the pooled features:
 * - `linear`: dropout → `classifier` (BERT, on the pooler's output);
 * - `dense-tanh-out` / `dense-gelu-out`: dropout → `classifier.dense` → tanh/gelu → dropout → `classifier.out_proj` (RoBERTa, XLM-R / ELECTRA);
 * - `pre-relu`: `pre_classifier` → ReLU → dropout → `classifier` (DistilBERT).
 */
export type HeadKind = 'linear' | 'dense-tanh-out' | 'dense-gelu-out' | 'pre-relu';

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
  /** Position ids: from 0, or from `pad_token_id + 1` (RoBERTa's `create_position_ids_from_input_ids`, right padding). */
  positions: 'from-zero' | 'after-padding';
  /** Whether `embedding_size` may differ from `hidden_size`, with `embeddings_project` (E→H) after the embedding LayerNorm. */
  embeddingProjection: boolean;
  head: HeadKind;
  /** config.json keys that the family spells differently: BERT's key → the family's. */
  configKeys: Readonly<Record<string, string>>;
  /** BERT keys the family's config.json does not have (not written back). */
  absentKeys: readonly string[];
  /** The key of the classifier's dropout rate (`null` → hidden dropout). */
  classifierDropoutKey: string;
  /** Module paths the family names differently: [the family's, BERT's], `{i}` a layer index. */
  renames: readonly (readonly [string, string])[];
}

const BERT_LIKE = {
  tokenTypes: true,
  positions: 'from-zero',
  embeddingProjection: false,
  configKeys: {},
  absentKeys: [],
  classifierDropoutKey: 'classifier_dropout',
  renames: [],
} as const;

export const FAMILIES: Readonly<Record<FamilyName, FamilySpec>> = {
  bert: { ...BERT_LIKE, modelType: 'bert', prefix: 'bert', sequenceClassifier: 'BertForSequenceClassification', pooler: true, head: 'linear' },
  roberta: {
    ...BERT_LIKE,
    modelType: 'roberta',
    prefix: 'roberta',
    sequenceClassifier: 'RobertaForSequenceClassification',
    pooler: true,
    positions: 'after-padding',
    head: 'dense-tanh-out',
  },
  'xlm-roberta': {
    ...BERT_LIKE,
    modelType: 'xlm-roberta',
    prefix: 'roberta',
    sequenceClassifier: 'XLMRobertaForSequenceClassification',
    pooler: true,
    positions: 'after-padding',
    head: 'dense-tanh-out',
  },
  electra: {
    ...BERT_LIKE,
    modelType: 'electra',
    prefix: 'electra',
    sequenceClassifier: 'ElectraForSequenceClassification',
    pooler: false,
    embeddingProjection: true,
    head: 'dense-gelu-out',
  },
  distilbert: {
    ...BERT_LIKE,
    modelType: 'distilbert',
    prefix: 'distilbert',
    sequenceClassifier: 'DistilBertForSequenceClassification',
    tokenTypes: false,
    pooler: false,
    head: 'pre-relu',
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
  return familyOf(cfg).embeddingProjection && embeddingWidth(cfg) !== cfg.hiddenSize;
}

/** `{i}` in a rename pattern → a regex group for the layer index. */
function patternRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/\./g, '\\.').replace('{i}', '(\\d+)')}(\\..+)$`);
}

function rename(name: string, renames: FamilySpec['renames'], from: 0 | 1): string {
  for (const pair of renames) {
    const m = patternRegex(pair[from]).exec(name);
    if (m) return `${pair[1 - from]!.replace('{i}', m[1]!)}${m[2]}`;
  }
  return name;
}

/** An encoder parameter's name in the family's task checkpoints (`roberta.encoder…`, `distilbert.transformer…`). */
export function hfName(family: FamilySpec, internal: string): string {
  return `${family.prefix}.${rename(internal, family.renames, 1)}`;
}

/** bertft's name for a checkpoint name: the prefix (when present) dropped and the family's module names mapped to BERT's. */
export function internalName(family: FamilySpec, name: string): string {
  const unprefixed = name.startsWith(`${family.prefix}.`) ? name.slice(family.prefix.length + 1) : name;
  return rename(unprefixed, family.renames, 0);
}
