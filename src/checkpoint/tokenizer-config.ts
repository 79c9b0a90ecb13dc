import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * tokenizer_config.json of a folder bertft writes (a training output, a pre-training output, an
 * ONNX export), with `model_max_length` set to the length the model was trained at.
 *
 * Why: transformers.js truncates at `model_max_length` (the text-classification pipeline passes
 * `truncation: true` with no length), and so does Python `transformers` with `truncation=True`.
 * Hugging Face checkpoints usually store 1e30 there (no limit) or the position-table size (512),
 * while bertft predicts at the trained `max_length` (config.json `bertft.max_length`, 128 by
 * default). Writing the trained length here makes all three cut a long text at the same word piece.
 */

/** The source folder's tokenizer_config.json (BertTokenizer's defaults when it has none). */
export function readTokenizerConfig(dir: string): Record<string, unknown> {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return { tokenizer_class: 'BertTokenizer' };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new BertftError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** The source's settings with `model_max_length` = `maxLength`, as file text. */
export function tokenizerConfigText(sourceDir: string, maxLength: number): string {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new BertftError(`model_max_length must be a positive whole number, got ${maxLength}`);
  return `${JSON.stringify({ ...readTokenizerConfig(sourceDir), model_max_length: maxLength }, null, 2)}\n`;
}

/** Writes `outDir/tokenizer_config.json` (atomically) from `sourceDir`'s with `model_max_length` = `maxLength`. */
export async function writeTokenizerConfig(sourceDir: string, outDir: string, maxLength: number): Promise<void> {
  await writeFileAtomic(join(outDir, 'tokenizer_config.json'), tokenizerConfigText(sourceDir, maxLength));
}

/** `model_max_length` of a folder's tokenizer_config.json when it is a usable bound (not HF's 1e30 "no limit"). */
export function modelMaxLength(dir: string, maxPositions: number): number | undefined {
  const v = readTokenizerConfig(dir).model_max_length;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= maxPositions ? v : undefined;
}
