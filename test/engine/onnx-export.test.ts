/**
 * ONNX export for transformers.js: a classifier folder (the embedded pretrained BERT-Tiny,
 * models/bert-tiny-en, with a seeded random 3-label head) and the plain encoder are exported, loaded offline with
 * `@huggingface/transformers` pipelines, and their scores / sentence vectors compared with the
 * TF.js engine on the same texts. Also: the quantized file, a vocab.txt-only folder, and the
 * folder-level guarantees (no overwrite by accident, no temporary folders left behind).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { env, pipeline } from '@huggingface/transformers';
import { loadBertWeights, readBertConfig, saveBertWeights, writeConfig } from '../../src/checkpoint/index.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { disposeParams, toTfjsParams } from '../../src/engine/tfjs/params.js';
import { UsageError } from '../../src/errors.js';
import { bertForward, pool } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { sequenceClassifierLogits } from '../../src/heads/classification.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { REVIEW, SENTENCES } from '../helpers/texts.js';

const TOLERANCE = 1e-4;
const LABELS = ['negative', 'neutral', 'positive'];
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

const work = mkdtempSync(join(tmpdir(), 'bertft-export-'));
let texts: string[];
let config: BertConfig;
let encoder: Map<string, HostTensor>;
let head: Map<string, HostTensor>;
let tokenizer: BertTokenizer;

/** Deterministic values in [-scale, scale) (a tiny LCG; the test only needs a fixed, non-trivial head). */
function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** Writes a BertForSequenceClassification folder: the tiny encoder + our head + labels. */
async function writeClassifierFolder(dir: string, bertftSection?: Record<string, unknown>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // As transformers writes a BertForSequenceClassification: no classifier_pooling (the embedded model's names `mean`).
  const { classifier_pooling: _, ...raw } = (await readBertConfig(EMBEDDED_MODEL_DIR)).raw;
  await saveBertWeights(dir, encoder, head);
  await writeConfig(dir, {
    ...raw,
    architectures: ['BertForSequenceClassification'],
    id2label: Object.fromEntries(LABELS.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(LABELS.map((l, i) => [l, i])),
    ...(bertftSection ? { bertft: bertftSection } : {}),
  });
  for (const f of TOKENIZER_FILES) copyFileSync(join(EMBEDDED_MODEL_DIR, f), join(dir, f));
}

/** Our tokenizer + TF.js engine, one text at a time (no padding at all), as [rows][values]. */
async function tfjsRows(
  fn: (ops: TfjsOps, params: Map<string, tf.Tensor>, inputs: ReturnType<typeof batchToTensors>) => tf.Tensor,
  weights: Map<string, HostTensor>,
): Promise<Float32Array[]> {
  const params = toTfjsParams(weights);
  const ops = new TfjsOps();
  const out: Float32Array[] = [];
  for (const t of texts) {
    const batch = await tokenizer.encodeBatch([t], undefined, { maxLength: config.maxPositionEmbeddings });
    out.push(tf.tidy(() => fn(ops, params, batchToTensors(batch)).dataSync() as Float32Array));
  }
  disposeParams(params);
  return out;
}

function softmax(z: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Scored = { label: string; score: number };

before(async () => {
  await initTfjs('cpu');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const loaded = await readBertConfig(EMBEDDED_MODEL_DIR);
  config = loaded.config;
  encoder = (await loadBertWeights(EMBEDDED_MODEL_DIR, config)).weights;
  tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  // Every text fits the model's positions: transformers.js cuts a longer one without keeping its final [SEP].
  texts = [...SENTENCES, REVIEW, 'A fine film.'];
  // A seeded head, its bias set to cancel the texts' average mean-pooled vector: sentence vectors
  // share a large common part, and without centring every text would get the same label.
  const H = config.hiddenSize;
  const weight = seeded(3 * H, 42, 0.5);
  const features = await tfjsRows((ops, params, inputs) => pool(ops, bertForward(ops, config, params, inputs), inputs.attentionMask, 'mean'), encoder);
  const bias = new Float32Array(3).map((_, c) => {
    let z = 0;
    for (const f of features) for (let i = 0; i < H; i++) z += weight[c * H + i] * f[i];
    return -z / features.length;
  });
  head = new Map([
    ['classifier.weight', { shape: [3, H], data: weight }],
    ['classifier.bias', { shape: [3], data: bias }],
  ]);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('text-classification export: transformers.js labels and scores equal softmax of the TF.js engine logits', async () => {
  const model = join(work, 'classifier');
  await writeClassifierFolder(model, { pooling: 'mean', max_length: 128 });
  const out = join(work, 'classifier-onnx');
  const result = await exportModel(model, out);
  assert.equal(result.task, 'text-classification');
  assert.equal(result.pooling, 'mean', 'the pooling recorded by bertft in config.json is used');
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(out, 'onnx', 'model_quantized.onnx')));
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(cfg.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
  const tokCfg = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number };
  assert.equal(tokCfg.model_max_length, config.maxPositionEmbeddings, 'model_max_length is capped to the position table');

  const classify = await pipeline('text-classification', out);
  const got = (await classify(texts, { top_k: LABELS.length })) as unknown as Scored[][];
  await classify.dispose();
  const logits = await tfjsRows((ops, params, inputs) => sequenceClassifierLogits(ops, config, params, inputs, 'mean'), new Map([...encoder, ...head]));
  const predicted = new Set<string>();
  texts.forEach((_, i) => {
    const want = softmax(logits[i]);
    const best = want.indexOf(Math.max(...want));
    assert.equal(got[i][0].label, LABELS[best], `text ${i}: top label`);
    predicted.add(got[i][0].label);
    for (const { label, score } of got[i]) {
      const diff = Math.abs(score - want[LABELS.indexOf(label)]);
      assert.ok(diff < TOLERANCE, `text ${i} ${label}: ${score} vs ${want[LABELS.indexOf(label)]}`);
    }
  });
  assert.ok(predicted.size > 1, 'the head must not give every text the same label');
});

test('an HF classifier without a bertft section exports with pooler pooling, like BertForSequenceClassification', async () => {
  const model = join(work, 'hf-classifier');
  await writeClassifierFolder(model);
  const out = join(work, 'hf-classifier-onnx');
  const result = await exportModel(model, out);
  assert.equal(result.pooling, 'pooler');
  const classify = await pipeline('text-classification', out);
  const got = (await classify(texts.slice(0, 3), { top_k: LABELS.length })) as unknown as Scored[][];
  await classify.dispose();
  const logits = await tfjsRows((ops, params, inputs) => sequenceClassifierLogits(ops, config, params, inputs, 'pooler'), new Map([...encoder, ...head]));
  got.forEach((scores, i) => {
    const want = softmax(logits[i]);
    for (const { label, score } of scores) assert.ok(Math.abs(score - want[LABELS.indexOf(label)]) < TOLERANCE);
  });
});

test('feature-extraction export: transformers.js mean and cls vectors equal the TF.js engine', async () => {
  const out = join(work, 'encoder-onnx');
  // The embedded model has a masked-LM head, so feature-extraction is asked for (fill-mask is the default; test/e2e/fill-mask.test.ts).
  const result = await exportModel(EMBEDDED_MODEL_DIR, out, { task: 'feature-extraction' });
  assert.equal(result.task, 'feature-extraction');
  assert.deepEqual((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { architectures: string[] }).architectures, ['BertModel']);
  const extract = await pipeline('feature-extraction', out);
  for (const pooling of ['mean', 'cls'] as const) {
    const want = await tfjsRows((ops, params, inputs) => pool(ops, bertForward(ops, config, params, inputs), inputs.attentionMask, pooling), encoder);
    // All texts in one call: transformers.js pads them, so masking is exercised on its side too.
    const got = await extract(texts, { pooling });
    assert.deepEqual(got.dims, [texts.length, config.hiddenSize]);
    const data = got.data as Float32Array;
    texts.forEach((_, i) => {
      const row = data.subarray(i * config.hiddenSize, (i + 1) * config.hiddenSize);
      assert.ok(maxDiff(row, want[i]) < TOLERANCE, `${pooling} text ${i}: ${maxDiff(row, want[i])}`);
    });
  }
  await extract.dispose();
});

test('quantize writes model_quantized.onnx, which transformers.js loads as dtype q8 with nearly the same scores', async () => {
  const model = join(work, 'classifier');
  const out = join(work, 'classifier-q8');
  const result = await exportModel(model, out, { quantize: true });
  assert.ok(result.files.includes('onnx/model_quantized.onnx'));
  const full = readFileSync(join(out, 'onnx', 'model.onnx')).length;
  const small = readFileSync(join(out, 'onnx', 'model_quantized.onnx')).length;
  assert.ok(small < full / 3, `quantized ${small} bytes vs fp32 ${full}`);
  const fp32 = await pipeline('text-classification', out);
  const q8 = await pipeline('text-classification', out, { dtype: 'q8' });
  const a = (await fp32(texts, { top_k: LABELS.length })) as unknown as Scored[][];
  const b = (await q8(texts, { top_k: LABELS.length })) as unknown as Scored[][];
  await fp32.dispose();
  await q8.dispose();
  let worst = 0;
  texts.forEach((_, i) => {
    for (const { label, score } of a[i]) worst = Math.max(worst, Math.abs(score - (b[i].find((s) => s.label === label)?.score ?? NaN)));
    // int8 rounding may swap two near-equal scores, never a clear winner.
    if (a[i][0].score - a[i][1].score > 0.05) assert.equal(b[i][0].label, a[i][0].label, `text ${i}`);
  });
  assert.ok(worst > 0, 'the q8 file must really be a different model');
  assert.ok(worst < 0.05, `scores move by ${worst}`);
});

test('a folder with only vocab.txt gets a tokenizer.json that transformers.js tokenizes identically', async () => {
  const model = join(work, 'vocab-only');
  mkdirSync(model);
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json']) symlinkSync(join(EMBEDDED_MODEL_DIR, f), join(model, f));
  const out = join(work, 'vocab-only-onnx');
  await exportModel(model, out, { task: 'feature-extraction' });
  assert.ok(existsSync(join(out, 'tokenizer.json')));
  const reference = join(work, 'encoder-onnx');
  const [a, b] = [await pipeline('feature-extraction', out), await pipeline('feature-extraction', reference)];
  const va = await a(texts, { pooling: 'mean' });
  const vb = await b(texts, { pooling: 'mean' });
  await a.dispose();
  await b.dispose();
  assert.ok(maxDiff(va.data as Float32Array, vb.data as Float32Array) < 1e-6);
});

test('export refuses to overwrite by accident, replaces on request, and leaves no temporary folders', async () => {
  const out = join(work, 'encoder-onnx');
  await assert.rejects(exportModel(EMBEDDED_MODEL_DIR, out), (e: unknown) => e instanceof UsageError && /already exists/.test(e.message));
  writeFileSync(join(out, 'stale.txt'), 'from an earlier export');
  await exportModel(EMBEDDED_MODEL_DIR, out, { overwrite: true });
  assert.ok(!existsSync(join(out, 'stale.txt')), 'the old folder is replaced as a whole');
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')));
  await assert.rejects(
    exportModel(EMBEDDED_MODEL_DIR, join(work, 'nohead'), { task: 'text-classification' }),
    (e: unknown) => e instanceof UsageError && /no classification head/.test(e.message),
  );
  assert.ok(!existsSync(join(work, 'nohead')));
  // Temporary and backup folders are hidden siblings (`.name.*.tmp` / `.old`).
  const leftovers = readdirSync(work).filter((n) => n.startsWith('.'));
  assert.deepEqual(leftovers, []);
});
