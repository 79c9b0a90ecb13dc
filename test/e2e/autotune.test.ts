/**
 * The recipe rules (defaults.ts) and `autotune`'s bookkeeping on the embedded BERT-Tiny with a small
 * generated sentiment set: a hopeless trial is pruned at its first rung, the kept model is the best
 * trial's, the same seed gives the same trials and result, and the report shows the search.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autotune, parseDuration, searchSpace, trialSequence, type AutotuneSummary } from '../../src/training/autotune.js';
import { rungFractions, survives } from '../../src/training/successive-halving.js';
import { chosen, earlyStoppingRule, epochsRule, learningRateRule, TRAIN_DEFAULTS } from '../../src/training/defaults.js';
import { renderReport, reportCharts } from '../../src/report/index.js';
import { fineTune } from '../../src/training/fine-tune.js';
import { UsageError } from '../../src/errors.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { runCli } from '../helpers/cli.js';
import { buildProgram } from '../../src/cli/main.js';
import { trainOptionsFrom } from '../../src/cli/commands/train.js';
import { sentimentLines } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-autotune-'));
const TRAIN = join(dir, 'train.tsv');
const DEV = join(dir, 'dev.tsv');
writeFileSync(TRAIN, `${sentimentLines(96, 1).join('\n')}\n`);
writeFileSync(DEV, `${sentimentLines(48, 2).join('\n')}\n`);
const BASE = { model: EMBEDDED_MODEL_DIR, train: TRAIN, validation: DEV, maxLength: 24, epochs: 4, seed: 5, featureCacheDir: join(dir, 'features') };

test('epochs rule: small sets get enough epochs for minSteps, capped; large sets keep the minimum', () => {
  const d = TRAIN_DEFAULTS;
  const full = { kind: 'full' } as const;
  // 1,000 examples, batch 32: 32 steps per epoch, 1000/32 → 32 epochs, capped at maxEpochs.
  assert.equal(epochsRule(full, 1000, 32).value, d.maxEpochs);
  // 5,000 examples: 157 steps per epoch → ceil(1000/157) = 7 epochs.
  assert.equal(epochsRule(full, 5000, 32).value, Math.ceil(d.minSteps / Math.ceil(5000 / 32)));
  assert.equal(epochsRule(full, 5000, 32).value, 7);
  // 67,000 examples: the minimum of 3.
  assert.equal(epochsRule(full, 67000, 32).value, d.epochs);
  assert.equal(epochsRule({ kind: 'frozen' }, 67000, 32).value, d.frozenEpochs);
  // The batch is examples per step: 64 in 2 micro-batches of 32 halves the steps per epoch, so more
  // epochs are needed; 32 in 2 micro-batches of 16 keeps the steps of batch 32.
  assert.equal(epochsRule(full, 5000, 64, 2).value, Math.ceil(1000 / Math.ceil(157 / 2)));
  assert.equal(epochsRule(full, 5000, 32, 2).value, 7);
  assert.equal(epochsRule(full, 5000, 32, 1, 0.5).value, 4); // round(7 × 0.5)
  assert.match(epochsRule(full, 1000, 32).rule, /capped at 20/);
});

test('learning-rate rule by width and run length, flags win, patience off without validation data', () => {
  assert.equal(learningRateRule({ kind: 'full' }, 128).value, 3e-4);
  assert.equal(learningRateRule({ kind: 'full' }, 256).value, 2e-4);
  assert.equal(learningRateRule({ kind: 'top-k', layers: 1 }, 512).value, 1e-4);
  assert.equal(learningRateRule({ kind: 'full' }, 768).value, 3e-5);
  assert.equal(learningRateRule({ kind: 'frozen' }, 768).value, TRAIN_DEFAULTS.frozenLearningRate);
  // Runs longer than minSteps (1,000) take √(1000/steps) of the width rate: all of SST-2 at batch 32, 3 epochs.
  assert.equal(learningRateRule({ kind: 'full' }, 128, 1000).value, 3e-4);
  assert.equal(learningRateRule({ kind: 'full' }, 128, 6315).value, 1.2e-4);
  assert.match(learningRateRule({ kind: 'full' }, 128, 6315).rule, /6315 steps > 1000: × √\(1000\/6315\) → 1\.2e-4/);
  assert.equal(learningRateRule({ kind: 'full' }, 768, 4000).value, 1.5e-5);
  assert.equal(learningRateRule({ kind: 'frozen' }, 128, 6315).value, TRAIN_DEFAULTS.frozenLearningRate);
  const c = chosen(5e-5, '--learning-rate', () => learningRateRule({ kind: 'full' }, 128));
  assert.deepEqual(c, { value: 5e-5, source: 'flag', rule: '--learning-rate 0.00005' });
  assert.equal(earlyStoppingRule(20, 0, false).value, 0);
  assert.equal(earlyStoppingRule(20, 0, true).value, TRAIN_DEFAULTS.earlyStoppingPatience);
});

test('successive halving keeps the top 1/eta at a rung', () => {
  assert.equal(survives(0.5, [], 3, true), true); // first at the rung
  assert.equal(survives(0.7, [0.8], 2, true), false); // top half of 2 = the best only
  assert.equal(survives(0.8, [0.8], 2, true), true); // a tie goes on
  assert.equal(survives(0.6, [0.9, 0.5], 3, true), false); // ⌈3/3⌉ = 1: must be the best
  assert.equal(survives(0.6, [0.9, 0.5, 0.4, 0.3], 3, true), true); // ⌈5/3⌉ = 2nd best
  assert.equal(survives(0.2, [0.3, 0.5], 3, false), true); // lower is better (eval_loss)
  assert.deepEqual(rungFractions(3, 3), [1 / 9, 1 / 3]);
  assert.deepEqual(rungFractions(2, 2), [1 / 2]);
});

test('durations: 5m, 90s, plain seconds; a bad one is a usage error naming the flag', () => {
  assert.equal(parseDuration('--autotune', '5m'), 300);
  assert.equal(parseDuration('--autotune', '90s'), 90);
  assert.equal(parseDuration('--autotune', '1h'), 3600);
  assert.equal(parseDuration('--autotune', '45'), 45);
  assert.throws(
    () => parseDuration('--autotune', 'soon'),
    (e: unknown) => e instanceof UsageError && /--autotune/.test(e.message),
  );
  assert.throws(() => parseDuration('--autotune', '0s'), UsageError);
});

test('the trial sequence is a function of the seed: defaults first, no repeats', () => {
  const space = searchSpace(128, 2, true);
  const a = trialSequence(space, 7, 12);
  assert.deepEqual(a, trialSequence(space, 7, 12));
  assert.notDeepEqual(a, trialSequence(space, 8, 12));
  assert.equal(a.length, 12);
  assert.equal(a[0]!.strategy, 'full');
  assert.equal(a[0]!.learningRate, undefined); // trial 0 = the default recipe
  assert.equal(a[1]!.strategy, 'frozen');
  // Anchors 2 and 3: full fine-tuning at the space's highest and lowest learning rate (3× and 0.3× the rule's 3e-4).
  assert.deepEqual([a[2]!.strategy, a[2]!.learningRate, a[3]!.strategy, a[3]!.learningRate], ['full', 9e-4, 'full', 9e-5]);
  assert.deepEqual(a.slice(0, 4), trialSequence(space, 8, 4), 'the anchors do not depend on the seed');
  assert.equal(new Set(a.map((c) => JSON.stringify(c))).size, 12);
  assert.ok(space.strategies.includes('top-k:1'));
});

/**
 * Full fine-tuning at 1e-3: 96 sentences at batch 16 for 4 epochs are 24 steps, too few for the rule's 3e-4
 * to leave the majority class with the embedded model (measured, seed 5: 0.542 for 3 epochs, 1.0 from the
 * 5th on), while 1e-3 reaches 0.65 by the rung (epoch 2) and 1.0 by epoch 4.
 */
const GOOD_TRIAL = { strategy: 'full', learningRate: 1e-3, epochsScale: 1, batchSize: 16, headLrScale: 1 };
/** A learning rate of 1e-9 learns nothing: it cannot be in the top half at the first rung. */
const HOPELESS_TRIAL = { strategy: 'full', learningRate: 1e-9, epochsScale: 1, batchSize: 16, headLrScale: 1 };

test('autotune prunes a hopeless trial at its first rung and keeps the best trial', async () => {
  const out = join(dir, 'pruned');
  const r = (await autotune({
    ...BASE,
    output: out,
    budgetSeconds: 600,
    eta: 2,
    rungs: 2,
    trials: [GOOD_TRIAL, HOPELESS_TRIAL, { strategy: 'frozen', epochsScale: 1, batchSize: 16, headLrScale: 1 }],
  })) as Record<string, any>;
  const a = r.autotune as AutotuneSummary;
  assert.equal(a.trials.length, 3);
  assert.equal(a.metric, 'accuracy');
  const [good, hopeless] = a.trials;
  assert.equal(good!.status === 'completed' || good!.status === 'early-stopped', true, good!.status);
  assert.ok(good!.score! > 0.75, `a good trial learns the generated set: ${good!.score}`);
  assert.equal(hopeless!.status, 'pruned');
  assert.equal(hopeless!.evaluations, 2, 'stopped at its first rung, half-way (evaluation 2 of 4, one an epoch)');
  assert.ok(hopeless!.rung_scores[0]! < good!.rung_scores[0]!);
  assert.ok(hopeless!.steps < good!.steps);
  // Every pruned trial was below the cut of the trials before it at that rung.
  for (const t of a.trials.filter((t) => t.status === 'pruned')) {
    const earlier = a.trials.filter((u) => u.trial < t.trial && u.rung_scores.length > 0).map((u) => u.rung_scores[0]!);
    assert.equal(survives(t.rung_scores[0]!, earlier, 2, true), false);
  }
  // The kept model is the best trial's: its score is the maximum and the folder holds its weights.
  const best = Math.max(...a.trials.map((t) => t.score ?? -1));
  assert.equal(a.trials[a.best_trial!]!.score, best);
  assert.equal(r.best.value, best);
  assert.equal(r.final_eval.accuracy, best);
  assert.equal(r.hyperparameters.strategy, a.trials[a.best_trial!]!.config.strategy);
  assert.ok(existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'config.json')));
  assert.equal(existsSync(join(out, 'autotune-trials')), false, 'trial folders are removed');
  const saved = JSON.parse(readFileSync(join(out, 'training_results.json'), 'utf8'));
  assert.deepEqual(
    saved.autotune.trials.map((t: { status: string }) => t.status),
    a.trials.map((t) => t.status),
  );

  // The report: a trials table row per trial (the kept one highlighted) and one dot per scored trial.
  const html = renderReport(r as never);
  assert.equal((html.match(/<table class="trials">[\s\S]*?<\/table>/)![0].match(/<tr/g) ?? []).length, 4);
  assert.match(html, /<tr class="best"><td>0<\/td>|<tr class="best"><td>2<\/td>/);
  const svg = reportCharts(r as never)['autotune.svg']!;
  const firstLine = /<polyline class="series"[^>]*points="([^"]+)"/.exec(svg)![1]!;
  assert.equal(firstLine.trim().split(/\s+/).length, a.trials.filter((t) => t.score !== null).length);
});

test('an anchor trial is never pruned (the same trials without anchors prune it, above)', async () => {
  const r = (await autotune({
    ...BASE,
    output: join(dir, 'anchored'),
    budgetSeconds: 600,
    eta: 2,
    rungs: 2,
    anchors: 2,
    // The hopeless trial is pruned at its first rung in the test above; as an anchor it runs its whole schedule.
    trials: [GOOD_TRIAL, HOPELESS_TRIAL],
  })) as Record<string, any>;
  const [good, anchored] = (r.autotune as AutotuneSummary).trials;
  assert.ok(anchored!.rung_scores[0]! < good!.rung_scores[0]!, 'it was below the cut at its first rung');
  assert.notEqual(anchored!.status, 'pruned');
  assert.ok(anchored!.evaluations > 2, `it went on past its first rung: ${anchored!.evaluations} evaluations`);
});

test('trial 0 is the default recipe run as bertft train runs it: the same scores and the same model', async () => {
  const plain = (await fineTune({ ...BASE, output: join(dir, 'plain') })) as Record<string, any>;
  const searched = (await autotune({ ...BASE, output: join(dir, 'trial0'), budgetSeconds: 600, maxTrials: 1 })) as Record<string, any>;
  const t0 = (searched.autotune as AutotuneSummary).trials[0]!;
  const accuracies = (r: Record<string, any>) => r.history.map((h: { eval_metrics: { accuracy: number } }) => h.eval_metrics.accuracy);
  assert.deepEqual(accuracies(searched), accuracies(plain), 'the same evaluations, once an epoch, with the same scores');
  assert.equal(t0.score, plain.best.value);
  assert.equal(t0.status, 'completed');
  assert.deepEqual(readFileSync(join(dir, 'trial0', 'model.safetensors')), readFileSync(join(dir, 'plain', 'model.safetensors')));
});

test('same seed, same trials and the same result', async () => {
  const run = async (name: string) =>
    (await autotune({ ...BASE, epochs: 3, output: join(dir, name), budgetSeconds: 600, maxTrials: 4, eta: 3, rungs: 2, seed: 11 })) as Record<string, any>;
  const a = await run('seeded-a');
  const b = await run('seeded-b');
  const view = (r: Record<string, any>) => (r.autotune as AutotuneSummary).trials.map((t) => [t.config, t.status, t.score, t.rung_scores, t.steps]);
  assert.equal((a.autotune as AutotuneSummary).trials.length, 4);
  assert.deepEqual(view(a), view(b));
  assert.equal(a.autotune.best_trial, b.autotune.best_trial);
  assert.deepEqual(a.final_eval.confusion_matrix, b.final_eval.confusion_matrix);
  assert.deepEqual(readFileSync(join(dir, 'seeded-a', 'model.safetensors')), readFileSync(join(dir, 'seeded-b', 'model.safetensors')));
});

test('bertft train --autotune with a bad duration: one line naming the flag, non-zero exit, no stack', () => {
  const r = runCli(['train', '--model', EMBEDDED_MODEL_DIR, '--train', TRAIN, '--validation', DEV, '-o', join(dir, 'bad'), '--autotune', 'soon']);
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--autotune must be a duration such as 5m, 90s or 1h; got "soon"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--early-stopping-patience 0 turns early stopping off; a fraction is refused', () => {
  const cmd = buildProgram().commands.find((c) => c.name() === 'train')!;
  assert.equal(trainOptionsFrom({ ...(cmd.opts() as Record<string, string>), earlyStoppingPatience: '0' } as never).earlyStoppingPatience, 0);
  assert.equal(trainOptionsFrom({ ...(cmd.opts() as Record<string, string>), earlyStoppingPatience: '5' } as never).earlyStoppingPatience, 5);
  assert.throws(
    () => trainOptionsFrom({ ...(cmd.opts() as Record<string, string>), earlyStoppingPatience: '1.5' } as never),
    /--early-stopping-patience must be a whole number/,
  );
});

test('trials are ranked by --metric-for-best-model when given', async () => {
  const r = (await autotune({
    ...BASE,
    output: join(dir, 'macro'),
    budgetSeconds: 600,
    metricForBest: 'macro_f1',
    trials: [{ strategy: 'frozen', epochsScale: 1, batchSize: 32, headLrScale: 1 }],
  })) as Record<string, any>;
  assert.equal(r.autotune.metric, 'macro_f1');
  assert.equal(r.autotune.trials[0].score, r.final_eval.macro_f1);
  assert.equal(r.best.metric, 'macro_f1');
});
