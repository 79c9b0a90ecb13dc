/**
 * Checkpoint I/O: safetensors reading (F32/F16/BF16) and writing, damaged-file errors, the weight
 * layouts Hugging Face publishes, shape checks against config.json, shards, atomic writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bertConfigFromRaw,
  encodeSafetensors,
  loadBertWeights,
  readBertConfig,
  readSafetensors,
  replaceDirAtomic,
  saveBertWeights,
  writeFileAtomic,
  writeSafetensors,
} from '../src/checkpoint/index.js';
import { BertftError } from '../src/errors.js';
import { bertParamNames, bertParamShape } from '../src/models/bert/bert.js';
import type { BertConfig } from '../src/models/bert/config.js';
import type { HostTensor } from '../src/models/host-tensor.js';
import { TINY_MODEL_DIR } from './helpers/shared.js';
import { readSafetensors64 } from './reference/safetensors64.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bertft-ckpt-'));
const RAW = { model_type: 'bert', vocab_size: 12, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8, max_position_embeddings: 6, type_vocab_size: 2 };
const CFG: BertConfig = bertConfigFromRaw(RAW, 'config.json');

/** A hand-made safetensors file: header JSON and raw little-endian bytes. */
function rawFile(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(b.buffer).setUint16(i * 2, v, true));
  return b;
}

function weightsFor(cfg: BertConfig, prefix = '', pooler = true): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  let k = 0;
  for (const n of bertParamNames(cfg, pooler)) {
    const shape = bertParamShape(cfg, n);
    out.set(prefix + n, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (k++ % 17) / 8 - 1) });
  }
  return out;
}

function modelDir(tensors: Map<string, HostTensor>): string {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(RAW));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return dir;
}

const rejectsWith = (p: Promise<unknown>, ...parts: (string | RegExp)[]) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BertftError, String(e));
    for (const part of parts) assert.match((e as Error).message, typeof part === 'string' ? new RegExp(part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : part);
    assert.ok(!(e as Error).message.includes('\n'));
    return true;
  });

test('F32 round trip, sorted names, 8-byte aligned header', async () => {
  const file = join(tmp(), 'x.safetensors');
  const tensors = new Map<string, HostTensor>([
    ['b', { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 1e-30, -0, 7) }],
    ['a', { shape: [1], data: Float32Array.of(Math.PI) }],
  ]);
  await writeSafetensors(file, tensors, { note: 'hi' });
  const bytes = readFileSync(file);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString());
  assert.deepEqual(Object.keys(header), ['__metadata__', 'a', 'b']);
  const back = await readSafetensors(file);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'hi' });
  assert.deepEqual(back.tensors.get('b'), tensors.get('b'));
  assert.deepEqual(back.tensors.get('a'), tensors.get('a'));
});

test('F16 and BF16 decode exactly (normals, subnormals, infinities)', async () => {
  const dir = tmp();
  // F16: 1.0 = 0x3c00, -2.5 = 0xc100, smallest subnormal 2^-24 = 0x0001, +inf = 0x7c00, 65504 = 0x7bff
  const f16 = [0x3c00, 0xc100, 0x0001, 0x7c00, 0x7bff];
  // BF16: 1.0 = 0x3f80, -2.5 = 0xc020, 2^-133 (subnormal) = 0x0001, -inf = 0xff80
  const bf16 = [0x3f80, 0xc020, 0x0001, 0xff80];
  const data = new Uint8Array([...u16(f16), ...u16(bf16)]);
  writeFileSync(
    join(dir, 'h.safetensors'),
    rawFile({ h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] }, b: { dtype: 'BF16', shape: [2, 2], data_offsets: [10, 18] } }, data),
  );
  const { tensors } = await readSafetensors(join(dir, 'h.safetensors'));
  assert.deepEqual(Array.from(tensors.get('h')!.data), [1, -2.5, 2 ** -24, Infinity, 65504]);
  assert.deepEqual(Array.from(tensors.get('b')!.data), [1, -2.5, Math.fround(2 ** -133), -Infinity]);
  assert.deepEqual(tensors.get('b')!.shape, [2, 2]);
});

test('damaged files: a one-line error naming the file (and tensor)', async () => {
  const dir = tmp();
  const good = rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
  const cases: [string, Uint8Array, (string | RegExp)[]][] = [
    ['short', new Uint8Array(5), ['short.safetensors', /only 5 bytes/]],
    ['truncated', good.subarray(0, good.length - 3), ['truncated.safetensors', /truncated/, 'w']],
    ['badjson', rawFile({}, new Uint8Array()).fill(65, 8), ['badjson.safetensors', /not valid JSON/]],
    ['hugeheader', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), ['hugeheader.safetensors', /header claims 1000 bytes/]],
    ['dtype', rawFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), ['dtype.safetensors', 'w', /I64/]],
    ['size', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), ['size.safetensors', '"w"', /needs 12/]],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), ['overlap.safetensors', /offsets/]],
  ];
  for (const [name, bytes, parts] of cases) {
    const file = join(dir, `${name}.safetensors`);
    writeFileSync(file, bytes);
    await rejectsWith(readSafetensors(file), ...parts);
  }
  await rejectsWith(readSafetensors(join(dir, 'absent.safetensors')), 'absent.safetensors');
});

test('the real pretrained checkpoint: names, shapes, pooler, MLM head, values', async () => {
  const { config } = await readBertConfig(TINY_MODEL_DIR);
  const loaded = await loadBertWeights(TINY_MODEL_DIR, config);
  assert.equal(loaded.hasPooler, true);
  assert.deepEqual([...loaded.weights.keys()], bertParamNames(config, true));
  assert.equal(loaded.classifier, undefined);
  assert.ok(loaded.mlmHead?.has('cls.predictions.transform.dense.weight'));
  assert.deepEqual(loaded.mlmHead?.get('cls.predictions.decoder.weight')?.shape, [30522, 128], 'tied decoder filled from the embeddings');
  const ref = readSafetensors64(join(TINY_MODEL_DIR, 'model.safetensors'));
  for (const [name, t] of loaded.weights) {
    const r = ref.get(`bert.${name}`)!;
    assert.deepEqual(t.shape, r.shape, name);
    assert.ok(t.data.every((v, i) => v === r.data[i]), `${name} values`);
  }
});

test('layouts: BertModel (no prefix), bert. prefix with classifier, legacy gamma/beta, no pooler', async () => {
  const plain = await loadBertWeights(modelDir(weightsFor(CFG)), CFG);
  const prefixed = weightsFor(CFG, 'bert.');
  prefixed.set('classifier.weight', { shape: [3, 4], data: new Float32Array(12).fill(0.5) });
  prefixed.set('classifier.bias', { shape: [3], data: new Float32Array(3) });
  prefixed.set('bert.embeddings.position_ids', { shape: [1, 6], data: new Float32Array(6) });
  const cls = await loadBertWeights(modelDir(prefixed), CFG);
  assert.deepEqual([...cls.weights.keys()], [...plain.weights.keys()]);
  assert.deepEqual(cls.classifier?.get('classifier.weight')?.shape, [3, 4]);
  assert.deepEqual(cls.ignored, []);
  const legacy = new Map([...weightsFor(CFG, 'bert.')].map(([n, t]) => [n.replace('LayerNorm.weight', 'LayerNorm.gamma').replace('LayerNorm.bias', 'LayerNorm.beta'), t]));
  const fromLegacy = await loadBertWeights(modelDir(legacy), CFG);
  assert.deepEqual(fromLegacy.weights.get('embeddings.LayerNorm.weight'), plain.weights.get('embeddings.LayerNorm.weight'));
  const noPooler = await loadBertWeights(modelDir(weightsFor(CFG, '', false)), CFG);
  assert.equal(noPooler.hasPooler, false);
});

test('missing tensor, wrong shape, pytorch_model.bin only, empty folder', async () => {
  const missing = weightsFor(CFG);
  missing.delete('encoder.layer.0.attention.self.key.weight');
  await rejectsWith(loadBertWeights(modelDir(missing), CFG), 'model.safetensors', 'encoder.layer.0.attention.self.key.weight', /missing/);
  const wrong = weightsFor(CFG);
  wrong.set('embeddings.word_embeddings.weight', { shape: [11, 4], data: new Float32Array(44) });
  await rejectsWith(loadBertWeights(modelDir(wrong), CFG), 'embeddings.word_embeddings.weight', '[11, 4]', 'config.json says [12, 4]');
  const bin = tmp();
  writeFileSync(join(bin, 'pytorch_model.bin'), 'x');
  await rejectsWith(loadBertWeights(bin, CFG), 'pytorch_model.bin', /safetensors only/, /safe_serialization=True/);
  const empty = tmp();
  await rejectsWith(loadBertWeights(empty, CFG), empty, /no model\.safetensors/);
  await rejectsWith(readBertConfig(empty), 'config.json', /not found/);
});

test('config.json checks name the field', () => {
  assert.throws(() => bertConfigFromRaw({ ...RAW, hidden_size: 'big' }, 'c.json'), /c\.json: field "hidden_size"/);
  assert.throws(() => bertConfigFromRaw({ ...RAW, vocab_size: undefined }, 'c.json'), /"vocab_size".*missing/);
  assert.throws(() => bertConfigFromRaw({ ...RAW, hidden_act: 'relu' }, 'c.json'), /hidden_act "relu"/);
  assert.throws(() => bertConfigFromRaw({ ...RAW, model_type: 'roberta' }, 'c.json'), /model_type is "roberta"/);
  assert.equal(bertConfigFromRaw(RAW, 'c.json').layerNormEps, 1e-12);
});

test('sharded checkpoints via model.safetensors.index.json', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(RAW));
  const all = [...weightsFor(CFG, 'bert.')];
  const half = Math.floor(all.length / 2);
  writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), encodeSafetensors(new Map(all.slice(0, half))));
  writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), encodeSafetensors(new Map(all.slice(half))));
  const weightMap = Object.fromEntries(all.map(([n], i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const loaded = await loadBertWeights(dir, CFG);
  assert.equal(loaded.weights.size, bertParamNames(CFG, true).length);
});

test('saveBertWeights writes the BertForSequenceClassification layout and loads back', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(RAW));
  const head = new Map<string, HostTensor>([['classifier.weight', { shape: [2, 4], data: new Float32Array(8).fill(1) }], ['classifier.bias', { shape: [2], data: Float32Array.of(0.5, -0.5) }]]);
  await saveBertWeights(dir, weightsFor(CFG), head);
  const names = [...(await readSafetensors(join(dir, 'model.safetensors'))).tensors.keys()];
  assert.ok(names.includes('bert.embeddings.word_embeddings.weight') && names.includes('classifier.bias'));
  const back = await loadBertWeights(dir, CFG);
  assert.deepEqual(back.classifier?.get('classifier.bias'), head.get('classifier.bias'));
});

test('atomic writes: a failed write or fill leaves the old content and no temp files', async () => {
  const dir = tmp();
  const file = join(dir, 'f.txt');
  await writeFileAtomic(file, 'old');
  await assert.rejects(writeFileAtomic(join(dir, 'missing-dir', 'f.txt'), 'x'));
  assert.equal(readFileSync(file, 'utf8'), 'old');
  const folder = join(dir, 'ckpt');
  await replaceDirAtomic(folder, async (t) => writeFileSync(join(t, 'a'), '1'));
  await assert.rejects(replaceDirAtomic(folder, async (t) => {
    writeFileSync(join(t, 'a'), 'half');
    throw new Error('killed while writing');
  }));
  assert.equal(readFileSync(join(folder, 'a'), 'utf8'), '1');
  await replaceDirAtomic(folder, async (t) => writeFileSync(join(t, 'a'), '2'));
  assert.equal(readFileSync(join(folder, 'a'), 'utf8'), '2');
  assert.deepEqual(readdirSync(dir).sort(), ['ckpt', 'f.txt']);
  assert.ok(!existsSync(join(dir, 'missing-dir')));
});
