import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { saveBertWeights, writeConfig, writeFileAtomic } from '../checkpoint/index.js';
import { classifierRawConfig, type ClassifierFolder } from '../checkpoint/classifier-config.js';
import { writeTokenizerConfig } from '../checkpoint/tokenizer-config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { splitClassifierParams } from '../heads/classification.js';
import { tokenClassifierRawConfig, type TokenClassifierSettings } from '../checkpoint/token-classifier-config.js';
import type { PretrainedFolder } from '../pretrained.js';

/**
 * Tokenizer files copied next to a saved model, so the folder is complete on its own.
 * tokenizer_config.json is written, not copied: it carries the trained max_length (checkpoint/tokenizer-config.ts).
 */
const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'special_tokens_map.json'];

/**
 * Writes (or refreshes) a Hugging Face classifier folder: config.json, model.safetensors with HF
 * names (the family's prefix, `bert.` for BERT, + the unprefixed head) and the tokenizer files. Each file is replaced
 * atomically, so a crash leaves either the old file or the new one.
 */
export async function writeClassifierFolder(
  dir: string,
  folder: ClassifierFolder,
  weights: ReadonlyMap<string, HostTensor>,
  tokenizerDir: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { encoder, head } = splitClassifierParams(weights);
  await saveBertWeights(dir, encoder, head, folder.config);
  await writeConfig(dir, classifierRawConfig(folder));
  // model_max_length = the length predict truncates at, so transformers.js and Python cut texts at the same word piece.
  await copyTokenizerFiles(tokenizerDir, dir, folder.bertft.max_length);
}

/**
 * Writes (or refreshes) a `<Family>ForTokenClassification` folder: config.json with the tags and
 * bertft's window settings, model.safetensors (the family's prefix + the unprefixed head) and the
 * tokenizer files, each replaced atomically.
 */
export async function writeTokenClassifierFolder(
  dir: string,
  source: Pick<PretrainedFolder, 'dir' | 'config' | 'raw'>,
  settings: TokenClassifierSettings,
  weights: ReadonlyMap<string, HostTensor>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { encoder, head } = splitClassifierParams(weights);
  await saveBertWeights(dir, encoder, head, source.config);
  await writeConfig(dir, tokenClassifierRawConfig(source.config, source.raw, settings));
  await copyTokenizerFiles(source.dir, dir, settings.maxLength);
}

/** Copies the tokenizer files and writes tokenizer_config.json with `model_max_length` = the length the model was trained at. */
async function copyTokenizerFiles(tokenizerDir: string, dir: string, maxLength: number): Promise<void> {
  const present = new Set(await readdir(tokenizerDir));
  for (const f of TOKENIZER_FILES) {
    if (present.has(f) && tokenizerDir !== dir) await copyFile(join(tokenizerDir, f), join(dir, f));
  }
  await writeTokenizerConfig(tokenizerDir, dir, maxLength);
}

/** Writes training_results.json atomically. */
export async function writeTrainingResults(dir: string, results: unknown): Promise<void> {
  await writeFileAtomic(join(dir, 'training_results.json'), `${JSON.stringify(results, null, 2)}\n`);
}
