import { readBertConfig } from '../checkpoint/index.js';
import { bertConfigFromRaw } from '../checkpoint/config.js';
import { UsageError } from '../errors.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { dirname } from 'node:path';
import { existsSync } from 'node:fs';

/** The defaults of `bertft pretrain` and `pretrain()`, in one place (CLI help reads them too). */
export const PRETRAIN_DEFAULTS = {
  batchSize: 128,
  gradientAccumulation: 1,
  /** From scratch: a high peak LR for small models (Cramming; Turc et al.). */
  learningRate: 1e-3,
  /** Continued (domain-adaptive) pre-training starts from trained weights: gentler. */
  continueLearningRate: 1e-4,
  warmupRatio: 0.06,
  weightDecay: 0.01,
  maxGradNorm: 1,
  maxLength: 128,
  mlmProbability: 0.15,
  dropout: 0,
  seed: 0,
  evalEvery: 500,
  evalSequences: 512,
  saveEveryMinutes: 5,
} as const;

/** The compact BERT shapes of Turc et al. 2019 ("Well-Read Students Learn Better"). */
export const MODEL_PRESETS: Record<string, { layers: number; hidden: number }> = {
  tiny: { layers: 2, hidden: 128 },
  mini: { layers: 4, hidden: 256 },
  small: { layers: 4, hidden: 512 },
  medium: { layers: 8, hidden: 512 },
};

/** A from-scratch config: a preset name, or a config.json file (or folder holding one). */
export async function modelPreset(spec: string, vocabSize: number, padTokenId: number): Promise<{ config: BertConfig; raw: RawConfig }> {
  const preset = MODEL_PRESETS[spec.toLowerCase()];
  if (preset) {
    const raw: RawConfig = {
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      vocab_size: vocabSize,
      hidden_size: preset.hidden,
      num_hidden_layers: preset.layers,
      num_attention_heads: preset.hidden / 64,
      intermediate_size: 4 * preset.hidden,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: padTokenId,
      initializer_range: 0.02,
      position_embedding_type: 'absolute',
    };
    return { config: bertConfigFromRaw(raw, spec), raw };
  }
  if (!existsSync(spec)) throw new UsageError(`--config must be one of ${Object.keys(MODEL_PRESETS).join(', ')} or a config.json file; got "${spec}"`);
  const dir = spec.endsWith('.json') ? dirname(spec) : spec;
  const { config, raw } = await readBertConfig(dir);
  if (config.vocabSize < vocabSize) throw new UsageError(`${spec}: vocab_size ${config.vocabSize} is smaller than the tokenizer's ${vocabSize} tokens`);
  return { config, raw };
}
