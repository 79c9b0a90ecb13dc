/**
 * Checkpoint I/O: safetensors reading (F32/F16/BF16) and writing, damaged-file errors, the weight
 * layouts Hugging Face publishes, shape checks against config.json, shards, config.json, atomic writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bertConfigFromRaw,
  encodeSafetensors,
  loadBertWeights,
  MLM_HEAD_NAMES,
  rawFromBertConfig,
  readBertConfig,
  readSafetensors,
  readSafetensorsHeader,
  replaceDirAtomic,
  saveBertWeights,
  writeConfig,
  writeFileAtomic,
  writeSafetensors,
} from '../../src/checkpoint/index.js';
import { BertftError } from '../../src/errors.js';
import { bertParamNames, bertParamShape } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { EMBEDDED_MODEL_DIR, needsShared, TINY_MODEL_DIR } from '../helpers/shared.js';
import { readSafetensors64 } from '../reference/safetensors64.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bertft-ckpt-'));
const RAW = {
  model_type: 'bert',
  vocab_size: 12,
  hidden_size: 4,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 8,
  max_position_embeddings: 6,
  type_vocab_size: 2,
};
const CFG: BertConfig = bertConfigFromRaw(RAW, 'config.json');

/** A hand-made safetensors file: 8-byte length, header JSON exactly as given, raw bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian 16-bit words. */
function u16(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(b.buffer).setUint16(i * 2, v, true));
  return b;
}

/** Every BERT parameter for `cfg` with distinct, recognisable values. */
function weightsFor(cfg: BertConfig, prefix = '', pooler = true): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  let k = 0;
  for (const n of bertParamNames(cfg, pooler)) {
    const shape = bertParamShape(cfg, n);
    out.set(prefix + n, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (k++ % 17) / 8 - 1) });
  }
  return out;
}

const filled = (shape: number[], v: number): HostTensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });

/** A model folder with the tiny config and these tensors as model.safetensors. */
function modelDir(tensors: Map<string, HostTensor>): string {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(RAW));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return dir;
}

const literalPattern = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** Rejects with a one-line BertftError whose message contains every part. */
const rejectsWith = (p: Promise<unknown>, ...parts: (string | RegExp)[]) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BertftError, String(e));
    for (const part of parts) assert.match(e.message, typeof part === 'string' ? literalPattern(part) : part);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });

const throwsWith = (fn: () => unknown, ...parts: (string | RegExp)[]) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BertftError, String(e));
    for (const part of parts) assert.match(e.message, typeof part === 'string' ? literalPattern(part) : part);
    return true;
  });

test('F32 round trip: sorted names, 8-byte aligned space-padded header, little-endian data, default metadata', async () => {
  const dir = tmp();
  const file = join(dir, 'x.safetensors');
  const tensors = new Map<string, HostTensor>([
    ['b', { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 1e-30, -0, 7) }],
    ['a', { shape: [1], data: Float32Array.of(Math.PI) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
  await writeSafetensors(file, tensors, { note: 'hi' });
  const bytes = readFileSync(file);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
  const headerText = bytes.subarray(8, 8 + headerLen).toString();
  assert.match(headerText, /^\{.*\} *$/);
  const header = JSON.parse(headerText);
  assert.deepEqual(Object.keys(header), ['__metadata__', 'a', 'b', 'empty']);
  assert.deepEqual(header.a, { dtype: 'F32', shape: [1], data_offsets: [0, 4] });
  assert.equal(bytes.readFloatLE(8 + headerLen), Math.fround(Math.PI), 'first tensor (a) starts the data, little-endian');
  const back = await readSafetensors(file);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'hi' });
  for (const [n, t] of tensors) assert.deepEqual(back.tensors.get(n), t, n);
  // The independent reference reader agrees with what we wrote.
  assert.deepEqual(Array.from(readSafetensors64(file).get('b')!.data), Array.from(tensors.get('b')!.data));

  await writeSafetensors(join(dir, 'y.safetensors'), tensors);
  assert.deepEqual((await readSafetensors(join(dir, 'y.safetensors'))).metadata, { format: 'pt' });
  assert.deepEqual(readdirSync(dir).sort(), ['x.safetensors', 'y.safetensors'], 'no temp files left');
});

test('F16 and BF16 decode exactly: hand-built bit patterns', async () => {
  const dir = tmp();
  // F16: 1.0, -2.5, smallest subnormal 2^-24, largest subnormal 1023·2^-24, -0, +inf, -inf, max 65504, NaN
  const f16 = [0x3c00, 0xc100, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7bff, 0x7e00];
  const f16Want = [1, -2.5, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, 65504, NaN];
  // BF16: 1.0, -2.5, subnormal 2^-133, 3.140625 (0x4049), -inf, 2^127 (0x7f00), NaN
  const bf16 = [0x3f80, 0xc020, 0x0001, 0x4049, 0xff80, 0x7f00, 0x7fc0];
  const bf16Want = [1, -2.5, 2 ** -133, 3.140625, -Infinity, 2 ** 127, NaN];
  const f32 = new Uint8Array(Float32Array.of(0.1).buffer);
  const data = new Uint8Array([...u16(f16), ...u16(bf16), ...f32]);
  const file = join(dir, 'h.safetensors');
  const hEnd = f16.length * 2;
  const bEnd = hEnd + bf16.length * 2;
  writeFileSync(
    file,
    rawFile(
      {
        h: { dtype: 'F16', shape: [f16.length], data_offsets: [0, hEnd] },
        b: { dtype: 'BF16', shape: [1, bf16.length], data_offsets: [hEnd, bEnd] },
        f: { dtype: 'F32', shape: [], data_offsets: [bEnd, bEnd + 4] },
      },
      data,
    ),
  );
  const { tensors } = await readSafetensors(file);
  assert.deepEqual(Array.from(tensors.get('h')!.data), f16Want);
  assert.ok(Object.is(tensors.get('h')!.data[4], -0), 'negative zero keeps its sign');
  assert.deepEqual(Array.from(tensors.get('b')!.data), bf16Want);
  assert.deepEqual(tensors.get('b')!.shape, [1, bf16.length]);
  assert.deepEqual(tensors.get('f'), { shape: [], data: Float32Array.of(0.1) });
  const header = await readSafetensorsHeader(file);
  assert.deepEqual(
    [...header.entries].map(([n, e]) => [n, e.dtype]),
    [
      ['h', 'F16'],
      ['b', 'BF16'],
      ['f', 'F32'],
    ],
  );
});

test('F16 and BF16: all 65536 bit patterns agree with the float64 reference reader', async () => {
  const dir = tmp();
  const all = Array.from({ length: 65536 }, (_, i) => i);
  for (const dtype of ['F16', 'BF16']) {
    const file = join(dir, `${dtype}.safetensors`);
    writeFileSync(file, rawFile({ t: { dtype, shape: [65536], data_offsets: [0, 131072] } }, u16(all)));
    const ours = (await readSafetensors(file)).tensors.get('t')!.data;
    const ref = readSafetensors64(file).get('t')!.data;
    for (let i = 0; i < 65536; i++) {
      // Every half and bfloat16 is exactly representable in float32: widening must lose nothing.
      if (!Object.is(ours[i], ref[i])) assert.fail(`${dtype} 0x${i.toString(16)}: got ${ours[i]}, reference ${ref[i]}`);
    }
  }
});

test('damaged files: a one-line error naming the file (and the tensor)', async () => {
  const dir = tmp();
  const good = rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
  const bigLength = new Uint8Array(16);
  new DataView(bigLength.buffer).setBigUint64(0, 1000n, true);
  const hugeLength = new Uint8Array(16);
  new DataView(hugeLength.buffer).setBigUint64(0, 2n ** 63n, true);
  const two = (a: [number, number], b: [number, number]) => ({
    a: { dtype: 'F32', shape: [(a[1] - a[0]) / 4], data_offsets: a },
    b: { dtype: 'F32', shape: [(b[1] - b[0]) / 4], data_offsets: b },
  });
  const cases: [string, Uint8Array, (string | RegExp)[]][] = [
    ['empty', new Uint8Array(0), [/only 0 bytes/]],
    ['short', new Uint8Array(5), [/only 5 bytes/]],
    ['header-beyond-file', bigLength, [/header claims 1000 bytes/]],
    ['header-2^63', hugeLength, [/header claims 9223372036854775808 bytes/]],
    ['not-json', rawFile('{"w": {"dtype": "F32", '), [/not valid JSON/]],
    ['json-array', rawFile([1, 2]), [/not a JSON object/]],
    ['unknown-dtype', rawFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), ['"w"', /I64/]],
    ['bad-shape', rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), ['"w"', /shape \[-1\]/]],
    ['bad-offsets', rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), ['"w"', /data_offsets/]],
    ['end-before-begin', rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, new Uint8Array(8)), ['"w"', /out of order/]],
    ['size-mismatch', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), ['"w"', /8 bytes/, /needs 12/]],
    ['overlap', rawFile(two([0, 8], [4, 8]), new Uint8Array(8)), ['"b"', /overlapping tensor "a"/]],
    ['gap', rawFile(two([0, 4], [8, 12]), new Uint8Array(12)), ['"b"', /out of order/, /gap/]],
    ['out-of-range', rawFile(two([0, 8], [8, 16]), new Uint8Array(8)), ['"b"', /ends at byte 16/, /only 8/]],
    ['truncated', good.subarray(0, good.length - 3), [/truncated/, '"w"']],
    ['metadata', rawFile({ __metadata__: { step: 3 } }), [/__metadata__/]],
  ];
  for (const [name, bytes, parts] of cases) {
    const file = join(dir, `${name}.safetensors`);
    writeFileSync(file, bytes);
    await rejectsWith(readSafetensors(file), file, ...parts);
    await rejectsWith(readSafetensorsHeader(file), file, ...parts);
  }
  await rejectsWith(readSafetensors(join(dir, 'absent.safetensors')), join(dir, 'absent.safetensors'), /ENOENT/);
  await rejectsWith(readSafetensors(dir), dir);
});

// The embedded model (float16, bert.* + pooler + cls.predictions.*) in every checkout, and the shared
// IMDB model (float32, with the NSP head cls.seq_relationship.*, which is dropped silently).
for (const [which, dir, options] of [
  ['embedded bert-tiny-en (F16)', EMBEDDED_MODEL_DIR, {}],
  ['shared bert-tiny-imdb-mlm (F32, NSP head)', TINY_MODEL_DIR, needsShared()],
] as const) {
  test(`the real pretrained checkpoint, ${which}: names, shapes, pooler, MLM head, values equal the reference reader`, options, async () => {
    const { config } = await readBertConfig(dir);
    const loaded = await loadBertWeights(dir, config);
    assert.equal(loaded.file, join(dir, 'model.safetensors'));
    assert.equal(loaded.hasPooler, true);
    assert.deepEqual([...loaded.weights.keys()], bertParamNames(config, true));
    for (const [name, t] of loaded.weights) assert.deepEqual(t.shape, bertParamShape(config, name), name);
    assert.equal(loaded.classifier, undefined);
    assert.deepEqual(loaded.ignored, [], 'nothing unknown (an NSP head is dropped silently)');
    const head = loaded.mlmHead;
    assert.ok(head);
    assert.deepEqual([...head.keys()], [...MLM_HEAD_NAMES]);
    assert.equal(head.get('cls.predictions.decoder.weight'), loaded.weights.get('embeddings.word_embeddings.weight'), 'tied decoder is the embedding tensor');
    assert.deepEqual(head.get('cls.predictions.bias')!.shape, [config.vocabSize]);

    const ref = readSafetensors64(join(dir, 'model.safetensors'));
    const same = (name: string, t: HostTensor, r: { shape: number[]; data: Float64Array }) => {
      assert.deepEqual(t.shape, r.shape, name);
      assert.ok(
        t.data.every((v, i) => v === r.data[i]),
        `${name} values`,
      );
    };
    for (const [name, t] of loaded.weights) same(name, t, ref.get(`bert.${name}`)!);
    for (const name of MLM_HEAD_NAMES.filter((n) => n !== 'cls.predictions.decoder.weight')) same(name, head.get(name)!, ref.get(name)!);

    const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    assert.equal(header.entries.size, ref.size);
    assert.deepEqual(header.entries.get('bert.embeddings.word_embeddings.weight')?.shape, [config.vocabSize, config.hiddenSize]);
  });
}

test('layouts: BertModel (no prefix), bert. prefix with classifier, legacy gamma/beta, no pooler, unknown tensors listed', async () => {
  const plain = await loadBertWeights(modelDir(weightsFor(CFG)), CFG);
  assert.deepEqual([...plain.weights.keys()], bertParamNames(CFG, true));
  assert.equal(plain.mlmHead, undefined);

  const prefixed = weightsFor(CFG, 'bert.');
  prefixed.set('classifier.weight', filled([3, 4], 0.5));
  prefixed.set('classifier.bias', filled([3], 0.25));
  prefixed.set('bert.embeddings.position_ids', filled([1, 6], 0));
  prefixed.set('cls.seq_relationship.weight', filled([2, 4], 0));
  prefixed.set('extra.adapter.weight', filled([2], 0));
  const cls = await loadBertWeights(modelDir(prefixed), CFG);
  for (const [n, t] of plain.weights) assert.deepEqual(cls.weights.get(n), t, n);
  assert.deepEqual(
    cls.classifier,
    new Map([
      ['classifier.weight', filled([3, 4], 0.5)],
      ['classifier.bias', filled([3], 0.25)],
    ]),
  );
  assert.deepEqual(cls.ignored, ['extra.adapter.weight']);

  const legacy = new Map(
    [...weightsFor(CFG, 'bert.')].map(([n, t]) => [n.replace('LayerNorm.weight', 'LayerNorm.gamma').replace('LayerNorm.bias', 'LayerNorm.beta'), t]),
  );
  assert.ok(legacy.has('bert.encoder.layer.0.output.LayerNorm.gamma'));
  const fromLegacy = await loadBertWeights(modelDir(legacy), CFG);
  for (const [n, t] of plain.weights) assert.deepEqual(fromLegacy.weights.get(n), t, n);

  const noPooler = await loadBertWeights(modelDir(weightsFor(CFG, '', false)), CFG);
  assert.equal(noPooler.hasPooler, false);
  assert.deepEqual([...noPooler.weights.keys()], bertParamNames(CFG, false));
});

test('MLM head: explicit decoder, bias stored as decoder.bias, legacy LayerNorm names, incomplete head ignored', async () => {
  const tensors = weightsFor(CFG, 'bert.');
  tensors.set('cls.predictions.transform.dense.weight', filled([4, 4], 1));
  tensors.set('cls.predictions.transform.dense.bias', filled([4], 2));
  tensors.set('cls.predictions.transform.LayerNorm.gamma', filled([4], 3));
  tensors.set('cls.predictions.transform.LayerNorm.beta', filled([4], 4));
  tensors.set('cls.predictions.decoder.weight', filled([12, 4], 5));
  tensors.set('cls.predictions.decoder.bias', filled([12], 6));
  const loaded = await loadBertWeights(modelDir(tensors), CFG);
  assert.deepEqual(
    MLM_HEAD_NAMES.map((n) => loaded.mlmHead?.get(n)?.data[0]),
    [1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(loaded.ignored, []);

  tensors.set('cls.predictions.decoder.weight', filled([11, 4], 5));
  await rejectsWith(loadBertWeights(modelDir(tensors), CFG), 'cls.predictions.decoder.weight', '[11, 4]', 'config.json says [12, 4]');

  tensors.delete('cls.predictions.decoder.weight');
  tensors.delete('cls.predictions.transform.dense.bias');
  const partial = await loadBertWeights(modelDir(tensors), CFG);
  assert.equal(partial.mlmHead, undefined);
  assert.ok(partial.ignored.includes('cls.predictions.transform.dense.weight'));
});

test('missing tensor, wrong shape, bad classifier, duplicate names, other formats, empty or absent folder', async () => {
  const missing = weightsFor(CFG);
  missing.delete('encoder.layer.0.attention.self.key.weight');
  const missingDir = modelDir(missing);
  await rejectsWith(loadBertWeights(missingDir, CFG), join(missingDir, 'model.safetensors'), 'encoder.layer.0.attention.self.key.weight', /missing/);

  const wrong = weightsFor(CFG, 'bert.');
  wrong.set('bert.embeddings.word_embeddings.weight', filled([11, 4], 0));
  const wrongDir = modelDir(wrong);
  await rejectsWith(
    loadBertWeights(wrongDir, CFG),
    join(wrongDir, 'model.safetensors'),
    'bert.embeddings.word_embeddings.weight',
    '[11, 4]',
    'config.json says [12, 4]',
  );

  const badHead = weightsFor(CFG, 'bert.');
  badHead.set('classifier.weight', filled([3, 5], 0));
  badHead.set('classifier.bias', filled([3], 0));
  await rejectsWith(loadBertWeights(modelDir(badHead), CFG), 'classifier.weight', '[3, 5]', '[3, 4]');
  badHead.set('classifier.weight', filled([3, 4], 0));
  badHead.set('classifier.bias', filled([2], 0));
  await rejectsWith(loadBertWeights(modelDir(badHead), CFG), 'classifier.bias', '[2]', '[3]');
  badHead.delete('classifier.bias');
  await rejectsWith(loadBertWeights(modelDir(badHead), CFG), 'classifier.weight', /not classifier\.bias/);

  const twice = weightsFor(CFG, 'bert.');
  twice.set('embeddings.LayerNorm.weight', filled([4], 1));
  await rejectsWith(loadBertWeights(modelDir(twice), CFG), 'bert.embeddings.LayerNorm.weight', 'embeddings.LayerNorm.weight', /same weight/);

  for (const other of ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack']) {
    const dir = tmp();
    writeFileSync(join(dir, other), 'x');
    await rejectsWith(loadBertWeights(dir, CFG), join(dir, other), /safetensors only/, `from_pretrained('${dir}')`, /safe_serialization=True/);
  }
  const empty = tmp();
  await rejectsWith(loadBertWeights(empty, CFG), empty, /no model\.safetensors/);
  await rejectsWith(loadBertWeights(join(empty, 'nope'), CFG), join(empty, 'nope'), /no such folder/);
});

test('config.json: checks name the file and field, HF defaults, unknown keys survive a save', async () => {
  throwsWith(() => bertConfigFromRaw({ ...RAW, hidden_size: 'big' }, 'c.json'), 'c.json', 'field "hidden_size"', '"big"');
  throwsWith(() => bertConfigFromRaw({ ...RAW, vocab_size: undefined }, 'c.json'), '"vocab_size"', /missing/);
  throwsWith(() => bertConfigFromRaw({ ...RAW, num_hidden_layers: 1.5 }, 'c.json'), '"num_hidden_layers"', '1.5');
  throwsWith(() => bertConfigFromRaw({ ...RAW, hidden_dropout_prob: 1.2 }, 'c.json'), '"hidden_dropout_prob"', /probability/);
  throwsWith(() => bertConfigFromRaw({ ...RAW, layer_norm_eps: 0 }, 'c.json'), '"layer_norm_eps"', /positive/);
  throwsWith(() => bertConfigFromRaw({ ...RAW, num_attention_heads: 3 }, 'c.json'), '"hidden_size"', /divisible/);
  throwsWith(
    () => bertConfigFromRaw({ ...RAW, hidden_act: 'swish' }, 'c.json'),
    'c.json',
    '"hidden_act"',
    '"swish"',
    /"gelu", the tanh "gelu_new" and "relu" only/,
  );
  assert.equal(bertConfigFromRaw({ ...RAW, hidden_act: 'gelu_new' }, 'c.json').hiddenAct, 'gelu_new');
  assert.equal(bertConfigFromRaw({ ...RAW, hidden_act: 'relu' }, 'c.json').hiddenAct, 'relu');
  throwsWith(() => bertConfigFromRaw({ ...RAW, position_embedding_type: 'relative_key' }, 'c.json'), '"position_embedding_type"');
  throwsWith(
    () => bertConfigFromRaw({ ...RAW, model_type: 'gpt2' }, 'c.json'),
    'c.json',
    /model_type "gpt2" is not supported \(supported: bert, roberta, xlm-roberta, electra, distilbert, albert, deberta-v2, modernbert\)/,
  );
  // deberta-v2 runs with the DeBERTa-v3 settings; any other is refused on one line naming the field.
  const v3 = {
    ...RAW,
    model_type: 'deberta-v2',
    type_vocab_size: 0,
    relative_attention: true,
    pos_att_type: ['p2c', 'c2p'],
    share_att_key: true,
    position_biased_input: false,
    norm_rel_ebd: 'layer_norm',
    pooler_hidden_act: 'gelu',
    position_buckets: 256,
    max_relative_positions: -1,
  };
  assert.deepEqual(
    bertConfigFromRaw(v3, 'c.json').relativeAttention,
    { positionBuckets: 256, maxRelativePositions: 6 },
    'max_relative_positions < 1: max_position_embeddings',
  );
  throwsWith(() => bertConfigFromRaw({ ...v3, pos_att_type: ['c2p'] }, 'c.json'), 'c.json', '"pos_att_type"', /DeBERTa-v3 settings only/);
  throwsWith(() => bertConfigFromRaw({ ...v3, share_att_key: false }, 'c.json'), '"share_att_key"');
  throwsWith(() => bertConfigFromRaw({ ...v3, position_biased_input: true }, 'c.json'), '"position_biased_input"');
  throwsWith(() => bertConfigFromRaw({ ...RAW, model_type: 'gpt2' }, 'c.json'), 'c.json', /model_type "gpt2" is not supported \(supported: /);

  const cfg = bertConfigFromRaw({ ...RAW, pad_token_id: null, max_position_embeddings: undefined }, 'c.json');
  assert.deepEqual(
    [cfg.hiddenAct, cfg.layerNormEps, cfg.padTokenId, cfg.initializerRange, cfg.hiddenDropoutProb, cfg.attentionProbsDropoutProb, cfg.maxPositionEmbeddings],
    ['gelu', 1e-12, 0, 0.02, 0.1, 0.1, 512],
  );
  assert.equal(bertConfigFromRaw({ ...RAW, type_vocab_size: undefined }, 'c.json').typeVocabSize, 2);

  const dir = tmp();
  await rejectsWith(readBertConfig(dir), join(dir, 'config.json'), /not found/);
  writeFileSync(join(dir, 'config.json'), '{"vocab_size": 12,');
  await rejectsWith(readBertConfig(dir), join(dir, 'config.json'), /not valid JSON/);
  writeFileSync(join(dir, 'config.json'), '[]');
  await rejectsWith(readBertConfig(dir), join(dir, 'config.json'), /JSON object/);

  const base = { ...RAW, architectures: ['BertForMaskedLM'], id2label: { 0: 'neg' }, custom: { a: 1 } };
  await writeConfig(dir, rawFromBertConfig({ ...CFG, hiddenDropoutProb: 0.2 }, base));
  const text = readFileSync(join(dir, 'config.json'), 'utf8');
  assert.ok(text.startsWith('{\n  "model_type": "bert",\n') && text.endsWith('}\n'), '2-space JSON with a final newline');
  const back = await readBertConfig(dir);
  assert.deepEqual(back.config, { ...CFG, hiddenDropoutProb: 0.2 });
  assert.deepEqual([back.raw.architectures, back.raw.id2label, back.raw.custom], [base.architectures, base.id2label, base.custom]);
  assert.equal(back.raw.layer_norm_eps, 1e-12, 'defaults are written out explicitly');
});

test("config.json: a family's own defaults (HF's AlbertConfig, DistilBertConfig) and ALBERT's one shared layer", () => {
  const albert = bertConfigFromRaw({ ...RAW, model_type: 'albert' }, 'c.json');
  assert.deepEqual(
    [albert.family, albert.embeddingSize, albert.hiddenAct, albert.hiddenDropoutProb, albert.attentionProbsDropoutProb, albert.classifierDropout],
    ['albert', 128, 'gelu_new', 0, 0, 0.1],
  );
  const set = bertConfigFromRaw({ ...RAW, model_type: 'albert', embedding_size: 2, hidden_act: 'gelu', classifier_dropout_prob: 0.3 }, 'c.json');
  assert.deepEqual([set.embeddingSize, set.hiddenAct, set.classifierDropout], [2, 'gelu', 0.3]);
  assert.deepEqual(bertConfigFromRaw(rawFromBertConfig(set), 'c.json'), set, 'round trip');
  throwsWith(() => bertConfigFromRaw({ ...RAW, model_type: 'albert', num_hidden_groups: 2 }, 'c.json'), 'c.json', '"num_hidden_groups"', /one shared layer/);
  throwsWith(() => bertConfigFromRaw({ ...RAW, model_type: 'albert', inner_group_num: 2 }, 'c.json'), 'c.json', '"inner_group_num"');
  const distil = { model_type: 'distilbert', vocab_size: 12, dim: 4, n_layers: 1, n_heads: 2, hidden_dim: 8 };
  assert.equal(bertConfigFromRaw(distil, 'c.json').classifierDropout, 0.2, "seq_classif_dropout absent: HF's 0.2, not the hidden dropout");
  assert.equal(bertConfigFromRaw({ ...distil, seq_classif_dropout: 0.05 }, 'c.json').classifierDropout, 0.05);
  assert.equal(bertConfigFromRaw({ ...RAW, model_type: 'roberta', pad_token_id: 1 }, 'c.json').classifierDropout, undefined, 'RoBERTa: the hidden dropout');
});

test('config.json: ModernBERT from transformers 5 keys (layer_types, rope_parameters) and from 4.x keys alike', () => {
  const common = { model_type: 'modernbert', vocab_size: 12, hidden_size: 4, num_hidden_layers: 4, num_attention_heads: 2, intermediate_size: 6 };
  const v5 = bertConfigFromRaw(
    {
      ...common,
      layer_types: ['full_attention', 'sliding_attention', 'full_attention', 'sliding_attention'],
      local_attention: 8,
      rope_parameters: { full_attention: { rope_theta: 1000, rope_type: 'default' }, sliding_attention: { rope_theta: 10, rope_type: 'default' } },
    },
    'c.json',
  );
  const v4 = bertConfigFromRaw({ ...common, global_attn_every_n_layers: 2, local_attention: 8, global_rope_theta: 1000, local_rope_theta: 10 }, 'c.json');
  assert.deepEqual(v4, v5);
  assert.deepEqual(v5.modernBert, {
    layerTypes: ['full', 'sliding', 'full', 'sliding'],
    localAttention: 8,
    globalRopeTheta: 1000,
    localRopeTheta: 10,
    classifierActivation: 'gelu',
    embeddingDropout: 0,
  });
  assert.equal(v5.classifierPooling, undefined, 'classifier_pooling absent: the family decides (cls)');
  assert.deepEqual([v5.hiddenAct, v5.layerNormEps, v5.hiddenDropoutProb, v5.classifierDropout], ['gelu', 1e-5, 0, 0]);
  const defaults = bertConfigFromRaw(common, 'c.json').modernBert!;
  assert.deepEqual(
    [defaults.layerTypes, defaults.localAttention, defaults.globalRopeTheta, defaults.localRopeTheta],
    [['full', 'sliding', 'sliding', 'full'], 128, 160_000, 10_000],
  );
  assert.deepEqual(bertConfigFromRaw(rawFromBertConfig(v5), 'c.json'), v5, 'round trip in 4.x keys');
  const written = rawFromBertConfig(v5, { ...common, layer_types: [], rope_parameters: {} });
  assert.deepEqual(bertConfigFromRaw(written, 'c.json'), v5, 'round trip in 5 keys');
  assert.equal(written.global_rope_theta, undefined);
  throwsWith(() => bertConfigFromRaw({ ...common, attention_bias: true }, 'c.json'), 'c.json', '"attention_bias"', /without biases/);
  throwsWith(() => bertConfigFromRaw({ ...common, layer_types: ['full_attention'] }, 'c.json'), 'c.json', '"layer_types"');
  throwsWith(() => bertConfigFromRaw({ ...common, classifier_pooling: 'max' }, 'c.json'), 'c.json', '"classifier_pooling"');
});

test('sharded checkpoints via model.safetensors.index.json', async () => {
  const all = [...weightsFor(CFG, 'bert.')];
  const half = Math.floor(all.length / 2);
  const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const sharded = (weightMap: Record<string, string>) => {
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(RAW));
    writeFileSync(join(dir, shards[0]!), encodeSafetensors(new Map(all.slice(0, half))));
    writeFileSync(join(dir, shards[1]!), encodeSafetensors(new Map(all.slice(half))));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    return dir;
  };
  const weightMap = Object.fromEntries(all.map(([n], i) => [n, shards[i < half ? 0 : 1]!]));
  const dir = sharded(weightMap);
  const loaded = await loadBertWeights(dir, CFG);
  assert.equal(loaded.file, join(dir, 'model.safetensors.index.json'));
  const whole = await loadBertWeights(modelDir(new Map(all)), CFG);
  assert.deepEqual(loaded.weights, whole.weights);

  const lying = sharded({ ...weightMap, 'bert.pooler.dense.bias': shards[0]! });
  await rejectsWith(loadBertWeights(lying, CFG), 'model.safetensors.index.json', 'bert.pooler.dense.bias', /does not hold it/);
  const escaping = sharded({ ...weightMap, 'bert.pooler.dense.bias': '../elsewhere.safetensors' });
  await rejectsWith(loadBertWeights(escaping, CFG), 'model.safetensors.index.json', '../elsewhere.safetensors');
  const missingShard = sharded({ ...weightMap, 'bert.pooler.dense.bias': 'model-00003-of-00003.safetensors' });
  await rejectsWith(loadBertWeights(missingShard, CFG), 'model-00003-of-00003.safetensors', /missing/);
  // A wrong shape names the shard that holds the tensor.
  const bad = sharded(weightMap);
  writeFileSync(join(bad, shards[1]!), encodeSafetensors(new Map(all.slice(half).map(([n, t]) => [n, n === 'bert.pooler.dense.bias' ? filled([5], 0) : t]))));
  await rejectsWith(loadBertWeights(bad, CFG), join(bad, shards[1]!), 'bert.pooler.dense.bias', '[5]', 'config.json says [4]');
});

test('saveBertWeights writes the BertForSequenceClassification layout and loads back', async () => {
  const dir = join(tmp(), 'new-folder');
  const head = new Map<string, HostTensor>([
    ['classifier.weight', filled([2, 4], 1)],
    ['classifier.bias', { shape: [2], data: Float32Array.of(0.5, -0.5) }],
  ]);
  const weights = weightsFor(CFG);
  await saveBertWeights(dir, weights, head);
  const file = join(dir, 'model.safetensors');
  const names = [...(await readSafetensorsHeader(file)).entries.keys()];
  assert.deepEqual(names, [...[...weights.keys()].map((n) => `bert.${n}`), 'classifier.bias', 'classifier.weight'].sort());
  const back = await loadBertWeights(dir, CFG);
  assert.deepEqual(back.weights, weights);
  assert.deepEqual(back.classifier, head);
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('atomic writes: a failed write or fill leaves the old content and no temp files', async () => {
  const dir = tmp();
  const file = join(dir, 'f.txt');
  await writeFileAtomic(file, 'old');
  await writeFileAtomic(file, new TextEncoder().encode('new'));
  assert.equal(readFileSync(file, 'utf8'), 'new');
  await rejectsWith(writeFileAtomic(join(dir, 'missing-dir', 'f.txt'), 'x'), join(dir, 'missing-dir', 'f.txt'));
  // The rename fails (the target is a non-empty folder): the temp file must go, the target stay.
  mkdirSync(join(dir, 'occupied'));
  writeFileSync(join(dir, 'occupied', 'keep'), 'k');
  await rejectsWith(writeFileAtomic(join(dir, 'occupied'), 'x'), join(dir, 'occupied'));
  assert.equal(readFileSync(join(dir, 'occupied', 'keep'), 'utf8'), 'k');

  const folder = join(dir, 'ckpt');
  await replaceDirAtomic(folder, async (t) => writeFileSync(join(t, 'a'), '1'));
  assert.equal(readFileSync(join(folder, 'a'), 'utf8'), '1');
  const killed = new Error('killed while writing');
  await assert.rejects(
    replaceDirAtomic(folder, async (t) => {
      writeFileSync(join(t, 'a'), 'half');
      mkdirSync(join(t, 'sub'));
      throw killed;
    }),
    (e) => e === killed,
  );
  assert.deepEqual(readdirSync(folder), ['a']);
  assert.equal(readFileSync(join(folder, 'a'), 'utf8'), '1');
  await replaceDirAtomic(folder, async (t) => {
    mkdirSync(join(t, 'sub'));
    writeFileSync(join(t, 'sub', 'b'), '2');
  });
  assert.deepEqual(readdirSync(folder), ['sub'], 'the old folder is replaced as a whole');
  assert.equal(readFileSync(join(folder, 'sub', 'b'), 'utf8'), '2');
  assert.deepEqual(readdirSync(dir).sort(), ['ckpt', 'f.txt', 'occupied']);
  assert.ok(!existsSync(join(dir, 'missing-dir')));
});

test('RoBERTa and XLM-R: a config.json without pad_token_id (or with null) pads with id 1, as RobertaConfig does; BERT keeps 0', () => {
  const { pad_token_id: _, ...noPad } = RAW as Record<string, unknown>;
  for (const modelType of ['roberta', 'xlm-roberta']) {
    assert.equal(bertConfigFromRaw({ ...noPad, model_type: modelType }, 'c.json').padTokenId, 1, modelType);
    assert.equal(bertConfigFromRaw({ ...noPad, model_type: modelType, pad_token_id: null }, 'c.json').padTokenId, 1, `${modelType}, null`);
    assert.equal(bertConfigFromRaw({ ...noPad, model_type: modelType, pad_token_id: 3 }, 'c.json').padTokenId, 3, `${modelType}, given`);
  }
  assert.equal(bertConfigFromRaw({ ...noPad }, 'c.json').padTokenId, 0, 'BERT');
});
