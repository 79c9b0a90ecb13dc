/**
 * Training step graphs written for the `webgpu` target (src/engine/onnx/training/graph-target.ts)
 * run with every node on onnxruntime's WebGPU provider, and compute what the CPU graphs compute.
 *
 * For the embedded BERT-Tiny (5 texts padded to 128 word pieces, its maximum, so the position rows'
 * gradient fills the whole table; dropout on with fixed masks; clipping active; AdamW at step 3 with
 * non-zero moments) each graph is built for both targets and run with the same feeds:
 * - the sequence-classification update (cross-entropy, pooler, word-embedding rows fed compact as the
 *   engine does by default), its accumulation graph (`grads` with a fed `grad_in`), the same with
 *   domain adaptation (DANN's gradient reversal and CORAL on a mixed batch), the masked-LM update
 *   (dense tied word embeddings) and the token-classification update;
 * - the webgpu-target graph on the CPU provider against the cpu-target graph: the reformulation is the
 *   same mathematics (it differs only in float32 summation order and the log-softmax's form);
 * - the webgpu-target graph on WebGPU, created with `session.disable_cpu_ep_fallback = 1` (creation
 *   fails if any node is assigned to the CPU), against the cpu-target graph on the CPU.
 *
 * Tolerances (constants below; measured values in docs/gpu.md): both sides are float32 with sums in
 * different orders (onnxruntime's kernels per provider; the webgpu target's segment scan, chained
 * Adds and written-out log-softmax), so: the loss to 1e-5 relative; updated parameters to 1e-6
 * absolute (a step at lr 1e-3 moves them by up to ~1e-3, and a wrong rule moves them by the order
 * of that); moments, gradients and the gradient norm to 2e-4 of each tensor's largest |value| (the
 * largest measured, 7.2e-5, is masked LM's tied word-embedding moment: its softmax sums run over
 * 30,522 logits, whose float32 sum carries ~1e-5 relative rounding in any order).
 *
 * Needs a WebGPU adapter (a GPU's Vulkan driver, or Mesa's lavapipe; docs/gpu.md): skipped without one
 * unless BERTFT_REQUIRE_WEBGPU=1 (CI), as in test/engine/webgpu.test.ts. The CPU-only equivalence runs
 * everywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Ort from 'onnxruntime-node';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import type { Graph } from '../../src/engine/onnx/graph.js';
import { int64Tensor, loadOrt, type OrtModule } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { INPUT_NAMES } from '../../src/engine/onnx/trace.js';
import { fillDropoutMask, siteDims } from '../../src/engine/onnx/training/dropout-masks.js';
import { graphTargetOf, type GraphTarget } from '../../src/engine/onnx/training/graph-target.js';
import { OnnxTrainingEngine, wordSegmentFeeds } from '../../src/engine/onnx/training/onnx-engine.js';
import { biasCorrection, DEFAULT_ADAMW, OPTIMIZER_INPUTS } from '../../src/engine/onnx/training/optimizer.js';
import {
  buildStepGraph,
  STEP_NAMES,
  stepDimSizes,
  WORD_EMBEDDINGS,
  type StepGraph,
  type StepGraphRequest,
  type StepGraphSpec,
} from '../../src/engine/onnx/training/step-graph.js';
import type { StepOptions, TrainingObjective } from '../../src/engine/types.js';
import { DOMAIN_PARAMS, domainParamShape } from '../../src/heads/domain.js';
import { flatTargetIndex } from '../../src/heads/masked-lm.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { LONG_REVIEW, REVIEW, SENTENCES } from '../helpers/texts.js';
import { needsWebgpu } from '../helpers/webgpu.js';

/** Loss, relative (measured ≤ 2.0e-6: masked LM's log-sum-exp over 30,522 logits, summed in another order). */
const LOSS_RELATIVE = 1e-5;
/** Updated parameters, absolute (measured ≤ 1.2e-7; one step moves a parameter by up to ~1e-3). */
const PARAM_ABSOLUTE = 1e-6;
/** Moments, gradients and the gradient norm: per tensor, relative to its largest |value| (measured ≤ 7.2e-5 for the webgpu graph on the CPU provider, 2.9e-5 on WebGPU). */
const TENSOR_RELATIVE = 2e-4;
/** Absolute floors for tensors that are ~0: v ≈ 1e-6 holds values near 1e-12; key-bias gradients are 0 up to 1e-9 of noise. */
const MOMENT_FLOOR = 1e-12;
/**
 * Weights after three engine steps from zero moments, absolute: a tenth of the most a parameter can
 * move in them (AdamW moves it by up to lr = 1e-4 per step whatever its gradient's size, so a wrong
 * gradient shows as a difference of that order). Measured 7.9e-6: an attention key bias, whose
 * gradient is 0 up to rounding noise, which AdamW's first steps scale up towards lr.
 */
const ENGINE_WEIGHTS_ABSOLUTE = 3e-5;
const GRAD_FLOOR = 1e-8;
const TEXTS = [LONG_REVIEW, REVIEW, SENTENCES[0]!, SENTENCES[2]!, 'A fine film.'];
const CLASSES = 3;
const TOKEN_LABELS = 5;

/** A deterministic, well-spread pattern (no RNG state shared between cases). */
const pattern = (n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(1.7 * i + 0.3));

interface Fixture {
  ort: OrtModule;
  config: Awaited<ReturnType<typeof readBertConfig>>['config'];
  weights: Map<string, HostTensor>;
  ids: Int32Array;
  mask: Int32Array;
  types: Int32Array;
  batch: number;
  seq: number;
}

let fixture: Promise<Fixture> | undefined;
function loadFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const ort = await loadOrt();
    const { config } = await readBertConfig(EMBEDDED_MODEL_DIR);
    const loaded = await loadBertWeights(EMBEDDED_MODEL_DIR, config);
    const weights = new Map<string, HostTensor>([...loaded.weights, ...(loaded.mlmHead ?? new Map<string, HostTensor>())]);
    const tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
    const enc = await tokenizer.encodeBatch(TEXTS, undefined, { maxLength: 128 });
    assert.equal(enc.seqLength, config.maxPositionEmbeddings, 'the batch fills every position row');
    return { ort, config, weights, ids: enc.inputIds, mask: enc.attentionMask, types: enc.tokenTypeIds, batch: enc.batchSize, seq: enc.seqLength };
  })();
  return fixture;
}

/** A linear head of `width` outputs on the hidden size (the checkpoint has none). */
function head(f: Fixture, width: number): Map<string, HostTensor> {
  const H = f.config.hiddenSize;
  return new Map([
    ['classifier.weight', { shape: [width, H], data: pattern(width * H, 0.05) }],
    ['classifier.bias', { shape: [width], data: pattern(width, 0.1) }],
  ]);
}

/** One case: the objective, its parameters, the graph request and the objective's own feeds. */
interface StepCase {
  objective: TrainingObjective;
  params: Map<string, HostTensor>;
  request: (trainable: string[]) => StepGraphRequest;
  /** Feeds the objective reads (targets, masked positions), given the ids fed as input_ids. */
  targets: (f: Fixture, ids: Int32Array) => Record<string, Ort.Tensor>;
  /** Feed the word-embedding table as the rows the batch reads (the engine's default outside masked LM). */
  compact: boolean;
}

const settings = () => ({ lrScale: 1, weightDecay: 0.01 });

/** The rows the batch reads, in first-seen order, and each token's row in that compact table. */
function compactRows(ids: Int32Array): { rows: number[]; slots: Int32Array } {
  const slotOf = new Map<number, number>();
  const slots = Int32Array.from(ids, (id) => {
    if (!slotOf.has(id)) slotOf.set(id, slotOf.size);
    return slotOf.get(id)!;
  });
  return { rows: [...slotOf.keys()], slots };
}

/** Every input of `meta`'s graph, the same for both targets. */
function stepFeeds(f: Fixture, c: StepCase, meta: StepGraph): Record<string, Ort.Tensor> {
  const { ort } = f;
  const dims = [f.batch, f.seq];
  const feeds: Record<string, Ort.Tensor> = {};
  const compact = c.compact ? compactRows(f.ids) : undefined;
  const ids = compact ? compact.slots : f.ids;
  feeds[INPUT_NAMES.inputIds] = int64Tensor(ort, ids, dims);
  feeds[INPUT_NAMES.attentionMask] = int64Tensor(ort, f.mask, dims);
  feeds[INPUT_NAMES.tokenTypeIds] = int64Tensor(ort, f.types, dims);
  Object.assign(feeds, wordSegmentFeeds(ort, ids, compact ? compact.rows.length : f.config.vocabSize), c.targets(f, ids));
  const shapes = new Map<string, number[]>();
  for (const [name, t] of c.params) {
    let { shape, data } = t;
    if (compact && name === WORD_EMBEDDINGS) {
      const H = shape[1]!;
      const rows = new Float32Array(compact.rows.length * H);
      compact.rows.forEach((r, k) => rows.set(data.subarray(r * H, (r + 1) * H), k * H));
      [shape, data] = [[compact.rows.length, H], rows];
    }
    shapes.set(name, [...shape]);
    feeds[name] = new ort.Tensor('float32', data, [...shape]);
    // Moments of a few steps in: m of either sign, v > 0 around the square of a typical gradient.
    const size = data.length;
    feeds[STEP_NAMES.m(name)] = new ort.Tensor('float32', pattern(size, 1e-3), [...shape]);
    feeds[STEP_NAMES.v(name)] = new ort.Tensor('float32', pattern(size, 5e-7, 1e-6), [...shape]);
    feeds[STEP_NAMES.gradIn(name)] = new ort.Tensor('float32', pattern(size, 1e-3), [...shape]);
  }
  const { biasCorrection: bc, epsHat } = biasCorrection(DEFAULT_ADAMW, 3);
  const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
  Object.assign(feeds, {
    [STEP_NAMES.lossScale]: scalar(0.5),
    [OPTIMIZER_INPUTS.lr]: scalar(1e-3),
    [OPTIMIZER_INPUTS.biasCorrection]: scalar(bc),
    [OPTIMIZER_INPUTS.epsHat]: scalar(epsHat),
    [OPTIMIZER_INPUTS.maxGradNorm]: scalar(1),
  });
  meta.dropoutSites.forEach((site, i) => {
    const d = siteDims(site, stepDimSizes(f.batch, f.seq, feeds[STEP_NAMES.mlmPositions]?.dims[0]));
    feeds[site.input] = new ort.Tensor('float32', fillDropoutMask(new Float32Array(d.reduce((a, b) => a * b, 1)), site.rate, 7, 0, i), d);
  });
  return feeds;
}

/** Runs `graph` once on one provider (WebGPU with no CPU fallback) and returns every output. */
async function run(f: Fixture, graph: Graph, feeds: Record<string, Ort.Tensor>, provider: 'cpu' | 'webgpu'): Promise<Map<string, Float32Array>> {
  const session = await f.ort.InferenceSession.create(toModelBytes(graph), {
    executionProviders: [provider],
    logSeverityLevel: 3,
    ...(provider === 'webgpu' ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
  });
  try {
    const only = Object.fromEntries(session.inputNames.map((n) => [n, feeds[n] ?? assert.fail(`no feed for ${n}`)]));
    const out = await session.run(only);
    return new Map(session.outputNames.map((n) => [n, out[n]!.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function build(f: Fixture, c: StepCase, target: GraphTarget): StepGraph {
  const paramShapes = new Map([...c.params].map(([n, t]) => [n, t.shape]));
  return buildStepGraph({ config: f.config, objective: c.objective, paramShapes, target }, c.request([...c.params.keys()]));
}

type OutputKind = 'params' | 'moments' | 'grads';
const kindOf = (name: string): OutputKind =>
  name.startsWith('new/') ? 'params' : name.startsWith('new_m/') || name.startsWith('new_v/') ? 'moments' : 'grads';

/** Whether `diff`, the largest difference in one output tensor whose largest |value| is `scale`, is within tolerance. */
function within(kind: OutputKind, diff: number, scale: number): boolean {
  if (kind === 'params') return diff <= PARAM_ABSOLUTE;
  return diff <= TENSOR_RELATIVE * scale + (kind === 'moments' ? MOMENT_FLOOR : GRAD_FLOOR);
}

/** Compares every output against the reference; logs and returns the worst loss (relative), parameter (absolute) and moment/gradient (relative to each tensor's max) differences. */
function compare(label: string, reference: Map<string, Float32Array>, other: Map<string, Float32Array>): string {
  assert.deepEqual([...other.keys()].sort(), [...reference.keys()].sort(), `${label}: the same outputs`);
  const worst = { loss: 0, params: 0, moments: 0, grads: 0 };
  for (const [name, ref] of reference) {
    const got = other.get(name)!;
    assert.equal(got.length, ref.length, `${label}: ${name} has ${got.length} values, expected ${ref.length}`);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    }
    if (name === STEP_NAMES.loss) {
      worst.loss = diff / Math.abs(ref[0]!);
      assert.ok(worst.loss <= LOSS_RELATIVE, `${label}: loss ${got[0]} against ${ref[0]} (relative ${worst.loss})`);
      continue;
    }
    const kind = kindOf(name);
    // Tensors whose exact value is 0 (the attention key biases' gradients) hold rounding noise only: the floor covers them.
    if (kind === 'params') worst.params = Math.max(worst.params, diff);
    else if (scale > 1e-6) worst[kind] = Math.max(worst[kind], diff / scale);
    assert.ok(within(kind, diff, scale), `${label}: ${name} max |diff| ${diff} (max |value| ${scale})`);
  }
  const e = (v: number) => v.toExponential(1);
  const line = `${label}: loss ${e(worst.loss)} relative, parameters ${e(worst.params)} absolute, moments ${e(worst.moments)} and gradients ${e(worst.grads)} of the tensor's max`;
  console.log(`# ${line}`);
  return line;
}

const CASES: Record<string, (f: Fixture) => StepCase> = {
  'sequence classification, update (rows fed compact)': (f) => ({
    objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: CLASSES },
    params: new Map([...f.weights].filter(([n]) => !n.startsWith('cls.')).concat([...head(f, CLASSES)])),
    request: (trainable) => ({ kind: 'update', trainable, gradsIn: false, settings, compactRows: WORD_EMBEDDINGS }),
    targets: (fx) => ({
      [STEP_NAMES.targets]: new fx.ort.Tensor(
        'float32',
        Float32Array.from({ length: fx.batch * CLASSES }, (_, i) => (i % CLASSES === Math.floor(i / CLASSES) % CLASSES ? 1 : 0)),
        [fx.batch, CLASSES],
      ),
    }),
    compact: true,
  }),
  'sequence classification, accumulation (grads with grad_in)': (f) => ({
    ...CASES['sequence classification, update (rows fed compact)']!(f),
    request: (trainable) => ({ kind: 'grads', trainable, gradsIn: true, compactRows: WORD_EMBEDDINGS }),
  }),
  'domain adaptation (DANN + CORAL), update on a mixed batch': (f) => {
    const plain = CASES['sequence classification, update (rows fed compact)']!(f);
    const domain = DOMAIN_PARAMS.map((n): [string, HostTensor] => {
      const shape = domainParamShape(f.config, n);
      return [
        n,
        {
          shape,
          data: pattern(
            shape.reduce((a, b) => a * b, 1),
            0.05,
          ),
        },
      ];
    });
    return {
      ...plain,
      objective: {
        kind: 'classification',
        pooling: 'pooler',
        problem: 'single_label_classification',
        numOutputs: CLASSES,
        domain: { dann: true, coralWeight: 0.5 },
      },
      params: new Map([...plain.params, ...domain]),
      targets: (fx) => domainTargets(fx),
    };
  },
  'masked LM, update (dense tied word embeddings)': (f) => ({
    objective: { kind: 'masked-lm' },
    params: new Map([...f.weights].filter(([n]) => !n.startsWith('pooler.'))),
    request: (trainable) => ({ kind: 'update', trainable, gradsIn: false, settings }),
    targets: (fx) => maskedTargets(fx, fx.config.vocabSize, (p) => fx.ids[p]!),
    compact: false,
  }),
  'token classification, update (rows fed compact)': (f) => ({
    objective: { kind: 'token-classification', numLabels: TOKEN_LABELS },
    params: new Map([...f.weights].filter(([n]) => !n.startsWith('cls.') && !n.startsWith('pooler.')).concat([...head(f, TOKEN_LABELS)])),
    request: (trainable) => ({ kind: 'update', trainable, gradsIn: false, settings, compactRows: WORD_EMBEDDINGS }),
    targets: (fx) => maskedTargets(fx, TOKEN_LABELS, (p) => (7 * p) % TOKEN_LABELS),
    compact: true,
  }),
};

/** Rows 0…2 labelled source rows, 3…4 target rows; λ = 0.3. */
function domainTargets(f: Fixture): Record<string, Ort.Tensor> {
  const sources = 3;
  const labels = Float32Array.from({ length: f.batch }, (_, r) => (r < sources ? 0 : 1));
  return {
    [STEP_NAMES.targets]: new f.ort.Tensor(
      'float32',
      Float32Array.from({ length: sources * CLASSES }, (_, i) => (i % CLASSES === Math.floor(i / CLASSES) ? 1 : 0)),
      [sources, CLASSES],
    ),
    [STEP_NAMES.sourceCount]: int64Tensor(f.ort, Int32Array.of(sources), [1]),
    [STEP_NAMES.domainLabels]: new f.ort.Tensor('float32', labels, [f.batch, 1]),
    [STEP_NAMES.sourceMask]: new f.ort.Tensor(
      'float32',
      labels.map((l) => 1 - l),
      [f.batch, 1],
    ),
    [STEP_NAMES.grlLambda]: new f.ort.Tensor('float32', Float32Array.of(0.3), []),
  };
}

/** Every 3rd real token predicted (labels from `label`), as the masked positions and flat target index. */
function maskedTargets(f: Fixture, width: number, label: (position: number) => number): Record<string, Ort.Tensor> {
  const positions = [...f.mask.keys()].filter((p) => f.mask[p] === 1 && p % 3 === 1);
  const index = flatTargetIndex(positions.map(label), width);
  return {
    [STEP_NAMES.mlmPositions]: int64Tensor(f.ort, Int32Array.from(positions), [positions.length]),
    [STEP_NAMES.mlmTargetIndex]: int64Tensor(f.ort, index, [index.length]),
  };
}

for (const [name, make] of Object.entries(CASES)) {
  test(`${name}: the webgpu-target graph computes the cpu-target graph's step on the CPU provider`, { timeout: 300_000 }, async () => {
    const f = await loadFixture();
    const c = make(f);
    const cpuGraph = build(f, c, 'cpu');
    const gpuGraph = build(f, c, 'webgpu');
    const feeds = stepFeeds(f, c, cpuGraph);
    compare(`${name}, webgpu graph on CPU`, await run(f, cpuGraph.graph, feeds, 'cpu'), await run(f, gpuGraph.graph, feeds, 'cpu'));
  });

  test(`${name}: every node runs on WebGPU (no CPU fallback) and agrees with the CPU`, needsWebgpu({ timeout: 600_000 }), async () => {
    const f = await loadFixture();
    const c = make(f);
    const cpuGraph = build(f, c, 'cpu');
    const gpuGraph = build(f, c, 'webgpu');
    const feeds = stepFeeds(f, c, cpuGraph);
    compare(`${name}, WebGPU`, await run(f, cpuGraph.graph, feeds, 'cpu'), await run(f, gpuGraph.graph, feeds, 'webgpu'));
  });
}

test('the graph target follows the session: WebGPU first → webgpu, otherwise (CPU, CUDA, none) → cpu', () => {
  assert.equal(graphTargetOf(['webgpu', 'cpu']), 'webgpu');
  assert.equal(graphTargetOf(['webgpu']), 'webgpu');
  assert.equal(graphTargetOf(['cpu']), 'cpu');
  assert.equal(graphTargetOf(['cuda', 'cpu']), 'cpu');
  assert.equal(graphTargetOf(undefined), 'cpu');
});

test(
  'the ONNX training engine on WebGPU builds webgpu-target graphs, and three steps agree with the CPU engine',
  needsWebgpu({ timeout: 600_000 }),
  async () => {
    const f = await loadFixture();
    const c = CASES['sequence classification, update (rows fed compact)']!(f);
    const engine = (executionProviders: string[]) => {
      const e = new OnnxTrainingEngine({ config: f.config, weights: c.params, objective: c.objective, session: { executionProviders } });
      e.setTrainable(new Set(c.params.keys()));
      return e;
    };
    const cpu = engine(['cpu']);
    const gpu = engine(['webgpu']);
    // The engine's graphs are built from its spec (step-graph.ts); the target is the one thing that differs.
    assert.equal((gpu as unknown as { spec: StepGraphSpec }).spec.target, 'webgpu');
    assert.equal((cpu as unknown as { spec: StepGraphSpec }).spec.target, 'cpu');
    const targets = c.targets(f, f.ids)[STEP_NAMES.targets]!.data as Float32Array;
    const batch = { tokens: { batchSize: f.batch, seqLength: f.seq, inputIds: f.ids, attentionMask: f.mask, tokenTypeIds: f.types }, targets };
    try {
      for (let step = 1; step <= 3; step++) {
        const options: StepOptions = { lr: 1e-4, maxGradNorm: 1, settingsOf: settings, dropoutSeed: step };
        const [a, b] = [await cpu.trainStep([batch], options), await gpu.trainStep([batch], options)];
        console.log(`# engine step ${step}: loss ${a} (CPU), ${b} (WebGPU)`);
        assert.ok(Math.abs(a - b) <= LOSS_RELATIVE * Math.abs(a), `step ${step}: loss ${b} against ${a}`);
      }
      const [wa, wb] = [await cpu.weights(), await gpu.weights()];
      let worst = 0;
      for (const [name, t] of wa) for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i]! - wb.get(name)!.data[i]!));
      console.log(`# engine, 3 steps: max |CPU − WebGPU| over the weights = ${worst.toExponential(1)}`);
      assert.ok(worst <= ENGINE_WEIGHTS_ABSOLUTE, `weights after 3 steps differ by ${worst}`);
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  },
);
