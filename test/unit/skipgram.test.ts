import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainSkipGram } from '../../src/pretraining/skipgram.js';

// A synthetic corpus over ids 10..49: "topic" words 10–19 co-occur with context words 20–29, and
// words 30–39 with context words 40–49. Ids 0–9 never occur (special / unseen).
function corpus(rows: number, seed: number): { ids: Int32Array; offsets: Int32Array } {
  let s = seed + 1;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const ids: number[] = [];
  const offsets = [0];
  for (let r = 0; r < rows; r++) {
    const group = rand() < 0.5 ? 0 : 20;
    for (let k = 0; k < 20; k++) ids.push(10 + group + Math.floor(rand() * 10) + (k % 2 === 0 ? 0 : 10));
    offsets.push(ids.length);
  }
  return { ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) };
}

const D = 16;
const V = 50;
const cos = (e: Float32Array, a: number, b: number) => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < D; k++) {
    d += e[a * D + k]! * e[b * D + k]!;
    na += e[a * D + k]! ** 2;
    nb += e[b * D + k]! ** 2;
  }
  return d / Math.sqrt(na * nb);
};

test('skip-gram: words sharing contexts end up closer than words that never do; deterministic per seed; BERT-scale rows', () => {
  const { ids, offsets } = corpus(1500, 0);
  const opts = { dim: D, vocabSize: V, skipIds: new Set([0, 1, 2, 3]), std: 0.02, seed: 3, epochs: 2, sample: 1 };
  const e = trainSkipGram(ids, offsets, opts);
  let same = 0;
  let other = 0;
  for (let a = 10; a < 20; a++) {
    for (let b = 10; b < 20; b++) if (a !== b) same += cos(e, a, b) / 90;
    for (let b = 30; b < 40; b++) other += cos(e, a, b) / 100;
  }
  assert.ok(same > other + 0.3, `mean cosine within a group ${same.toFixed(3)}, across groups ${other.toFixed(3)}`);
  // Trained rows are rescaled to a per-element standard deviation of 0.02.
  let sum2 = 0;
  for (let t = 10; t < V; t++) for (let k = 0; k < D; k++) sum2 += e[t * D + k]! ** 2;
  assert.ok(Math.abs(Math.sqrt(sum2 / (40 * D)) - 0.02) < 1e-6);
  // Tokens that never occur keep a random N(0, 0.02)-like row, not zeros or the tiny word2vec init.
  const unseen = e.subarray(5 * D, 6 * D);
  assert.ok(unseen.some((x) => Math.abs(x) > 0.005));
  assert.deepEqual(trainSkipGram(ids, offsets, opts), e, 'same seed, same vectors');
  assert.notDeepEqual(trainSkipGram(ids, offsets, { ...opts, seed: 4 }), e);
  // A fractional number of epochs trains on part of the rows and still gives finite vectors.
  assert.ok(trainSkipGram(ids, offsets, { ...opts, epochs: 0.3 }).every(Number.isFinite));
});
