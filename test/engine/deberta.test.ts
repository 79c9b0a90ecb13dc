/**
 * DeBERTa's relative positions (src/models/bert/deberta.ts): the log buckets against
 * `make_log_bucket_position` of transformers (values computed with torch's float32 formula), and
 * `TensorOps.relativeSelection` on onnxruntime (one graph, the length read at run time) and TF.js
 * against its definition out[i, k, j] = table[i − j + M − 1, k]. Its gradients flow through
 * matmul only; test/engine/onnx-grad.test.ts checks them by finite differences.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { OnnxOps } from '../../src/engine/onnx/ops.js';
import { createSession, int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { logBucket, relativeTable } from '../../src/models/bert/deberta.js';
import type { BertConfig } from '../../src/models/bert/config.js';

before(async () => {
  await initTfjs('cpu');
});

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

test('log buckets equal make_log_bucket_position (16 buckets over 64 positions, and 256 over 512 as DeBERTa-v3)', () => {
  const small = [
    -16, -16, -16, -16, -16, -16, -16, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -15, -14, -14, -14, -14, -14, -14, -14,
    -14, -14, -14, -14, -14, -13, -13, -13, -13, -13, -13, -13, -13, -12, -12, -12, -12, -12, -12, -12, -11, -11, -11, -11, -11, -10, -10, -10, -10, -9, -9, -8,
    -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16,
  ];
  assert.deepEqual(
    range(-70, 70).map((r) => logBucket(r, 16, 64)),
    small,
  );
  const v3 = [
    -270, -264, -258, -251, -244, -236, -228, -218, -208, -196, -182, -166, -147, -119, -82, -45, -8, 29, 66, 103, 137, 158, 176, 190, 203, 214, 224, 233, 241,
    248, 255, 262, 268,
  ];
  assert.deepEqual(
    range(-600, 584, 37).map((r) => logBucket(r, 256, 512)),
    v3,
  );
  assert.equal(logBucket(-300, -1, 512), -300, 'no buckets: the distance itself');
});

test('the one-hot table clamps bucket + P into [0, 2P)', () => {
  const cfg = { maxPositionEmbeddings: 8, relativeAttention: { positionBuckets: 4, maxRelativePositions: 8 } } as BertConfig;
  const t = relativeTable(cfg);
  assert.deepEqual(t.shape, [15, 8]);
  const hot = range(0, 14).map((row) => t.data.subarray(row * 8, row * 8 + 8).indexOf(1));
  assert.deepEqual(
    hot,
    range(-7, 7).map((r) => Math.min(Math.max(logBucket(r, 4, 8) + 4, 0), 7)),
  );
  assert.equal(
    t.data.reduce((a, b) => a + b, 0),
    15,
  );
});

test('relativeSelection on onnxruntime (run-time length) and TF.js equals its definition', async () => {
  const M = 6;
  const K = 3;
  const table = { shape: [2 * M - 1, K], data: Float32Array.from({ length: (2 * M - 1) * K }, (_, i) => i + 1) };
  const want = (S: number) => {
    const out: number[] = [];
    for (let i = 0; i < S; i++) for (let k = 0; k < K; k++) for (let j = 0; j < S; j++) out.push(table.data[(i - j + M - 1) * K + k]!);
    return out;
  };
  const b = new GraphBuilder('relative_selection');
  const ids = b.addInput('ids', ElemType.Int64, ['batch', 'seq']);
  b.addOutput(new OnnxOps(b).relativeSelection(ids, table), 'out', ['seq', K, 'seq']);
  const ort = await loadOrt();
  const session = await createSession(toModelBytes(b.graph));
  for (const S of [1, 4, M]) {
    const out = await session.run({ ids: int64Tensor(ort, new Int32Array(2 * S), [2, S]) });
    assert.deepEqual([...out.out!.dims], [S, K, S]);
    assert.deepEqual(Array.from(out.out!.data as Float32Array), want(S), `onnx, S = ${S}`);
    const got = tf.tidy(() => Array.from(new TfjsOps().relativeSelection(tf.zeros([2, S], 'int32'), table).dataSync()));
    assert.deepEqual(got, want(S), `tfjs, S = ${S}`);
  }
  await session.release();
  assert.throws(() => new TfjsOps().relativeSelection(tf.zeros([1, M + 1], 'int32'), table), /longer than the 6/);
});
