import { PROBLEM_TYPES, type ProblemType } from '../heads/classification.js';
import { POOLINGS, type Pooling } from '../models/bert/bert.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { familyOf } from '../models/bert/family.js';
import { rawFromBertConfig } from './config.js';
import { cappedMaxLength } from './positions.js';

/**
 * The classifier part of config.json, read and written here only: the Hugging Face keys of a
 * BertForSequenceClassification (`id2label`, `label2id`, `num_labels`, `problem_type`) and the
 * `bertft` section that `bertft train` adds. `predict`/`evaluate`/`serve` (TextClassifier) and
 * `export` read it through {@link readClassifierConfig}, so every reader applies the same fallbacks.
 */

/** What bertft records in config.json beyond the Hugging Face keys. */
export interface BertftConfigSection {
  pooling: Pooling;
  max_length: number;
  threshold?: number;
  strategy?: string;
  /**
   * The class weights of the training loss (`--class-weights balanced`), one per label. Evaluation
   * (`evaluate`, and the trainer's own) reports eval_loss with the same weights: the loss trained.
   */
  class_weights?: number[];
}

/** Everything a classifier folder's config.json says, to write it. */
export interface ClassifierFolder {
  config: BertConfig;
  /** The source model's config.json (unknown keys are kept). */
  baseRaw: RawConfig;
  labels: string[];
  problem: ProblemType;
  bertft: BertftConfigSection;
}

/** A classifier's settings as read back, every field resolved. */
export interface ClassifierSettings {
  labels: string[];
  problem: ProblemType;
  pooling: Pooling;
  maxLength: number;
  /** Multi-label decision threshold. */
  threshold: number;
  /** The strategy it was trained with (informational; absent for models from elsewhere). */
  strategy?: string;
  /** Class weights of the training loss, when it had them (single-label). */
  classWeights?: number[];
}

/** What reading needs to know about the weights beside config.json. */
export interface ClassifierWeightsInfo {
  config: BertConfig;
  /** Whether the checkpoint has `pooler.dense.*`. */
  hasPooler: boolean;
  /** Outputs of the head (rows of its weight). */
  numLabels: number;
}

/**
 * The pooling Hugging Face's `<Family>ForSequenceClassification` feeds its head: the one config.json's
 * `classifier_pooling` names (ModernBERT's; a masked-LM-only BERT's `mean`), else the pooler for a
 * family whose head is one linear layer on it (BERT, ALBERT), else the first token's hidden state
 * (RoBERTa, XLM-R, ELECTRA and DistilBERT's heads read `[:, 0]` and have no pooler).
 */
export function familyPooling(config: BertConfig): Pooling {
  if (config.classifierPooling) return config.classifierPooling;
  return familyOf(config).head === 'linear' ? 'pooler' : 'cls';
}

/**
 * The pooling that feeds the head when config.json does not record one: the family's
 * (`classifier_pooling`, else {@link familyPooling}), or `cls` for a checkpoint without pooler weights.
 */
export function fallbackPooling(hasPooler: boolean, config?: BertConfig): Pooling {
  if (config?.classifierPooling) return config.classifierPooling;
  if (!hasPooler) return 'cls';
  return config ? familyPooling(config) : 'pooler';
}

/**
 * Reads a classifier's settings from config.json. Fallbacks, for folders not written by bertft:
 * labels `LABEL_i`; problem type by the head's width (1 → regression, else single-label); pooling
 * {@link fallbackPooling}; max length min(512, positions); threshold 0.5; no class weights.
 */
export function readClassifierConfig(raw: RawConfig, weights: ClassifierWeightsInfo): ClassifierSettings {
  const r = raw as { id2label?: Record<string, string>; problem_type?: unknown; bertft?: Partial<Record<keyof BertftConfigSection, unknown>> };
  const section = r.bertft ?? {};
  const width = weights.numLabels;
  const labels = Array.from({ length: width }, (_, i) => r.id2label?.[String(i)] ?? `LABEL_${i}`);
  const problem = (PROBLEM_TYPES as readonly unknown[]).includes(r.problem_type)
    ? (r.problem_type as ProblemType)
    : width === 1
      ? 'regression'
      : 'single_label_classification';
  const pooling = (POOLINGS as readonly unknown[]).includes(section.pooling)
    ? (section.pooling as Pooling)
    : fallbackPooling(weights.hasPooler, weights.config);
  const maxLength = typeof section.max_length === 'number' ? section.max_length : cappedMaxLength(weights.config, 512);
  const threshold = typeof section.threshold === 'number' ? section.threshold : 0.5;
  const strategy = typeof section.strategy === 'string' ? section.strategy : undefined;
  const w = section.class_weights;
  const classWeights = Array.isArray(w) && w.length === width && w.every((v) => typeof v === 'number') ? (w as number[]) : undefined;
  return { labels, problem, pooling, maxLength, threshold, ...(strategy !== undefined ? { strategy } : {}), ...(classWeights ? { classWeights } : {}) };
}

/** The `bertft` section that records `settings` (the inverse of {@link readClassifierConfig}). */
export function bertftSection(settings: ClassifierSettings): BertftConfigSection {
  return {
    pooling: settings.pooling,
    max_length: settings.maxLength,
    threshold: settings.threshold,
    ...(settings.strategy !== undefined ? { strategy: settings.strategy } : {}),
    ...(settings.classWeights ? { class_weights: settings.classWeights } : {}),
  };
}

/** config.json of a `<Family>ForSequenceClassification` with labels, problem type and the bertft section. */
export function classifierRawConfig(folder: ClassifierFolder): RawConfig {
  const family = familyOf(folder.config);
  const raw = rawFromBertConfig(folder.config, folder.baseRaw);
  const labels = folder.problem === 'regression' ? ['LABEL_0'] : folder.labels;
  // The classifier's own dropout: `null` (→ hidden dropout) unless the config sets one (rawFromBertConfig wrote it then).
  const dropout = family.classifierDropoutKey === 'classifier_dropout' && folder.config.classifierDropout === undefined ? { classifier_dropout: null } : {};
  // ModernBERT's head reads the pooling from config.json: record the one trained, so transformers pools alike.
  // A config that names one (a masked-LM-only BERT's `mean`) names the trained one too, or none for the pooler.
  const named = folder.config.modernBert !== undefined || folder.config.classifierPooling !== undefined;
  const pooling = !named ? {} : folder.bertft.pooling !== 'pooler' ? { classifier_pooling: folder.bertft.pooling } : { classifier_pooling: undefined };
  return {
    ...raw,
    architectures: [family.sequenceClassifier],
    model_type: family.modelType,
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    problem_type: folder.problem,
    ...dropout,
    ...pooling,
    bertft: folder.bertft,
  };
}
