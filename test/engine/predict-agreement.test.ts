/**
 * `predict` and the exported model in transformers.js truncate long texts identically (issue #11):
 *
 * - A classifier folder written by bertft (training/output-folder.ts) from a source whose
 *   tokenizer_config.json says model_max_length 1e30 (as Hugging Face checkpoints do) records the
 *   trained max_length (here 32) instead; `bertft export` and `bertft pretrain` do the same.
 * - `embed` defaults to that length too.
 * - On texts longer than 32 word pieces, TextClassifier.predict and transformers.js
 *   `pipeline('text-classification')` over the export give the same labels and scores within 1e-4.
 * - The export's [SEP] guard (export/sep-guard.ts): the ids transformers.js feeds (cut without
 *   the closing [SEP]) give the logits of bertft's truncation, and properly closed rows are unchanged.
 *
 * Weights: the embedded BERT-Tiny with a seeded 2-label head (no shared data needed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { TextClassifier } from '../../src/classifier.js';
import { Encoder } from '../../src/encoder.js';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { createSession, int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { traceClassifier } from '../../src/engine/onnx/trace.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { pretrain } from '../../src/pretraining/pretrain.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { writeClassifierFolder } from '../../src/training/output-folder.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { LONG_REVIEW, REVIEW, SENTENCES, sentences } from '../helpers/texts.js';

/** Scores of two implementations of the same fp32 graph on the same ids: summation order only. */
const TOLERANCE = 1e-4;
const MAX_LENGTH = 32;
const LABELS = ['negative', 'positive'];

const work = mkdtempSync(join(tmpdir(), 'bertft-agree-'));
const source = join(work, 'source');
const model = join(work, 'classifier');
const exported = join(work, 'classifier-onnx');
let config: BertConfig;
let encoder: Map<string, HostTensor>;
let head: Map<string, HostTensor>;
let tokenizer: BertTokenizer;
/** Long texts (well over MAX_LENGTH word pieces) and two short ones, so batches are padded too. */
const texts = [
  LONG_REVIEW,
  REVIEW,
  SENTENCES[2]!,
  SENTENCES[3]!,
  ...sentences(6, 3).map((s, i) => `${s} ${sentences(4, 10 + i).join(' ')}`),
  SENTENCES[0]!,
  'A fine film.',
];

function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const tokenizerConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number };

before(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  ({ config } = await readBertConfig(EMBEDDED_MODEL_DIR));
  encoder = (await loadBertWeights(EMBEDDED_MODEL_DIR, config)).weights;
  tokenizer = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  // The source model's tokenizer says "no limit", as bert-base-uncased's does.
  mkdirSync(source);
  for (const f of ['tokenizer.json', 'vocab.txt', 'special_tokens_map.json']) copyFileSync(join(EMBEDDED_MODEL_DIR, f), join(source, f));
  writeFileSync(join(source, 'tokenizer_config.json'), JSON.stringify({ ...tokenizerConfig(EMBEDDED_MODEL_DIR), model_max_length: 1e30 }));
  const H = config.hiddenSize;
  head = new Map([
    ['classifier.weight', { shape: [2, H], data: seeded(2 * H, 7, 0.5) }],
    ['classifier.bias', { shape: [2], data: new Float32Array(2) }],
  ]);
  const { raw } = await readBertConfig(EMBEDDED_MODEL_DIR);
  const write = () =>
    writeClassifierFolder(
      model,
      { config, baseRaw: raw, labels: LABELS, problem: 'single_label_classification', bertft: { pooling: 'pooler', max_length: MAX_LENGTH } },
      new Map([...encoder, ...head]),
      source,
    );
  await write();
  // Centre the logits over the texts: pooled vectors share a large common part, and without this
  // every text would get the same label.
  const probe = await TextClassifier.fromPretrained(model, { offline: true });
  const logits = await probe.predictLogits(texts);
  await probe.dispose();
  const bias = head.get('classifier.bias')!.data as Float32Array;
  for (let c = 0; c < 2; c++) bias[c] = -logits.filter((_, i) => i % 2 === c).reduce((a, b) => a + b, 0) / texts.length;
  await write();
  await exportModel(model, exported);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the saved and exported folders carry the trained max_length as model_max_length, not the source tokenizer 1e30', () => {
  assert.equal(tokenizerConfig(source).model_max_length, 1e30);
  assert.equal(tokenizerConfig(model).model_max_length, MAX_LENGTH);
  assert.equal(tokenizerConfig(exported).model_max_length, MAX_LENGTH);
  // The other tokenizer settings are kept.
  assert.equal((tokenizerConfig(exported) as unknown as { do_lower_case: boolean }).do_lower_case, true);
});

test('predict and transformers.js pipeline("text-classification") agree on texts longer than max_length', async () => {
  const lengths = (await tokenizer.encodeBatch(texts, undefined, { maxLength: 512 })).lengths;
  assert.ok(lengths.filter((n) => n > MAX_LENGTH).length >= 8, `most texts exceed ${MAX_LENGTH} word pieces: ${lengths.join(', ')}`);
  const clf = await TextClassifier.fromPretrained(model, { offline: true });
  assert.equal(clf.maxLength, MAX_LENGTH);
  const ours = await clf.predict(texts, { batchSize: 4 });
  // Without truncation the long texts score differently, so agreement below is not an accident of the head.
  const untruncated = await clf.predict(texts, { batchSize: 4, maxLength: config.maxPositionEmbeddings });
  const moved = texts.filter((_, i) => Math.abs(untruncated[i]!.scores.positive! - ours[i]!.scores.positive!) > 100 * TOLERANCE).length;
  assert.ok(moved >= 4, `truncation at ${MAX_LENGTH} must change scores of long texts (${moved} moved)`);
  await clf.dispose();

  const classify = await pipeline('text-classification', exported);
  const theirs = (await classify(texts, { top_k: 2 })) as unknown as { label: string; score: number }[][];
  await classify.dispose();
  assert.ok(new Set(ours.map((p) => p.label)).size > 1, 'the head must not give every text the same label');
  texts.forEach((_, i) => {
    assert.equal(theirs[i]![0]!.label, ours[i]!.label, `text ${i}: top label`);
    for (const { label, score } of theirs[i]!) {
      const diff = Math.abs(score - ours[i]!.scores[label]!);
      assert.ok(diff < TOLERANCE, `text ${i} ${label}: transformers.js ${score} vs predict ${ours[i]!.scores[label]} (diff ${diff})`);
    }
  });
});

test('the exported graph closes rows cut without [SEP], and leaves closed rows unchanged', async () => {
  const ort = await loadOrt();
  const run = async (bytes: Uint8Array, rows: number[][]) => {
    const S = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * S);
    const mask = new Int32Array(rows.length * S);
    rows.forEach((r, i) => {
      ids.set(r, i * S);
      mask.fill(1, i * S, i * S + r.length);
    });
    const session = await createSession(bytes, { threads: 1 });
    const dims = [rows.length, S];
    const out = await session.run({
      input_ids: int64Tensor(ort, ids, dims),
      attention_mask: int64Tensor(ort, mask, dims),
      token_type_ids: int64Tensor(ort, new Int32Array(ids.length), dims),
    });
    await session.release();
    return out.logits!.data as Float32Array;
  };
  const full = await tokenizer.encodeBatch([LONG_REVIEW], undefined, { maxLength: 512 });
  const fullIds = Array.from(full.inputIds.subarray(0, full.lengths[0]));
  const cut = fullIds.slice(0, MAX_LENGTH); // transformers.js: [CLS] w1 … w31
  const hf = [...fullIds.slice(0, MAX_LENGTH - 1), tokenizer.sepId]; // bertft / Python: [CLS] w1 … w30 [SEP]
  const short = (await tokenizer.encodeBatch(['A fine film.'], undefined, { maxLength: MAX_LENGTH })).inputIds;
  assert.notEqual(cut.at(-1), tokenizer.sepId);
  const guarded = readFileSync(join(exported, 'onnx', 'model.onnx'));
  const plain = toModelBytes(traceClassifier(config, encoder, head, 'pooler'));
  const [gCut, gHf, gShort] = [await run(guarded, [cut]), await run(guarded, [hf]), await run(guarded, [cut, Array.from(short)])];
  const [pCut, pHf] = [await run(plain, [cut]), await run(plain, [hf])];
  const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
  assert.ok(maxDiff(gCut, pHf) < 1e-5, `cut row → bertft's truncation: ${maxDiff(gCut, pHf)}`);
  assert.ok(maxDiff(gHf, pHf) < 1e-5, `closed row unchanged: ${maxDiff(gHf, pHf)}`);
  assert.ok(maxDiff(pCut, pHf) > 1e-3, `the missing [SEP] matters without the guard: ${maxDiff(pCut, pHf)}`);
  // In a padded batch the short row's [SEP] is found by its own mask.
  assert.ok(maxDiff(gShort.subarray(0, 2), pHf) < 1e-5);
  assert.ok(maxDiff(gShort.subarray(2), await run(plain, [Array.from(short)])) < 1e-5);
});

test("embed defaults to the folder's model_max_length, as transformers.js feature-extraction truncates", async () => {
  const enc = await Encoder.fromPretrained(model, { offline: true });
  const [long] = await enc.embed([LONG_REVIEW]);
  assert.equal(long!.inputIds.length, MAX_LENGTH);
  assert.equal(long!.inputIds.at(-1), tokenizer.sepId);
  await enc.dispose();
  // The embedded model's tokenizer_config says 128, its position count.
  const plain = await Encoder.fromPretrained(EMBEDDED_MODEL_DIR, { offline: true });
  assert.equal((await plain.embed([LONG_REVIEW]))[0]!.inputIds.length, config.maxPositionEmbeddings);
  await plain.dispose();
});

test('pretrain writes its max_length as model_max_length', async () => {
  mkdirSync(join(work, 'mini'));
  const cfg = join(work, 'mini', 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      ...(await readBertConfig(EMBEDDED_MODEL_DIR)).raw,
      hidden_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 64,
    }),
  );
  const corpus = join(work, 'corpus.txt');
  writeFileSync(corpus, `${sentences(200, 5).join('\n')}\n`);
  const out = join(work, 'pretrained');
  await pretrain({ config: cfg, tokenizer: source, text: [corpus], output: out, maxLength: 48, maxSteps: 1, batchSize: 4, threads: 1, saveEveryMinutes: 0 });
  assert.equal(tokenizerConfig(out).model_max_length, 48);
});
