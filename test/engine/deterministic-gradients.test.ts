/**
 * Embedding-lookup gradients are summed in a fixed order (src/engine/onnx/training/segment-sum.ts):
 * the segment sums equal the float64 sums rounded to float32, and two engines given the same seed
 * take bit-identical steps on two threads, where onnxruntime's ScatterND-add (the gradient before)
 * added repeated rows in the threads' order and the runs parted after the first step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { ElemType } from '../../src/engine/onnx/graph.js';
import { int64Tensor } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { segmentsOf, segmentSum, segmentSumByScan } from '../../src/engine/onnx/training/segment-sum.js';
import { tinyTestConfig } from '../helpers/tiny-config.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import { Rng } from '../../src/data/random.js';

test('segment sums: each table row gets the float64 sum of its tokens rounded to float32; rows without tokens get 0', async () => {
  const N = 300;
  const H = 8;
  const R = 40;
  const rng = new Rng(3);
  // Heavy repeats (row 0 takes a third of the tokens), rows never used, and magnitudes over 6 decades.
  const rowOf = Int32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 0 : 1 + Math.floor(rng.next() * 30)));
  const g = Float32Array.from({ length: N * H }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 6 - 3));
  const seg = segmentsOf(rowOf, R);
  assert.deepEqual(
    [...seg.order].sort((a, b) => a - b),
    Array.from({ length: N }, (_, i) => i),
    'order is a permutation of the tokens',
  );
  for (let r = 0; r < R; r++) for (let k = seg.start[r]!; k < seg.end[r]!; k++) assert.equal(rowOf[seg.order[k]!], r);

  const b = new GraphBuilder();
  const x = b.addInput('g', ElemType.Float, [N, H]);
  const inputs = {
    order: b.addInput('order', ElemType.Int64, [N]),
    start: b.addInput('start', ElemType.Int64, [R]),
    end: b.addInput('end', ElemType.Int64, [R]),
  };
  b.addOutput(segmentSum(b, x, H, inputs), 'sums');
  const session = await ort.InferenceSession.create(toModelBytes(b.graph), { intraOpNumThreads: 2, logSeverityLevel: 3 });
  const out = await session.run({
    g: new ort.Tensor('float32', g, [N, H]),
    order: int64Tensor(ort, seg.order, [N]),
    start: int64Tensor(ort, seg.start, [R]),
    end: int64Tensor(ort, seg.end, [R]),
  });
  const sums = out.sums!.data as Float32Array;
  const want = new Float64Array(R * H);
  for (let i = 0; i < N; i++) for (let h = 0; h < H; h++) want[rowOf[i]! * H + h]! += g[i * H + h]!;
  let off = 0;
  for (let k = 0; k < R * H; k++) if (sums[k] !== Math.fround(want[k]!)) off++;
  // A running float64 sum differs from the exact sum by far less than a float32 ulp; only a value
  // that falls within that distance of a float32 rounding boundary can round the other way.
  assert.ok(off <= 1, `${off} of ${R * H} sums differ from the float64 sum rounded to float32`);
  assert.ok(
    sums.slice(31 * H).every((v) => v === 0),
    'rows 31…39 have no tokens',
  );
  await session.release();
});

test('segment sums by scan (the webgpu target): within float32 rounding of the exact sums, in a fixed order; rows without tokens get 0', async () => {
  const N = 300;
  const H = 8;
  const R = 40;
  const rng = new Rng(5);
  // Row 0 takes a third of the tokens (a 7-step deep scan), rows 31…39 none, magnitudes over 6 decades.
  const rowOf = Int32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 0 : 1 + Math.floor(rng.next() * 30)));
  const g = Float32Array.from({ length: N * H }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 6 - 3));
  const seg = segmentsOf(rowOf, R);
  const b = new GraphBuilder();
  const x = b.addInput('g', ElemType.Float, ['tokens', H]);
  const ids = b.addInput('ids', ElemType.Int64, ['tokens']);
  const inputs = {
    order: b.addInput('order', ElemType.Int64, ['tokens']),
    start: b.addInput('start', ElemType.Int64, [R]),
    end: b.addInput('end', ElemType.Int64, [R]),
  };
  b.addOutput(segmentSumByScan(b, x, R, ids, inputs), 'sums');
  const session = await ort.InferenceSession.create(toModelBytes(b.graph), { intraOpNumThreads: 2, logSeverityLevel: 3 });
  const feeds = {
    g: new ort.Tensor('float32', g, [N, H]),
    ids: int64Tensor(ort, rowOf, [N]),
    order: int64Tensor(ort, seg.order, [N]),
    start: int64Tensor(ort, seg.start, [R]),
    end: int64Tensor(ort, seg.end, [R]),
  };
  const sums = (await session.run(feeds)).sums!.data as Float32Array;
  const again = (await session.run(feeds)).sums!.data as Float32Array;
  await session.release();
  assert.deepEqual(again, sums, 'the same sums on every run');
  const want = new Float64Array(R * H);
  const magnitude = new Float64Array(R * H);
  const count = new Int32Array(R);
  for (let i = 0; i < N; i++) {
    count[rowOf[i]!]! += 1;
    for (let h = 0; h < H; h++) {
      want[rowOf[i]! * H + h]! += g[i * H + h]!;
      magnitude[rowOf[i]! * H + h]! += Math.abs(g[i * H + h]!);
    }
  }
  // A sum tree of depth ⌈log2 n⌉ rounds at most that many times per term: |error| ≤ (depth + 1)·2^-24·Σ|terms|.
  for (let k = 0; k < R * H; k++) {
    const depth = Math.ceil(Math.log2(Math.max(count[Math.floor(k / H)]!, 1)));
    assert.ok(Math.abs(sums[k]! - want[k]!) <= (depth + 1) * 2 ** -24 * magnitude[k]!, `row ${Math.floor(k / H)}: ${sums[k]} against ${want[k]}`);
  }
  assert.ok(
    sums.slice(31 * H).every((v) => v === 0),
    'rows 31…39 have no tokens',
  );
});

test('two engines with the same seed take bit-identical steps on two threads (repeated token ids; row-wise and dense word-embedding updates)', async () => {
  // BERT-Tiny's real widths: at this size onnxruntime spreads a scatter over its threads.
  const cfg = tinyTestConfig({ vocabSize: 30522, hiddenSize: 128, intermediateSize: 512, maxPositionEmbeddings: 512 });
  const B = 32;
  const S = 64;
  const weights = new Map([...initBertWeights(cfg, 1), ...initClassifierHead(cfg, 2, 2)]);
  // [CLS] in every row and ids drawn from 300: every id repeats, as in real text.
  const inputIds = Int32Array.from({ length: B * S }, (_, i) => (i % S === 0 ? 101 : 1000 + ((i * 7919) % 300)));
  const batch = {
    tokens: {
      batchSize: B,
      seqLength: S,
      inputIds,
      attentionMask: new Int32Array(B * S).fill(1),
      tokenTypeIds: Int32Array.from({ length: B * S }, (_, i) => (i % S > S / 2 ? 1 : 0)),
    },
    targets: Float32Array.from({ length: 2 * B }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
  };
  const settingsOf = (n: string) => ({ lrScale: 1, weightDecay: n.endsWith('.bias') || n.includes('LayerNorm') ? 0 : 0.01 });
  for (const wordEmbeddingUpdate of ['rows', 'dense'] as const) {
    const engines = [0, 1].map(() => {
      const e = new OnnxTrainingEngine({
        config: cfg,
        weights,
        objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
        wordEmbeddingUpdate,
        session: { threads: 2 },
      });
      e.setTrainable(new Set(weights.keys()));
      return e;
    });
    for (let step = 0; step < 4; step++) {
      const losses = [];
      for (const e of engines) losses.push(await e.trainStep([batch], { lr: 1e-3, maxGradNorm: 1, settingsOf, dropoutSeed: step }));
      assert.equal(losses[0], losses[1], `${wordEmbeddingUpdate}, step ${step}: losses`);
      const [wa, wb] = await Promise.all(engines.map((e) => e.weights()));
      const differ = [...wa!].filter(([n, t]) => t.data.some((v, i) => v !== wb!.get(n)!.data[i])).map(([n]) => n);
      assert.deepEqual(differ, [], `${wordEmbeddingUpdate}, after step ${step}: parameters differ`);
    }
    for (const e of engines) e.dispose();
  }
});
