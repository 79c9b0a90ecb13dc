/**
 * Where the read-only shared/ folder is (models, data sets, tokenizer files): beside the checkout (../shared), or
 * BERTFT_SHARED. The one lookup for test/helpers/shared.ts, bench/ and scripts/; nothing in src/ uses it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tools/shared-dir.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The shared/ folder: BERTFT_SHARED, else ../shared beside the checkout. */
export const SHARED_DIR = process.env.BERTFT_SHARED ?? resolve(REPO_ROOT, '..', 'shared');

/** A path under shared/; throws, naming it and how to point at shared/, if it is not there. */
export function sharedPath(...parts: string[]): string {
  const p = join(SHARED_DIR, ...parts);
  if (!existsSync(p)) throw new Error(`missing: ${p} (shared/ beside the checkout, or set BERTFT_SHARED to it)`);
  return p;
}
