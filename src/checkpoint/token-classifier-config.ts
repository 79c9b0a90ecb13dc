import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { familyOf } from '../models/bert/family.js';
import { rawFromBertConfig } from './config.js';
import { cappedMaxLength } from './positions.js';

/**
 * The token-classifier part of config.json, read and written here only: the Hugging Face keys of a
 * `<Family>ForTokenClassification` (`architectures`, `id2label`, `label2id`, `num_labels`) and the
 * `bertft` section `bertft train --task token-classification` adds. A folder is a token classifier
 * when its `architectures` says so: BERT's token head has the very names and shapes of its sequence
 * head (`classifier.weight` [C, H]), so the weights alone cannot tell.
 */

/** What bertft records beyond the Hugging Face keys. */
export interface TokenClassifierSection {
  task: 'token-classification';
  /** Tokens per window, specials included. */
  max_length: number;
  /** Tokens shared by consecutive windows of a long text. */
  stride: number;
  /** Whether every piece of a word was trained on its label (else the first piece only). */
  label_all_tokens: boolean;
  strategy?: string;
  class_weights?: number[];
}

/** A token classifier's settings as read back, every field resolved. */
export interface TokenClassifierSettings {
  labels: string[];
  maxLength: number;
  stride: number;
  labelAllTokens: boolean;
  strategy?: string;
  classWeights?: number[];
}

/** Whether config.json describes a `<Family>ForTokenClassification`. */
export function isTokenClassifierConfig(raw: RawConfig): boolean {
  const architectures = (raw as { architectures?: unknown }).architectures;
  return Array.isArray(architectures) && architectures.some((a) => typeof a === 'string' && a.endsWith('ForTokenClassification'));
}

/** The default stride: a quarter of the window, so every token has context on both sides in some window. */
export function defaultStride(maxLength: number): number {
  return Math.floor(maxLength / 4);
}

/**
 * Reads a token classifier's settings. Fallbacks, for folders not written by bertft: labels from
 * `id2label` else `LABEL_i`; max length min(512, positions); stride a quarter of it; first piece only.
 */
export function readTokenClassifierConfig(raw: RawConfig, config: BertConfig, numLabels: number): TokenClassifierSettings {
  const r = raw as { id2label?: Record<string, string>; bertft?: Partial<Record<keyof TokenClassifierSection, unknown>> };
  const section = r.bertft ?? {};
  const labels = Array.from({ length: numLabels }, (_, i) => r.id2label?.[String(i)] ?? `LABEL_${i}`);
  const maxLength = typeof section.max_length === 'number' ? section.max_length : cappedMaxLength(config, 512);
  const stride = typeof section.stride === 'number' ? section.stride : defaultStride(maxLength);
  const strategy = typeof section.strategy === 'string' ? section.strategy : undefined;
  const w = section.class_weights;
  const classWeights = Array.isArray(w) && w.length === numLabels && w.every((v) => typeof v === 'number') ? (w as number[]) : undefined;
  return {
    labels,
    maxLength,
    stride,
    labelAllTokens: section.label_all_tokens === true,
    ...(strategy !== undefined ? { strategy } : {}),
    ...(classWeights ? { classWeights } : {}),
  };
}

/** The `bertft` section recording `settings` (the inverse of {@link readTokenClassifierConfig}). */
export function tokenClassifierSection(settings: TokenClassifierSettings): TokenClassifierSection {
  return {
    task: 'token-classification',
    max_length: settings.maxLength,
    stride: settings.stride,
    label_all_tokens: settings.labelAllTokens,
    ...(settings.strategy !== undefined ? { strategy: settings.strategy } : {}),
    ...(settings.classWeights ? { class_weights: settings.classWeights } : {}),
  };
}

/** Sequence-classifier keys a base folder may carry that a token classifier must not (its loss is always cross-entropy). */
const SEQUENCE_ONLY_KEYS = ['problem_type'];

/** config.json of a `<Family>ForTokenClassification` with its labels and the bertft section. */
export function tokenClassifierRawConfig(config: BertConfig, baseRaw: RawConfig, settings: TokenClassifierSettings): RawConfig {
  const family = familyOf(config);
  const raw = rawFromBertConfig(config, baseRaw);
  for (const key of SEQUENCE_ONLY_KEYS) delete (raw as Record<string, unknown>)[key];
  const { labels } = settings;
  return {
    ...raw,
    architectures: [family.tokenClassifier.architecture],
    model_type: family.modelType,
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    bertft: tokenClassifierSection(settings),
  };
}
