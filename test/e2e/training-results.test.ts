/**
 * TrainingResults (src/report/types.ts) describes the results files exactly: the keys a fine-tuning
 * run writes to training_results.json and a pre-training run to pretraining_results.json are the
 * keys of ClassificationResults and PretrainingResults (tables checked by the compiler against the
 * types), and writeReport renders either kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fineTune } from '../../src/training/fine-tune.js';
import { pretrain } from '../../src/pretraining/pretrain.js';
import {
  isPretrainingResults,
  writeReport,
  type ClassificationHyperparameters,
  type ClassificationResults,
  type PretrainingResults,
  type TrainingResults,
} from '../../src/report/index.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { sentimentLines } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-results-'));
const TRAIN = join(dir, 'train.tsv');
writeFileSync(TRAIN, `${sentimentLines(80, 6).join('\n')}\n`);
const TEXT = join(dir, 'text.txt');
writeFileSync(
  TEXT,
  `${sentimentLines(64, 7)
    .map((l) => l.split('\t')[1])
    .join('\n')}\n`,
);

/** Every key of the type: true when a plain run (no domain adaptation, no autotune) writes it. */
const CLASSIFICATION_KEYS: Record<keyof ClassificationResults, boolean> = {
  bertft_version: true,
  model: true,
  output_dir: true,
  problem_type: true,
  labels: true,
  strategy: true,
  engine: true,
  backend: true,
  hyperparameters: true,
  recipe_rules: true,
  advice: true,
  history: true,
  steps: true,
  final_eval: true,
  best: true,
  interrupted: true,
  train_runtime_s: true,
  feature_extraction_s: true,
  train_examples: true,
  eval_examples: true,
  train_examples_per_s: true,
  started_at: true,
  finished_at: true,
  domain_adaptation: false,
  autotune: false,
};
const HYPERPARAMETER_KEYS: Record<keyof ClassificationHyperparameters, boolean> = {
  model: true,
  init: true,
  strategy: true,
  pooling: true,
  epochs: true,
  max_steps: true,
  batch_size: true,
  gradient_accumulation_steps: true,
  learning_rate: true,
  head_lr: true,
  layer_lr_decay: true,
  warmup_ratio: true,
  weight_decay: true,
  max_grad_norm: true,
  seed: true,
  max_length: true,
  eval_steps: true,
  early_stopping_patience: true,
  metric_for_best_model: true,
  threshold: true,
  class_weights: true,
  limit: true,
  augment: true,
  domain_adaptation: false,
  target_text: false,
  domain_lambda: false,
  coral_weight: false,
  dapt_steps: false,
};
/** Every key of PretrainingResults: true when a run with held-out text writes it. */
const PRETRAINING_KEYS: Record<keyof PretrainingResults, boolean> = {
  problem_type: false,
  source: true,
  architecture: true,
  corpus: true,
  eval_corpus: true,
  hyperparameters: true,
  steps: true,
  tokens_seen: true,
  epochs: true,
  elapsed_s: true,
  final_train_loss: true,
  final_eval: true,
  history: true,
  evals: true,
  snapshots: true,
};
const written = (keys: Record<string, boolean>) =>
  Object.keys(keys)
    .filter((k) => keys[k])
    .sort();

test('training_results.json has exactly the keys of ClassificationResults, and fineTune returns what it wrote', async () => {
  const out = join(dir, 'frozen');
  const r = await fineTune({
    model: EMBEDDED_MODEL_DIR,
    train: TRAIN,
    output: out,
    strategy: 'frozen',
    epochs: 1,
    maxLength: 32,
    featureCacheDir: join(dir, 'features'),
  });
  const saved = JSON.parse(readFileSync(join(out, 'training_results.json'), 'utf8')) as Record<string, unknown> & { hyperparameters: Record<string, unknown> };
  assert.deepEqual(Object.keys(saved).sort(), written(CLASSIFICATION_KEYS));
  assert.deepEqual(Object.keys(saved.hyperparameters).sort(), written(HYPERPARAMETER_KEYS));
  assert.deepEqual(saved, JSON.parse(JSON.stringify(r)));
  assert.equal(isPretrainingResults(r), false);
  assert.ok(r.feature_extraction_s > 0 && r.backend !== null, 'the frozen head runs on TF.js after feature extraction');
});

test('pretraining_results.json has exactly the keys of PretrainingResults; writeReport renders it as pre-training', async () => {
  const out = join(dir, 'pretrain');
  await pretrain({
    model: EMBEDDED_MODEL_DIR,
    text: [TEXT],
    evalText: [TEXT],
    output: out,
    maxSteps: 2,
    batchSize: 8,
    maxLength: 32,
    evalEvery: 2,
    threads: 1,
  });
  const saved = JSON.parse(readFileSync(join(out, 'pretraining_results.json'), 'utf8')) as TrainingResults;
  assert.deepEqual(Object.keys(saved).sort(), written(PRETRAINING_KEYS));
  assert.ok(isPretrainingResults(saved));
  assert.equal(saved.steps, 2);
  const report = join(dir, 'pretrain-report');
  const { html, svgs } = await writeReport(report, saved);
  assert.deepEqual(svgs, [join(report, 'loss.svg')]);
  assert.match(readFileSync(html, 'utf8'), /<h1>Masked-LM pre-training<\/h1>/);
  assert.equal(existsSync(join(report, 'metric.svg')), false);
});
