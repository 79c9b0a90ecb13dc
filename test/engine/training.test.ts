/**
 * The trainer and its strategies on a small random BERT: which parameters change under each
 * strategy, the schedule and per-parameter learning rates, reproducibility, and exact resumption.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { classifierParamNames, initClassifierHead } from '../../src/heads/classification.js';
import { bertParamNames } from '../../src/models/bert/bert.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { TfjsHeadEngine } from '../../src/engine/tfjs/head-engine.js';
import { featureIndexSet } from '../../src/training/features.js';
import { linearSchedule, paramSettings } from '../../src/trainer/schedule.js';
import { parseStrategy, trainableParams, type Strategy } from '../../src/training/strategy.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import { Trainer, type TrainerSettings, type TrainerState } from '../../src/training/trainer.js';
import type { TrainingEngine, OptimizerState } from '../../src/engine/types.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { TokenizedSet } from '../../src/training/tokenized.js';

const CFG: BertConfig = {
  vocabSize: 50,
  hiddenSize: 16,
  numHiddenLayers: 3,
  numAttentionHeads: 2,
  intermediateSize: 32,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 16,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  initializerRange: 0.2,
};

/** 24 token rows of varied length whose label is whether token 7 occurs (learnable). */
function toyData(n = 24, seed = 3): { set: TokenizedSet; targets: Float32Array } {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: 0 };
  const targets = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(next() * 8);
    const ids = Int32Array.from({ length: len }, (_, k) => (k === 0 ? 2 : 3 + Math.floor(next() * 40)));
    const positive = i % 2 === 0;
    if (positive) ids[1 + Math.floor(next() * (len - 1))] = 7;
    else for (let k = 0; k < len; k++) if (ids[k] === 7) ids[k] = 8;
    set.ids.push(ids);
    set.typeIds.push(new Int32Array(len));
    set.lengths.push(len);
    targets[i * 2 + (positive ? 1 : 0)] = 1;
  }
  return { set, targets };
}

function settings(strategy: Strategy, overrides: Partial<TrainerSettings> = {}): TrainerSettings {
  return {
    problem: 'single_label_classification',
    labels: ['no', 'yes'],
    numOutputs: 2,
    strategy,
    epochs: 2,
    batchSize: 8,
    gradientAccumulation: 1,
    lr: 1e-2,
    layerLrDecay: 1,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    maxGradNorm: 1,
    seed: 7,
    evalSteps: 0,
    earlyStoppingPatience: 0,
    metricForBest: 'accuracy',
    threshold: 0.5,
    evalBatchSize: 16,
    ...overrides,
  };
}

function startWeights(): Map<string, HostTensor> {
  return new Map([...initBertWeights(CFG, 11), ...initClassifierHead(CFG, 2, 12)]);
}

function changed(before: Map<string, HostTensor>, after: Map<string, HostTensor>): Set<string> {
  const out = new Set<string>();
  for (const [name, t] of before) {
    const a = after.get(name)!;
    if (t.data.some((v, i) => v !== a.data[i])) out.add(name);
  }
  return out;
}

const ENGINES = ['tfjs', 'onnx'] as const;
type EngineKind = (typeof ENGINES)[number];

async function runStrategy(strategy: Strategy, epochs: number, kind: EngineKind): Promise<{ before: Map<string, HostTensor>; after: Map<string, HostTensor> }> {
  const before = startWeights();
  const { set, targets } = toyData();
  const options = {
    config: CFG,
    weights: before,
    objective: { kind: 'classification' as const, pooling: 'pooler' as const, problem: 'single_label_classification' as const, numOutputs: 2 },
  };
  const engine: TrainingEngine = kind === 'tfjs' ? new TfjsTrainingEngine(options) : new OnnxTrainingEngine(options);
  const trainer = new Trainer(engine, CFG, [...before.keys()], settings(strategy, { epochs }));
  await trainer.train({ train: set, trainTargets: targets });
  const after = await engine.weights();
  engine.dispose();
  return { before, after };
}

const names = [...startWeights().keys()];
const layerParams = (l: number) => names.filter((n) => n.startsWith(`encoder.layer.${l}.`));
const embeddingParams = names.filter((n) => n.startsWith('embeddings.'));
const topParams = names.filter((n) => n.startsWith('pooler.') || n.startsWith('classifier.'));

test('setup: the TF.js backend', async () => {
  await initTfjs('auto');
});

test('strategy parsing', () => {
  assert.deepEqual(parseStrategy('top-k:2'), { kind: 'top-k', layers: 2 });
  assert.deepEqual(parseStrategy('Full'), { kind: 'full' });
  assert.throws(() => parseStrategy('top-k:0'), /at least 1/);
  assert.throws(() => parseStrategy('half'), /--strategy must be one of/);
  assert.throws(() => trainableParams({ kind: 'top-k', layers: 4 }, CFG, names, 0), /only 3 layers/);
});

for (const kind of ENGINES) {
  test(`${kind} engine, full: every parameter changes`, async () => {
    const { before, after } = await runStrategy({ kind: 'full' }, 1, kind);
    assert.deepEqual([...changed(before, after)].sort(), [...names].sort());
  });

  test(`${kind} engine, top-k:1: only the top layer, pooler and head change`, async () => {
    const { before, after } = await runStrategy({ kind: 'top-k', layers: 1 }, 1, kind);
    assert.deepEqual([...changed(before, after)].sort(), [...layerParams(2), ...topParams].sort());
  });

  test(`${kind} engine, gradual: after two epochs the top two layers, pooler and head changed; the rest did not`, async () => {
    const two = await runStrategy({ kind: 'gradual' }, 2, kind);
    assert.deepEqual([...changed(two.before, two.after)].sort(), [...layerParams(1), ...layerParams(2), ...topParams].sort());
    for (const n of [...layerParams(0), ...embeddingParams]) assert.ok(!changed(two.before, two.after).has(n), `${n} stays frozen for two epochs`);
  });
}

test('gradual schedule: one more layer per epoch, top first; embeddings after all layers', async () => {
  assert.deepEqual([...trainableParams({ kind: 'gradual' }, CFG, names, 0)].sort(), [...layerParams(2), ...topParams].sort());
  assert.deepEqual([...trainableParams({ kind: 'gradual' }, CFG, names, 1)].sort(), [...layerParams(1), ...layerParams(2), ...topParams].sort());
  assert.equal(trainableParams({ kind: 'gradual' }, CFG, names, 3).size, names.length);
});

test('frozen: only the head changes (it trains on cached features)', async () => {
  const before = startWeights();
  const encoder = new Map([...before].filter(([n]) => !n.startsWith('classifier.')));
  const head = new Map([...before].filter(([n]) => n.startsWith('classifier.')));
  const { targets } = toyData();
  const features = Float32Array.from({ length: 24 * CFG.hiddenSize }, (_, i) => Math.sin(i));
  const engine = new TfjsHeadEngine({
    config: CFG,
    features,
    encoderWeights: encoder,
    head,
    problem: 'single_label_classification',
    numOutputs: 2,
  });
  const trainer = new Trainer(engine, CFG, names, settings({ kind: 'frozen' }));
  await trainer.train({ train: featureIndexSet(24, 0), trainTargets: targets });
  const after = await engine.weights();
  engine.dispose();
  assert.deepEqual([...changed(before, after)].sort(), ['classifier.bias', 'classifier.weight']);
});

test('layer-wise LR decay and head LR', () => {
  const of = paramSettings(CFG, { lr: 1e-3, headLr: 5e-3, layerLrDecay: 0.5, weightDecay: 0.01 });
  assert.equal(of('classifier.weight').lrScale, 5);
  assert.equal(of('pooler.dense.weight').lrScale, 1);
  assert.equal(of('encoder.layer.2.output.dense.weight').lrScale, 0.5);
  assert.equal(of('encoder.layer.0.output.dense.weight').lrScale, 0.125);
  assert.equal(of('embeddings.word_embeddings.weight').lrScale, 0.0625);
  assert.equal(of('encoder.layer.0.output.LayerNorm.weight').weightDecay, 0);
  assert.equal(of('encoder.layer.0.output.dense.bias').weightDecay, 0);
  assert.equal(of('encoder.layer.0.output.dense.weight').weightDecay, 0.01);
});

test("layer-wise LR decay and partial unfreezing place each family's parameters by the family spec", () => {
  const electra: BertConfig = { ...CFG, family: 'electra', embeddingSize: 8 };
  const albert: BertConfig = { ...CFG, family: 'albert', embeddingSize: 8, hiddenAct: 'gelu_new' };
  const options = { lr: 1e-3, headLr: 5e-3, layerLrDecay: 0.5, weightDecay: 0.01 };
  for (const cfg of [electra, albert]) {
    const of = paramSettings(cfg, options);
    const embeddings = of('embeddings.word_embeddings.weight').lrScale;
    assert.equal(embeddings, 0.0625);
    assert.equal(of('embeddings_project.weight').lrScale, embeddings, `${cfg.family}: the projection sits with the embeddings`);
    assert.equal(of('embeddings_project.bias').weightDecay, 0);
    const names = [...bertParamNames(cfg), ...classifierParamNames(cfg)];
    assert.ok(trainableParams({ kind: 'full' }, cfg, names, 0).has('embeddings_project.weight'), `${cfg.family}: full trains the projection`);
    assert.ok(!trainableParams({ kind: 'top-k', layers: 1 }, cfg, names, 0).has('embeddings_project.weight'), `${cfg.family}: top-k does not`);
    assert.equal(trainableParams({ kind: 'gradual' }, cfg, names, 3).has('embeddings_project.weight'), true, 'gradual: with the embeddings');
  }
  // ALBERT's one layer serves at every depth, the top one included: it takes the top layer's rate and trains under top-k.
  const ofAlbert = paramSettings(albert, options);
  assert.equal(ofAlbert('encoder.layer.0.output.dense.weight').lrScale, 0.5);
  const albertNames = [...bertParamNames(albert), ...classifierParamNames(albert)];
  assert.ok(trainableParams({ kind: 'top-k', layers: 1 }, albert, albertNames, 0).has('encoder.layer.0.attention.self.query.weight'));
  // Every family's head counts as head: its own LR, not the pooler's.
  for (const family of ['roberta', 'electra', 'distilbert'] as const) {
    const cfg: BertConfig = { ...CFG, family };
    const of = paramSettings(cfg, options);
    for (const name of classifierParamNames(cfg)) {
      assert.equal(of(name).lrScale, 5, `${family}: ${name}`);
      assert.ok(trainableParams({ kind: 'frozen' }, cfg, [...bertParamNames(cfg), name], 0).has(name));
    }
  }
});

test('linear warm-up then linear decay', () => {
  const lr = linearSchedule(1, 10, 110);
  assert.equal(lr(0), 0.1);
  assert.equal(lr(9), 1);
  assert.equal(lr(10), 1);
  assert.equal(lr(60), 0.5);
  assert.equal(lr(110), 0);
});

async function trainToy(seed: number, stopAfter?: number, resume?: { state: TrainerState; optimizer: OptimizerState; weights: Map<string, HostTensor> }) {
  const { set, targets } = toyData();
  const evalData = toyData(16, 99);
  const engine = new TfjsTrainingEngine({
    config: CFG,
    weights: resume?.weights ?? startWeights(),
    objective: { kind: 'classification', pooling: 'mean', problem: 'single_label_classification', numOutputs: 2 },
  });
  let saved: { state: TrainerState; optimizer: OptimizerState; weights: Map<string, HostTensor> } | undefined;
  let steps = 0;
  const trainer: Trainer = new Trainer(engine, CFG, names, settings({ kind: 'full' }, { epochs: 3, seed, gradientAccumulation: 2, batchSize: 8 }), {
    checkpointIntervalMs: 0,
    onStep: () => {
      if (stopAfter !== undefined && ++steps === stopAfter) trainer.requestStop();
    },
    saveCheckpoint: async (cp) => {
      saved = cp;
    },
  });
  const outcome = await trainer.train(
    { train: set, trainTargets: targets, eval: evalData.set, evalTargets: evalData.targets },
    resume && { state: resume.state, optimizer: resume.optimizer },
  );
  const weights = await engine.weights();
  engine.dispose();
  return { outcome, weights, saved: saved! };
}

test('same seed → same metrics and weights; another seed differs', async () => {
  const a = await trainToy(5);
  const b = await trainToy(5);
  const c = await trainToy(6);
  assert.deepEqual(
    a.outcome.state.history.map((h) => h.eval_loss),
    b.outcome.state.history.map((h) => h.eval_loss),
  );
  assert.deepEqual(changed(a.weights, b.weights).size, 0);
  assert.notDeepEqual(
    a.outcome.state.history.map((h) => h.train_loss),
    c.outcome.state.history.map((h) => h.train_loss),
  );
});

test('stopping mid-epoch and resuming from the checkpoint ends exactly like an uninterrupted run', async () => {
  const full = await trainToy(5);
  const first = await trainToy(5, 4); // 3 steps per epoch: stops in the middle of epoch 2
  assert.equal(first.outcome.interrupted, true);
  assert.equal(first.saved.state.globalStep, 4);
  const resumed = await trainToy(5, undefined, first.saved);
  assert.equal(resumed.outcome.interrupted, false);
  assert.deepEqual(
    resumed.outcome.state.history,
    full.outcome.state.history.map((h, i) => ({ ...h, elapsed_s: resumed.outcome.state.history[i]!.elapsed_s })),
  );
  assert.equal(changed(full.weights, resumed.weights).size, 0, 'final weights are bit-identical');
});
