/**
 * `--autotune` and `bertft advise` for token classification, on the embedded model and a generated
 * CoNLL set (people live in cities): the search runs fineTuneTokens trials over a space without
 * pooling, ranks them by entity F1, and keeps the best trial's BertForTokenClassification folder
 * with token-classification results that record the search; `bertft train --autotune` takes CoNLL
 * data; `bertft advise` advises on the sentences' text and says it is token data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchorTrials, autotune, autotuneTokens, searchSpace, trialSequence, type TrialConfig } from '../../src/training/autotune.js';
import { trialFineTuneOptions } from '../../src/training/autotune-trial.js';
import { UsageError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';

const FIRST = ['Anna', 'John', 'Maria', 'Peter', 'Laura', 'Omar', 'Yuki'];
const LAST = ['Schmidt', 'Miller', 'Garcia', 'Novak', 'Rossi'];
const CITIES = ['Paris', 'Berlin', 'Madrid', 'Tokyo', 'Cairo', 'Lima'];

/** Sentence k: "<First> <Last> lives in <City> ." tagged B-PER I-PER O O B-LOC O. */
function conllSentence(k: number): string {
  const words = [FIRST[k % FIRST.length]!, LAST[(k * 3) % LAST.length]!, 'lives', 'in', CITIES[(k * 5) % CITIES.length]!, '.'];
  const tags = ['B-PER', 'I-PER', 'O', 'O', 'B-LOC', 'O'];
  return words.map((w, i) => `${w} ${tags[i]}`).join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'bertft-token-autotune-'));
const TRAIN = join(dir, 'train.conll');
writeFileSync(TRAIN, `${Array.from({ length: 200 }, (_, k) => conllSentence(k)).join('\n\n')}\n`);
const BASE = { model: EMBEDDED_MODEL_DIR, train: TRAIN, maxLength: 32, seed: 3 };

/** A learning rate of 1e-9 learns nothing: the default recipe's trial must beat it. */
const TRIALS: TrialConfig[] = [
  { strategy: 'full', epochsScale: 0.5, batchSize: 16, headLrScale: 1 },
  { strategy: 'full', learningRate: 1e-9, epochsScale: 0.5, batchSize: 16, headLrScale: 1 },
];

test('a token search has no pooling: its trials pass no --pooling to fineTuneTokens', () => {
  const tokens = searchSpace(128, 2, true, 'token-classification');
  assert.deepEqual(tokens.poolings, []);
  const trials = trialSequence(tokens, 7, 10);
  assert.ok(
    trials.every((c) => !('pooling' in c)),
    JSON.stringify(trials),
  );
  assert.deepEqual(trials.slice(0, 4), anchorTrials(tokens));
  assert.equal('pooling' in trialFineTuneOptions({ output: 'x', train: TRAIN }, trials[5]!, 'x'), false);
  // The sequence space is as before: every random trial draws a pooling.
  const sequence = trialSequence(searchSpace(128, 2, true), 7, 10);
  assert.ok(sequence.slice(4).every((c) => c.pooling !== undefined));
});

test('autotune refuses token data and points to autotuneTokens', async () => {
  await assert.rejects(
    autotune({ ...BASE, output: join(dir, 'refused'), trials: TRIALS }),
    (e: unknown) => e instanceof UsageError && /autotuneTokens/.test(e.message),
  );
});

test('autotuneTokens keeps the best trial by entity F1 as a BertForTokenClassification folder', async () => {
  const out = join(dir, 'searched');
  const r = await autotuneTokens({ ...BASE, output: out, budgetSeconds: 40, eta: 2, rungs: 2, trials: TRIALS });
  const a = r.autotune!;
  assert.equal(a.metric, 'f1');
  assert.equal(a.greater_is_better, true);
  assert.equal(a.trials.length, 2);
  const [good, hopeless] = a.trials;
  assert.ok(good!.score! > hopeless!.score!, `entity F1 ${good!.score} vs ${hopeless!.score}`);
  assert.equal(a.best_trial, 0);
  assert.equal(r.best?.metric, 'f1');
  assert.equal(r.best?.value, good!.score);
  assert.equal(r.final_eval?.f1, good!.score);
  assert.equal(good!.resolved?.task, 'token-classification');
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForTokenClassification']);
  assert.ok(existsSync(join(out, 'model.safetensors')));
  assert.equal(existsSync(join(out, 'autotune-trials')), false, 'trial folders are removed');
  const saved = JSON.parse(readFileSync(join(out, 'training_results.json'), 'utf8'));
  assert.equal(saved.problem_type, 'token_classification');
  assert.equal(saved.autotune.metric, 'f1');
  assert.equal(saved.autotune.best_trial, 0);
});

test('bertft train --autotune searches a token classifier from a CoNLL file', () => {
  const out = join(dir, 'cli');
  const r = runCli([
    'train',
    '--train',
    TRAIN,
    '-o',
    out,
    '--model',
    EMBEDDED_MODEL_DIR,
    '--max-length',
    '32',
    '--epochs',
    '1',
    '--autotune',
    '12s',
    '--quiet',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.equal(results.problem_type, 'token_classification');
  assert.equal(results.autotune.metric, 'f1');
  assert.ok(results.autotune.trials.length >= 1);
  assert.ok(results.autotune.trials.every((t: { config: TrialConfig }) => t.config.pooling === undefined));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures, ['BertForTokenClassification']);
});

test('bertft advise on a CoNLL file advises on its sentences and says it is token data', () => {
  const r = runCli(['advise', '--model', EMBEDDED_MODEL_DIR, '--train', TRAIN]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^data: token classification \(conll\): 200 sentences, 1200 tokens, tags O B-LOC B-PER I-PER \(entity types LOC, PER\)/);
  assert.match(r.stdout, /^strategy: \S+ — 200 examples/m);
  assert.match(r.stdout, /pieces\/word/);
  assert.match(r.stdout, /^augmentation and domain adaptation: not available for token classification/m);
  assert.doesNotMatch(r.stdout, /--augment eda|--domain-adaptation dapt/);
  const json = runCli(['advise', '--model', EMBEDDED_MODEL_DIR, '--train', TRAIN, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const advice = JSON.parse(json.stdout);
  assert.equal(advice.examples, 200);
  assert.deepEqual(advice.token_data, { task: 'token-classification', format: 'conll', sentences: 200, tokens: 1200, tags: ['O', 'B-LOC', 'B-PER', 'I-PER'] });
});
