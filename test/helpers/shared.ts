import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestOptions } from 'node:test';
import { REPO_ROOT, SHARED_DIR } from '../../tools/shared-dir.js';

/** Repository root. */
export { REPO_ROOT };

/**
 * The embedded default model (models/bert-tiny-en: BERT-Tiny shape, bert-base-uncased vocabulary,
 * 128 positions, float16 weights, a masked-LM head and a pooler). It is in every checkout, so tests
 * that only need *a* real model use it. Its weights are replaced as pre-training improves: tests
 * compare implementations on it (bertft vs the float64 reference, onnxruntime vs TF.js, export vs
 * transformers.js), never its particular predictions.
 */
export const EMBEDDED_MODEL_DIR = join(REPO_ROOT, 'models', 'bert-tiny-en');

/**
 * The read-only shared/ folder beside the checkout (models, data sets, tokenizer files).
 * CI clones the repo with shared/ next to it; BERTFT_SHARED overrides (the lookup: tools/shared-dir.ts).
 */
export const SHARED = SHARED_DIR;

/** Whether shared/ is there. */
export const HAS_SHARED = existsSync(SHARED);

/** BERTFT_REQUIRE_SHARED=1 (CI, .ci/run): a missing shared/ fails the tests that need it instead of skipping them. */
export const REQUIRE_SHARED = process.env.BERTFT_REQUIRE_SHARED === '1';

/** Whether the tests that need shared/ run: it is there, or it is required (and its absence is then their failure). */
export const RUN_SHARED = HAS_SHARED || REQUIRE_SHARED;

/** The skip reason printed for each test that needs shared/ when it is absent. */
export const SHARED_SKIP_REASON = `needs ../shared (BERTFT_SHARED): no ${SHARED}; set BERTFT_REQUIRE_SHARED=1 to make this a failure, as CI does`;

let reportedMissing = false;

/**
 * The node:test options of a test that reads shared/: `test(name, needsShared(), fn)` or
 * `test(name, needsShared({ timeout }), fn)`. Without shared/ the test is skipped with
 * SHARED_SKIP_REASON, unless BERTFT_REQUIRE_SHARED=1: then it runs (and fails on the missing
 * files), and the file gets one more failing test that says why.
 */
export function needsShared(options: TestOptions = {}): TestOptions {
  if (HAS_SHARED) return options;
  if (!REQUIRE_SHARED) return { ...options, skip: SHARED_SKIP_REASON };
  if (!reportedMissing) {
    reportedMissing = true;
    test('../shared is there (BERTFT_REQUIRE_SHARED=1)', () => {
      assert.fail(
        `BERTFT_REQUIRE_SHARED=1 but there is no ${SHARED}: CI clones shared/ beside the checkout (or set BERTFT_SHARED); the tests below that need it fail`,
      );
    });
  }
  return options;
}

/**
 * A value read from shared/, loaded on first use (inside a test that has needsShared()) and then
 * kept: files that need shared/ only for some tests still load, and list their other tests, without it.
 */
export function sharedData<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

/** A path under shared/; throws, naming it, if it is not there. */
export function sharedPath(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test fixture missing: ${p} (shared/ beside the checkout, or set BERTFT_SHARED to it)`);
  }
  return p;
}

/**
 * shared/models/bert-tiny-imdb-mlm (BERT-Tiny pre-trained on IMDB, 512 positions, float32). Only for
 * tests that need this model in particular (reference numbers, 512 positions, calibrated limits);
 * other tests use EMBEDDED_MODEL_DIR. Tests that use it need needsShared().
 */
export const TINY_MODEL_DIR = join(SHARED, 'models', 'bert-tiny-imdb-mlm');
