/**
 * `--device webgpu` (issue #18, first slice; docs/gpu.md): inference runs on onnxruntime's WebGPU execution
 * provider (Dawn over Vulkan, with CPU fallback for the nodes it has no kernel for) and agrees with the CPU
 * provider. Training on WebGPU (resident state) is tested in webgpu-training-step.test.ts.
 *
 * - The embedded BERT-Tiny's pooled features (createForwardRunner, as embed runs it) and a classifier's
 *   logits (TextClassifier.predictLogits, as predict, evaluate and serve run it; the classifier is trained
 *   here for a few steps on the CPU) agree within 1e-4 on a few texts, padded batches included.
 * - Every node of the BERT-Tiny inference graphs (encoder: mean-pooled, pooler, last_hidden_state; sequence and
 *   token classifier) is placed on WebGPU: the sessions start with `session.disable_cpu_ep_fallback` and give
 *   the CPU provider's outputs within 1e-4.
 *
 * The GPU tests need a WebGPU adapter: a GPU's Vulkan driver, or on a CPU machine Mesa's lavapipe
 * (mesa-vulkan-drivers from bookworm-backports, as .ci/run installs it). Without one they are skipped,
 * unless BERTFT_REQUIRE_WEBGPU=1 (CI): then a missing adapter is a failure.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { TextClassifier } from '../../src/classifier.js';
import type { Graph } from '../../src/engine/onnx/graph.js';
import { int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { INPUT_NAMES, traceClassifier, traceEncoder, traceTokenClassifier } from '../../src/engine/onnx/trace.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { Device } from '../../src/engine/types.js';
import { createForwardRunner } from '../../src/inference/forward.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { LONG_REVIEW, REVIEW, SENTENCES, sentimentLines } from '../helpers/texts.js';
import { needsWebgpu } from '../helpers/webgpu.js';

/** The same fp32 graph on two providers: summation order only. */
const TOLERANCE = 1e-4;
const TEXTS = [REVIEW, SENTENCES[0]!, SENTENCES[3]!, 'A fine film.', LONG_REVIEW];

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const work = mkdtempSync(join(tmpdir(), 'bertft-webgpu-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('pooled features of the embedded BERT-Tiny agree on WebGPU and the CPU', needsWebgpu({ timeout: 300_000 }), async () => {
  const { config } = await readBertConfig(EMBEDDED_MODEL_DIR);
  const { weights } = await loadBertWeights(EMBEDDED_MODEL_DIR, config);
  const tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const batch = await tokenizer.encodeBatch(TEXTS, undefined, { maxLength: 64 });
  const features = async (device: Device, pooling: 'mean' | 'cls' | 'pooler') => {
    const runner = await createForwardRunner(config, weights, { pooling, engine: 'onnxruntime', device });
    try {
      return await runner.run(batch);
    } finally {
      await runner.dispose();
    }
  };
  for (const pooling of ['mean', 'pooler'] as const) {
    const cpu = await features('cpu', pooling);
    const gpu = await features('webgpu', pooling);
    const diff = maxDiff(cpu, gpu);
    console.log(`# ${pooling} features: max |CPU - WebGPU| = ${diff.toExponential(2)} over ${cpu.length} values`);
    assert.ok(cpu.some((v) => v !== 0));
    assert.ok(diff <= TOLERANCE, `${pooling}: max |diff| ${diff} > ${TOLERANCE}`);
  }
});

test('a trained classifier gives the same logits on WebGPU and the CPU', needsWebgpu({ timeout: 600_000 }), async () => {
  const train = join(work, 'train.tsv');
  writeFileSync(train, `${sentimentLines(32, 1).join('\n')}\n`);
  const output = join(work, 'classifier');
  const cpu = await TextClassifier.fit({
    model: EMBEDDED_MODEL_DIR,
    train,
    output,
    strategy: 'full',
    maxSteps: 3,
    epochs: 1,
    batchSize: 8,
    maxLength: 32,
    seed: 0,
    engine: 'onnxruntime',
  });
  const gpu = await TextClassifier.fromPretrained(output, { engine: 'onnxruntime', device: 'webgpu', offline: true });
  try {
    const a = await cpu.predictLogits(TEXTS, { batchSize: 4 });
    const b = await gpu.predictLogits(TEXTS, { batchSize: 4 });
    const diff = maxDiff(a, b);
    console.log(`# classifier logits: max |CPU - WebGPU| = ${diff.toExponential(2)} over ${a.length} values`);
    assert.ok(diff <= TOLERANCE, `logits: max |diff| ${diff} > ${TOLERANCE}`);
  } finally {
    await cpu.dispose();
    await gpu.dispose();
  }
});

test('every node of the BERT-Tiny inference graphs runs on WebGPU (no CPU fallback) and agrees with the CPU', needsWebgpu({ timeout: 300_000 }), async () => {
  const ort = await loadOrt();
  const { config } = await readBertConfig(EMBEDDED_MODEL_DIR);
  const { weights } = await loadBertWeights(EMBEDDED_MODEL_DIR, config);
  const tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const batch = await tokenizer.encodeBatch(TEXTS, undefined, { maxLength: 64 });
  const H = config.hiddenSize;
  const C = 3;
  const head = new Map<string, HostTensor>([
    ['classifier.weight', { shape: [C, H], data: Float32Array.from({ length: C * H }, (_, i) => Math.sin(i) / 8) }],
    ['classifier.bias', { shape: [C], data: Float32Array.from([0.1, -0.2, 0.3]) }],
  ]);
  const graphs: [string, Graph][] = [
    ['encoder, mean-pooled', traceEncoder(config, weights, { output: 'pooled', pooling: 'mean' })],
    ['encoder, pooler', traceEncoder(config, weights, { output: 'pooled', pooling: 'pooler' })],
    ['encoder, last_hidden_state', traceEncoder(config, weights, { output: 'last_hidden_state' })],
    ['sequence classifier', traceClassifier(config, weights, head, 'pooler')],
    ['token classifier', traceTokenClassifier(config, weights, head)],
  ];
  const dims = [batch.batchSize, batch.seqLength];
  const feeds = () => ({
    [INPUT_NAMES.inputIds]: int64Tensor(ort, batch.inputIds, dims),
    [INPUT_NAMES.attentionMask]: int64Tensor(ort, batch.attentionMask, dims),
    [INPUT_NAMES.tokenTypeIds]: int64Tensor(ort, batch.tokenTypeIds, dims),
  });
  const run = async (graph: Graph, gpu: boolean) => {
    // disable_cpu_ep_fallback: the session fails to start if any node is assigned to the CPU provider.
    const session = await ort.InferenceSession.create(toModelBytes(graph), {
      executionProviders: gpu ? ['webgpu'] : ['cpu'],
      logSeverityLevel: 3,
      ...(gpu ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
    });
    try {
      const out = await session.run(feeds());
      return out[graph.outputs[0]!.name]!.data as Float32Array;
    } finally {
      await session.release();
    }
  };
  for (const [name, graph] of graphs) {
    const cpu = await run(graph, false);
    const gpu = await run(graph, true);
    const diff = maxDiff(cpu, gpu);
    console.log(`# ${name}, all nodes on WebGPU: max |CPU - WebGPU| = ${diff.toExponential(2)} over ${cpu.length} values`);
    assert.ok(cpu.some((v) => v !== 0));
    assert.ok(diff <= TOLERANCE, `${name}: max |diff| ${diff} > ${TOLERANCE}`);
  }
});
