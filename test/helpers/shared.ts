import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is test/helpers/shared.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The read-only shared/ folder beside the checkout (models, data sets, tokenizer files).
 * CI clones the repo with shared/ next to it; BERTFT_SHARED overrides.
 */
export const SHARED = process.env.BERTFT_SHARED ?? resolve(REPO_ROOT, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test fixture missing: ${p} (set BERTFT_SHARED to the shared/ folder)`);
  }
  return p;
}

export const TINY_MODEL_DIR = join(SHARED, 'models', 'bert-tiny-imdb-mlm');
