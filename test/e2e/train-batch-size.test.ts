/**
 * One meaning of --batch-size: examples per optimiser step, in every command. With
 * --gradient-accumulation-steps N each step is N micro-batches of batch-size / N examples (the
 * trainer batches by the micro-batch), so `--batch-size 32 --gradient-accumulation-steps 2` is the
 * run that `--batch-size 16 --gradient-accumulation-steps 2` was before the change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { epochsRule, microBatchSize, stepsPerEpoch } from '../../src/training/defaults.js';
import { fineTune } from '../../src/training/fine-tune.js';
import { runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { sentimentLines } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-batch-'));
const TRAIN = join(dir, 'train.tsv');
const DEV = join(dir, 'dev.tsv');
writeFileSync(TRAIN, `${sentimentLines(120, 4).join('\n')}\n`);
writeFileSync(DEV, `${sentimentLines(32, 5).join('\n')}\n`);

test('the rules count steps of batch-size examples in micro-batches of batch-size / N', () => {
  assert.equal(microBatchSize(32, 1), 32);
  assert.equal(microBatchSize(32, 2), 16);
  // 5,000 examples in micro-batches of 16: 313 of them, 157 steps of two.
  assert.equal(stepsPerEpoch(5000, 32, 2), 157);
  assert.equal(stepsPerEpoch(5000, 32), 157);
  assert.equal(stepsPerEpoch(10, 64, 4), 1);
  const full = { kind: 'full' } as const;
  assert.equal(epochsRule(full, 5000, 32, 2).value, Math.ceil(1000 / 157));
  assert.equal(epochsRule(full, 5000, 64, 2).value, Math.ceil(1000 / 79));
});

test('a batch that does not split evenly is one usage error naming both flags', () => {
  const refused = (b: number, n: number) =>
    assert.throws(
      () => microBatchSize(b, n),
      (e: unknown) => e instanceof UsageError && /--(batch-size|gradient-accumulation-steps)/.test(e.message),
    );
  refused(30, 4);
  refused(16, 32);
  refused(32, 0);
  refused(32, 1.5);
  assert.throws(
    () => microBatchSize(30, 4),
    /--batch-size \(30, examples per optimiser step\) must be a whole multiple of --gradient-accumulation-steps \(4\)/,
  );
  const r = runCli([
    'train',
    '--model',
    EMBEDDED_MODEL_DIR,
    '--train',
    TRAIN,
    '-o',
    join(dir, 'bad'),
    '--batch-size',
    '30',
    '--gradient-accumulation-steps',
    '4',
  ]);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^bertft: error: --batch-size \(30.*--gradient-accumulation-steps \(4\)/);
});

test('fineTune: 32 examples a step in 2 micro-batches of 16; the record keeps both numbers', async () => {
  const r = await fineTune({
    model: EMBEDDED_MODEL_DIR,
    train: TRAIN,
    validation: DEV,
    output: join(dir, 'accum'),
    batchSize: 32,
    gradientAccumulation: 2,
    epochs: 1,
    maxLength: 32,
    seed: 1,
    earlyStoppingPatience: 0,
    engine: 'onnxruntime',
  });
  assert.equal(r.hyperparameters.batch_size, 32);
  assert.equal(r.hyperparameters.gradient_accumulation_steps, 2);
  // 120 rows: 8 micro-batches of 16 (the last holds 8), so 4 optimiser steps in the epoch.
  assert.equal(r.history.at(-1)!.step, 4);
  assert.equal(r.history.at(-1)!.step, stepsPerEpoch(120, 32, 2));
});
