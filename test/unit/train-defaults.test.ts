/** `bertft train`'s defaults are TRAIN_DEFAULTS: the values its options start with and what its help says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from '../../src/cli/main.js';
import { trainOptionsFrom } from '../../src/cli/commands/train.js';
import { defaultEpochs, defaultLearningRate, defaultPooling, defaultWarmupRatio, TRAIN_DEFAULTS } from '../../src/training/defaults.js';

test('the train command starts from TRAIN_DEFAULTS', () => {
  const cmd = buildProgram().commands.find((c) => c.name() === 'train')!;
  const o = trainOptionsFrom(cmd.opts() as never);
  const d = TRAIN_DEFAULTS;
  assert.deepEqual(
    [
      o.model,
      o.output,
      o.strategy,
      o.batchSize,
      o.gradientAccumulation,
      o.weightDecay,
      o.maxGradNorm,
      o.seed,
      o.threshold,
      o.validationSplit,
      o.checkpointMinutes,
      o.engine,
      o.backend,
      o.device,
    ],
    [
      d.model,
      d.output,
      d.strategy,
      d.batchSize,
      d.gradientAccumulation,
      d.weightDecay,
      d.maxGradNorm,
      d.seed,
      d.threshold,
      d.validationSplit,
      d.checkpointMinutes,
      d.engine,
      d.backend,
      d.device,
    ],
  );
  const help = cmd.helpInformation().replace(/\s+/g, ' ');
  for (const s of [{ kind: 'full' } as const, { kind: 'frozen' } as const]) {
    assert.ok(help.includes(String(defaultEpochs(s))) && help.includes(String(defaultWarmupRatio(s))) && help.includes(defaultPooling(s)));
    assert.ok(help.includes(defaultLearningRate(s, 128).toExponential()));
  }
  assert.ok(help.includes(`default ${d.maxLength}`));
});

test('token classification takes its own learning rate by width, unscaled for long runs; sequence classification keeps its rule', async () => {
  const { learningRateRule } = await import('../../src/training/defaults.js');
  const full = { kind: 'full' } as const;
  for (const [hidden, lr] of [
    [128, 2e-3],
    [256, 1e-3],
    [512, 4e-4],
    [768, 5e-5],
  ] as const) {
    const rule = learningRateRule(full, hidden, 50_000, 'token-classification');
    assert.equal(rule.value, lr, `hidden ${hidden}`);
    assert.match(rule.rule!, /token classification by model width/);
  }
  // Sequence classification: 3e-4 for BERT-Tiny, × √(1000/4000) over 1,000 steps.
  assert.equal(learningRateRule(full, 128, 4000).value, 1.5e-4);
  assert.equal(learningRateRule({ kind: 'frozen' }, 128, 4000, 'token-classification').value, TRAIN_DEFAULTS.frozenLearningRate);
});
