import { loadBertWeights, readBertConfig } from './checkpoint/index.js';
import { cappedMaxLength, usablePositions } from './checkpoint/positions.js';
import { modelMaxLength } from './checkpoint/tokenizer-config.js';
import { isTokenClassifierConfig } from './checkpoint/token-classifier-config.js';
import { resolveModelDir } from './hub/index.js';
import type { BertConfig, RawConfig } from './models/bert/config.js';
import { familyOf } from './models/bert/family.js';
import type { HostTensor } from './models/host-tensor.js';
import { BertTokenizer } from './tokenization/index.js';
import { UsageError } from './errors.js';

/** Everything a Hugging Face BERT folder provides, loaded into host memory. */
export interface PretrainedFolder {
  /** The local folder (a Hub id resolves to its cache snapshot). */
  dir: string;
  config: BertConfig;
  /** config.json as published, so unknown keys survive a save. */
  raw: RawConfig;
  /** Encoder weights by HF name without the `bert.` prefix. */
  weights: Map<string, HostTensor>;
  hasPooler: boolean;
  /** The classification head (heads/classification.ts) when the folder is a BertForSequenceClassification. */
  classifier?: Map<string, HostTensor>;
  /** The token-classification head (heads/token-classification.ts) when config.json's architectures name a `…ForTokenClassification`. */
  tokenClassifier?: Map<string, HostTensor>;
  /** The masked-LM head (`cls.predictions.*`) when the folder has one. */
  mlmHead?: Map<string, HostTensor>;
  tokenizer: BertTokenizer;
}

export interface PretrainedLoadOptions {
  /** Use only the local Hub cache (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Hub revision (branch, tag or commit) for Hub ids. */
  revision?: string;
}

/** Resolves a folder or Hub id and loads its config, weights and tokenizer. */
export async function loadPretrained(model: string, options: PretrainedLoadOptions = {}): Promise<PretrainedFolder> {
  const dir = await resolveModelDir(model, { offline: options.offline, revision: options.revision });
  const { config, raw } = await readBertConfig(dir);
  // Both load in parallel; a weights problem (say, a pytorch_model.bin-only folder) is reported
  // before a tokenizer problem, since it is the one that says what the folder is.
  // Type ids past the model's token-type table (a pair's 1 for RoBERTa and XLM-R) become 0.
  const typeVocabSize = familyOf(config).tokenTypes ? config.typeVocabSize : undefined;
  const [weightsResult, tokenizerResult] = await Promise.allSettled([
    loadBertWeights(dir, config, { tokenHead: isTokenClassifierConfig(raw) }),
    BertTokenizer.fromDir(dir, { typeVocabSize }),
  ]);
  if (weightsResult.status === 'rejected') throw weightsResult.reason;
  if (tokenizerResult.status === 'rejected') throw tokenizerResult.reason;
  const loaded = weightsResult.value;
  const tokenizer = tokenizerResult.value;
  return {
    dir,
    config,
    raw,
    weights: loaded.weights,
    hasPooler: loaded.hasPooler,
    classifier: loaded.classifier,
    tokenClassifier: loaded.tokenClassifier,
    mlmHead: loaded.mlmHead,
    tokenizer,
  };
}

/**
 * What Hugging Face's `truncation=True` cuts at: tokenizer_config.json's `model_max_length` when it
 * is a usable bound, else 512, capped by {@link usablePositions}.
 */
export function defaultMaxLength(dir: string, config: BertConfig): number {
  const positions = usablePositions(config);
  return modelMaxLength(dir, positions) ?? cappedMaxLength(config, 512);
}

/**
 * The masked-LM heads bertft reads, trains and writes are the family specs' `maskedLm` (family.ts):
 * BERT's, RoBERTa's and XLM-R's `lm_head`, DistilBERT's `vocab_projector`, ELECTRA's generator,
 * ALBERT's E-wide `predictions`, DeBERTa-v2's `cls.predictions` and ModernBERT's `head` + `decoder`.
 * `pretrain`, `fill-mask`, `augment --method mlm` and DAPT refuse a family without one here, on one line.
 */
export function checkMaskedLmFamily(config: BertConfig, where: string, command: string): void {
  const family = familyOf(config);
  if (family.maskedLm) return;
  throw new UsageError(`${where}: ${command} needs a masked-LM head, and model_type "${family.modelType}"'s is not supported yet`);
}
