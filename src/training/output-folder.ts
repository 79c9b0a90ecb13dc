import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { saveBertWeights, writeConfig, writeFileAtomic } from '../checkpoint/index.js';
import { classifierRawConfig, type ClassifierFolder } from '../checkpoint/classifier-config.js';
import { writeTokenizerConfig } from '../checkpoint/tokenizer-config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { splitClassifierParams } from '../heads/classification.js';

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
  const present = new Set(await readdir(tokenizerDir));
  for (const f of TOKENIZER_FILES) {
    if (present.has(f) && tokenizerDir !== dir) await copyFile(join(tokenizerDir, f), join(dir, f));
  }
  // model_max_length = the length predict truncates at, so transformers.js and Python cut texts at the same word piece.
  await writeTokenizerConfig(tokenizerDir, dir, folder.bertft.max_length);
}

/** Writes training_results.json atomically. */
export async function writeTrainingResults(dir: string, results: unknown): Promise<void> {
  await writeFileAtomic(join(dir, 'training_results.json'), `${JSON.stringify(results, null, 2)}\n`);
}
