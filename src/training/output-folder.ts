import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rawFromBertConfig, saveBertWeights, writeConfig, writeFileAtomic } from '../checkpoint/index.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { splitClassifierParams, type ProblemType } from '../heads/classification.js';

/** Tokenizer files copied next to a saved model, so the folder is complete on its own. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'];

/** What bertft records in config.json beyond the Hugging Face keys (read back by predict). */
export interface BertftConfigSection {
  pooling: Pooling;
  max_length: number;
  threshold?: number;
  strategy?: string;
}

export interface ClassifierFolder {
  config: BertConfig;
  /** The source model's config.json (unknown keys are kept). */
  baseRaw: RawConfig;
  labels: string[];
  problem: ProblemType;
  bertft: BertftConfigSection;
}

/** config.json of a BertForSequenceClassification with labels and problem type. */
export function classifierConfig(folder: ClassifierFolder): RawConfig {
  const raw = rawFromBertConfig(folder.config, folder.baseRaw);
  const labels = folder.problem === 'regression' ? ['LABEL_0'] : folder.labels;
  return {
    ...raw,
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    problem_type: folder.problem,
    classifier_dropout: null,
    bertft: folder.bertft,
  };
}

/**
 * Writes (or refreshes) a Hugging Face classifier folder: config.json, model.safetensors with HF
 * names (`bert.` prefix + the unprefixed head) and the tokenizer files. Each file is replaced
 * atomically, so a crash leaves either the old file or the new one.
 */
export async function writeClassifierFolder(dir: string, folder: ClassifierFolder, weights: ReadonlyMap<string, HostTensor>, tokenizerDir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { encoder, head } = splitClassifierParams(weights);
  await saveBertWeights(dir, encoder, head);
  await writeConfig(dir, classifierConfig(folder));
  const present = new Set(await readdir(tokenizerDir));
  for (const f of TOKENIZER_FILES) {
    if (present.has(f) && tokenizerDir !== dir) await copyFile(join(tokenizerDir, f), join(dir, f));
  }
}

/** Writes training_results.json atomically. */
export async function writeTrainingResults(dir: string, results: unknown): Promise<void> {
  await writeFileAtomic(join(dir, 'training_results.json'), JSON.stringify(results, null, 2) + '\n');
}
