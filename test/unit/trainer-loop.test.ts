/**
 * The one training loop (src/trainer/loop.ts) with a stand-in engine and objective: what it
 * promises every objective (fine-tuning, domain adaptation, masked LM) about length, schedule,
 * evaluation, early stopping, checkpoints and stopping from outside. The objectives themselves are
 * tested end to end in training.test.ts, domain-adaptation.test.ts and pretrain.test.ts.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { TrainingEngine, StepOptions, TrainBatch } from '../../src/engine/types.js';
import { runTrainingLoop, type LoopOptions, type Objective, type StepDone } from '../../src/trainer/loop.js';
import { linearSchedule, progressSchedule } from '../../src/trainer/schedule.js';

function fakeEngine(lossAt: (step: number) => number = () => 1) {
  const steps: StepOptions[] = [];
  const engine = {
    name: 'fake',
    setTrainable: () => undefined,
    trainStep: async (_b: TrainBatch[], o: StepOptions) => lossAt(steps.push(o) - 1),
  } as unknown as TrainingEngine;
  return { engine, steps };
}

function fakeObjective(over: Partial<Objective> = {}) {
  const done: StepDone[] = [];
  const evaluated: number[] = [];
  const objective: Objective = {
    batches: () => [],
    stepOptions: (step) => ({ dropoutSeed: 1000 + step }),
    endStep: (d) => void done.push(d),
    evaluationDue: (step) => step % 3 === 0,
    evaluate: async (step) => (evaluated.push(step), false),
    ...over,
  };
  return { objective, done, evaluated };
}

function options(engine: TrainingEngine, objective: Objective, over: Partial<LoopOptions> = {}): LoopOptions {
  return {
    engine,
    objective,
    startStep: 0,
    totalSteps: 10,
    elapsedMsBefore: 0,
    schedule: (s) => s / 100,
    maxGradNorm: 1,
    settingsOf: () => ({ lrScale: 1, weightDecay: 0 }),
    diverged: (l, s) => new Error(`diverged ${l} at ${s}`),
    ...over,
  };
}

test('the loop runs totalSteps steps from startStep, with the schedule, the objective seeds and evaluations where due', async () => {
  const { engine, steps } = fakeEngine();
  const { objective, done, evaluated } = fakeObjective();
  const checkpoints: number[] = [];
  const out = await runTrainingLoop(options(engine, objective, { startStep: 4, checkpoint: async () => void checkpoints.push(done.length) }));
  assert.deepEqual(out, { ...out, step: 10, stoppedEarly: false, interrupted: false });
  assert.deepEqual(
    steps.map((s) => [s.lr, s.dropoutSeed]),
    [4, 5, 6, 7, 8, 9].map((s) => [s / 100, 1000 + s]),
  );
  assert.deepEqual(
    done.map((d) => d.step),
    [5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(evaluated, [6, 9]);
  assert.deepEqual(checkpoints, [6], 'only the completed run checkpoints: no timer, no natural points');
});

test('early stopping ends the run with a checkpoint; finalCheckpoint false skips the completed one', async () => {
  const { engine } = fakeEngine();
  const stopAt6 = fakeObjective({ evaluate: async (step) => step === 6 });
  let saved = 0;
  const out = await runTrainingLoop(options(engine, stopAt6.objective, { checkpoint: async () => void saved++ }));
  assert.equal(out.step, 6);
  assert.equal(out.stoppedEarly, true);
  assert.equal(out.interrupted, false);
  assert.equal(saved, 1);
  const natural = fakeObjective({ checkpointDue: (step) => step % 4 === 0 });
  saved = 0;
  await runTrainingLoop(options(fakeEngine().engine, natural.objective, { checkpoint: async () => void saved++, finalCheckpoint: false }));
  assert.equal(saved, 2, 'steps 4 and 8, not the completed run at 10');
});

test('a stop request ends the run after the current step with a checkpoint, marked interrupted', async () => {
  const { engine } = fakeEngine();
  const { objective, done } = fakeObjective();
  let saved: number | undefined;
  const out = await runTrainingLoop(
    options(engine, objective, { stopRequested: () => done.length === 3, checkpoint: async () => void (saved = done.length), finalCheckpoint: false }),
  );
  assert.equal(out.step, 3);
  assert.equal(out.interrupted, true);
  assert.equal(saved, 3);
});

test('a non-finite loss throws the objective-given error naming the 1-based step', async () => {
  const { engine } = fakeEngine((s) => (s === 2 ? Number.NaN : 1));
  await assert.rejects(runTrainingLoop(options(engine, fakeObjective().objective)), /^Error: diverged NaN at 3$/);
});

test('a wall-time budget: progress is time over budget, and the run stops once it is spent', async () => {
  const { engine } = fakeEngine();
  const { objective, done } = fakeObjective({ endStep: (d) => void done.push(d) });
  const t0 = performance.now();
  const out = await runTrainingLoop(options(engine, objective, { totalSteps: undefined, budgetMs: 30, elapsedMsBefore: 10 }));
  assert.ok(out.elapsedMs >= 30 && performance.now() - t0 >= 20, `ran ${out.elapsedMs} ms`);
  assert.ok(done.length > 0 && done.every((d, i) => i === 0 || d.progress >= done[i - 1]!.progress));
});

test('schedules: steps (HF linear warm-up/decay) and progress (wall-time runs) agree on the shape', () => {
  const bySteps = linearSchedule(1, 2, 10);
  assert.deepEqual([0, 1, 2, 6, 10].map(bySteps), [0.5, 1, 1, 0.5, 0]);
  const byProgress = progressSchedule(2, 0.25);
  assert.deepEqual([0, 0.125, 0.25, 0.625, 1].map(byProgress), [0, 1, 2, 1, 0]);
});
