/**
 * Inference batching (src/inference/batch-plan.ts) and int8 inference (`quantize`):
 *
 * - planBatches: every row once, in length order, within the row and token limits.
 * - TextClassifier.predictLogits and Encoder.embed, run sorted by length in token-budget batches,
 *   return rows in input order and equal each text run alone (no padding at all) within 1e-5.
 * - quantize: the int8 graph keeps labels and moves scores by less than 0.05, vectors keep
 *   cosine > 0.99; it refuses the TF.js engine with one clear line.
 *
 * Weights: the embedded BERT-Tiny with a seeded 3-label head (no shared data needed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextClassifier } from '../../src/classifier.js';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { Encoder } from '../../src/encoder.js';
import { UsageError } from '../../src/errors.js';
import { INFERENCE_BATCH, planBatches, runPlanned } from '../../src/inference/batch-plan.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { writeClassifierFolder } from '../../src/training/output-folder.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { LONG_REVIEW, REVIEW, SENTENCES, sentences } from '../helpers/texts.js';

/** Same graph, same rows, different batch shapes: only float summation order differs. */
const TOLERANCE = 1e-5;
const LABELS = ['a', 'b', 'c'];
const work = mkdtempSync(join(tmpdir(), 'bertft-batching-'));
const model = join(work, 'classifier');
/** Lengths from 4 to 128 word pieces, in an order that is not sorted. */
const texts = [LONG_REVIEW, ...SENTENCES, REVIEW, 'Fine.', ...sentences(40, 11), `${REVIEW} ${SENTENCES[2]}`, 'ok'];

function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

before(async () => {
  const { config, raw } = await readBertConfig(EMBEDDED_MODEL_DIR);
  const encoder = (await loadBertWeights(EMBEDDED_MODEL_DIR, config)).weights;
  const H = config.hiddenSize;
  const head = new Map<string, HostTensor>([
    ['classifier.weight', { shape: [3, H], data: seeded(3 * H, 3, 0.5) }],
    ['classifier.bias', { shape: [3], data: new Float32Array(3) }],
  ]);
  await writeClassifierFolder(
    model,
    { config, baseRaw: raw, labels: LABELS, problem: 'single_label_classification', bertft: { pooling: 'mean', max_length: 128 } },
    new Map([...encoder, ...head]),
    EMBEDDED_MODEL_DIR,
  );
});

after(() => rmSync(work, { recursive: true, force: true }));

test('planBatches: every row once, sorted by length, within the row and token limits', () => {
  const lengths = [5, 128, 3, 40, 40, 7, 200, 12, 12, 12, 90, 1, 64];
  for (const limits of [{}, { maxRows: 3 }, { maxTokens: 100 }, { maxRows: 2, maxTokens: 50 }, { maxRows: 1 }]) {
    const plan = planBatches(lengths, limits);
    const flat = plan.flat();
    assert.deepEqual(
      [...flat].sort((a, b) => a - b),
      lengths.map((_, i) => i),
      'each row exactly once',
    );
    assert.deepEqual(
      flat.map((i) => lengths[i]),
      [...lengths].sort((a, b) => a - b),
      'in length order',
    );
    const maxRows = limits.maxRows ?? INFERENCE_BATCH.maxRows;
    const maxTokens = limits.maxTokens ?? INFERENCE_BATCH.maxTokens;
    for (const b of plan) {
      assert.ok(b.length <= maxRows, `${JSON.stringify(limits)}: ${b.length} rows`);
      const padded = b.length * Math.max(...b.map((i) => lengths[i]!));
      assert.ok(b.length === 1 || padded <= maxTokens, `${JSON.stringify(limits)}: ${padded} tokens in ${b.length} rows`);
    }
  }
  // Short rows share wide batches, long rows go in narrow ones.
  const mixed = planBatches([...Array(64).fill(8), ...Array(64).fill(128)], { maxRows: 64, maxTokens: 2048 });
  assert.deepEqual(
    mixed.map((b) => b.length),
    [64, 16, 16, 16, 16],
  );
  assert.throws(() => planBatches([3], { maxRows: 0 }), UsageError);
  assert.throws(() => planBatches([3], { maxTokens: 2.5 }), UsageError);
});

test("runPlanned writes each batch back at its rows' input positions", async () => {
  const plan = [[2, 0], [3], [1]];
  const out = await runPlanned(plan, 4, 2, async (idx) => Float32Array.from(idx.flatMap((i) => [i, -i])));
  assert.deepEqual(Array.from(out), [0, -0, 1, -1, 2, -2, 3, -3]);
});

test('predict, bucketed and token-budgeted, equals each text run alone, in input order', async () => {
  const clf = await TextClassifier.fromPretrained(model, { offline: true });
  const batched = await clf.predictLogits(texts);
  const narrow = await clf.predictLogits(texts, { batchSize: 5, maxBatchTokens: 300 });
  const alone: number[] = [];
  for (const t of texts) alone.push(...(await clf.predictLogits([t])));
  assert.ok(maxDiff(batched, alone) < TOLERANCE, `default batches vs alone: ${maxDiff(batched, alone)}`);
  assert.ok(maxDiff(narrow, alone) < TOLERANCE, `narrow batches vs alone: ${maxDiff(narrow, alone)}`);
  // Reversing the input reverses the output rows.
  const reversed = await clf.predictLogits([...texts].reverse());
  const back = texts.flatMap((_, i) => Array.from(reversed.subarray((texts.length - 1 - i) * 3, (texts.length - i) * 3)));
  assert.ok(maxDiff(back, alone) < TOLERANCE);
  // The rows differ from each other, so a permutation would have been caught.
  assert.ok(maxDiff(alone.slice(0, 3), alone.slice(3, 6)) > 1e-3);
  await clf.dispose();
});

test('embed, bucketed and token-budgeted, equals each text embedded alone, with its own ids', async () => {
  const enc = await Encoder.fromPretrained(EMBEDDED_MODEL_DIR, { offline: true });
  const batched = await enc.embed(texts, { maxBatchTokens: 512 });
  for (const [i, t] of texts.entries()) {
    const [one] = await enc.embed([t]);
    assert.equal(batched[i]!.text, t);
    assert.deepEqual(batched[i]!.inputIds, one!.inputIds, `text ${i} ids`);
    assert.ok(maxDiff(batched[i]!.embedding, one!.embedding) < TOLERANCE, `text ${i}: ${maxDiff(batched[i]!.embedding, one!.embedding)}`);
  }
  await enc.dispose();
});

test('quantize: int8 predict keeps labels and scores within 0.05, int8 embed keeps cosine > 0.99; TF.js refuses it', async () => {
  const fp32 = await TextClassifier.fromPretrained(model, { offline: true });
  const q8 = await TextClassifier.fromPretrained(model, { offline: true, quantize: true });
  const a = await fp32.predict(texts);
  const b = await q8.predict(texts);
  let moved = 0;
  a.forEach((p, i) => {
    for (const l of LABELS) {
      const d = Math.abs(p.scores[l]! - b[i]!.scores[l]!);
      assert.ok(d < 0.05, `text ${i} ${l}: ${d}`);
      moved = Math.max(moved, d);
    }
  });
  assert.ok(moved > 1e-5, 'the int8 graph really ran (scores moved)');
  const same = a.filter((p, i) => p.label === b[i]!.label).length;
  assert.ok(same >= texts.length - 2, `labels kept for ${same}/${texts.length}`);
  await fp32.dispose();
  await q8.dispose();

  const e32 = await Encoder.fromPretrained(EMBEDDED_MODEL_DIR, { offline: true });
  const e8 = await Encoder.fromPretrained(EMBEDDED_MODEL_DIR, { offline: true, quantize: true });
  const [v32, v8] = [await e32.embed(texts), await e8.embed(texts)];
  v32.forEach((v, i) => {
    const x = v.embedding;
    const y = v8[i]!.embedding;
    let dot = 0,
      nx = 0,
      ny = 0;
    for (let k = 0; k < x.length; k++) [dot, nx, ny] = [dot + x[k]! * y[k]!, nx + x[k]! ** 2, ny + y[k]! ** 2];
    assert.ok(dot / Math.sqrt(nx * ny) > 0.99, `text ${i}: cosine ${dot / Math.sqrt(nx * ny)}`);
  });
  await e32.dispose();
  await e8.dispose();
  await assert.rejects(
    TextClassifier.fromPretrained(model, { offline: true, quantize: true, engine: 'tfjs' }),
    (e: unknown) => e instanceof UsageError && /--quantize/.test(e.message),
  );
});

test('the TF.js engine (loaded only when chosen) gives the same logits as onnxruntime', async () => {
  const some = texts.slice(0, 6);
  const onnx = await TextClassifier.fromPretrained(model, { offline: true });
  const tfjs = await TextClassifier.fromPretrained(model, { offline: true, engine: 'tfjs', backend: 'cpu' });
  assert.equal(onnx.engine, 'onnxruntime');
  assert.equal(tfjs.engine, 'tfjs');
  const [a, b] = [await onnx.predictLogits(some), await tfjs.predictLogits(some)];
  assert.ok(maxDiff(a, b) < 1e-4, `onnxruntime vs TF.js: ${maxDiff(a, b)}`);
  await onnx.dispose();
  await tfjs.dispose();
});
