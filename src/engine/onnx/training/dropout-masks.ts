import type { Dim } from '../graph.js';
import type { DropoutSite } from './training-ops.js';

/**
 * Dropout masks for the masked dropout of {@link TrainingOps}: one counter-based generator, computed
 * either here on the host (fed as mask inputs) or by graph nodes (dropout-mask-graph.ts) on whichever
 * device runs the step. Both compute the same function, bit for bit, so a CPU run and a GPU run with the
 * same seed draw the same masks (test/engine/dropout-masks.test.ts).
 *
 * A mask depends only on (step seed, micro-batch index, site index, element index), never on what ran
 * before, so a run is reproducible and a run resumed from a checkpoint draws the same masks as an
 * uninterrupted one. The definition, all arithmetic on unsigned 32-bit words (mod 2³²):
 *
 *     keys (once per site and micro-batch, on the host):
 *       k1 = murmur3(seed, microBatch, site, 0) | 1,  k2 = murmur3(seed, microBatch, site, 1)
 *     word j = 0, 1, … (one per two mask elements, row-major):
 *       y = j·k1,  z = y + k2
 *       x = rot16(y·y + y);  x = rot16(x·x + z);  u = x·x + y
 *     element 2j is dropped when  u / 2¹⁶ < t,  element 2j + 1 when  u mod 2¹⁶ < t,  t = round(rate · 2¹⁶)
 *     value 0 when dropped, float32(1 / (1 − rate)) when kept
 *
 * The word function is three rounds of Widynski's "Squares" counter-based generator (square, add,
 * swap halves) narrowed to 32-bit words. Why squares and not a murmur/xorshift mix: onnxruntime's
 * WebGPU provider (1.30) has no kernel for BitwiseXor/BitShift (and the bitwise ops need opset 18),
 * while uint32 Mul/Add/Div/Less run on both providers; squaring and a half swap
 * (rot16(x) = x/2¹⁶ + x·2¹⁶, the halves do not overlap) need nothing else. A murmur finaliser with
 * its XORs replaced by additions failed pair tests of adjacent values badly; these three rounds pass
 * them like Math.random does, both halves of u included (adjacent elements, lags up to 2¹⁹, sites,
 * micro-batches and steps; the tolerances are in the test). Two rounds did not (lags of 2¹⁸).
 * Two 16-bit uniforms per word halve the work, on the host and in the graph; the drop probability is
 * a multiple of 2⁻¹⁶, as it was with the xorshift generator before. The keys may use XOR: they are
 * computed on the host for both devices.
 */

/** The constant of the half swap and of the 16-bit halves: x/2¹⁶ and x·2¹⁶ (dropout-mask-graph.ts uses it too). */
export const HALF = 0x10000;

/** How the step graphs get their dropout masks (see dropoutMaskMode). */
export type DropoutMaskMode = 'fed' | 'in-graph';

/**
 * Where the masks are made for a session on these execution providers, the one home of that choice:
 * in the graph on a GPU, where uploading host masks was the largest per-step transfer (BERT-Base at
 * 32 × 128: 617 MB); on the host for the CPU provider, where the same masks made by graph nodes
 * measured slower than this loop plus the feed (BERT-Tiny and BERT-Mini steps at 32 × 128: the
 * generator's nodes took 44 and 179 ms a step against 14 and 53 ms here; docs/gpu.md).
 */
export function dropoutMaskMode(executionProviders: readonly string[] = ['cpu']): DropoutMaskMode {
  return executionProviders[0] === undefined || executionProviders[0] === 'cpu' ? 'fed' : 'in-graph';
}

/** The drop threshold t of a rate: a 16-bit uniform below t drops. */
export function dropThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  return Math.round(rate * HALF);
}

/** The value of a kept element, 1/(1 − rate) rounded to float32. */
export function keepScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** murmur3_32 of whole 32-bit words (seed 0): a well-mixed key from a few integers. */
function murmur3Words(words: readonly number[]): number {
  let h = 0;
  for (const w of words) {
    let k = Math.imul(w, 0xcc9e2d51);
    k = Math.imul(rotl(k, 15), 0x1b873593);
    h = Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64;
  }
  h ^= words.length * 4;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The two key words [k1, k2] of a site's mask in one micro-batch of a step (k1 odd). */
export function dropoutKeys(seed: number, microBatch: number, site: number): [number, number] {
  const words = [seed >>> 0, microBatch >>> 0, site >>> 0];
  return [(murmur3Words([...words, 0]) | 1) >>> 0, murmur3Words([...words, 1])];
}

/** The word u_j under keys (k1, k2): the word function above, once (its halves decide elements 2j and 2j + 1). */
export function dropoutWord(k1: number, k2: number, j: number): number {
  const y = Math.imul(j, k1);
  const z = (y + k2) | 0;
  let x = (Math.imul(y, y) + y) | 0;
  x = (x >>> 16) | (x << 16);
  x = (Math.imul(x, x) + z) | 0;
  x = (x >>> 16) | (x << 16);
  return (Math.imul(x, x) + y) >>> 0;
}

/** Fills `out` with 0 (dropped, probability `rate`) or 1/(1 − rate) (kept): elements 0… of the site's mask. */
export function fillDropoutMask(out: Float32Array, rate: number, seed: number, microBatch: number, site: number): Float32Array {
  const t = dropThreshold(rate);
  // Written as float32 bit patterns through an integer view: the same values as storing the
  // number, without a float conversion per element (this runs over every activation each step).
  const keep = new Uint32Array(Float32Array.of(keepScale(rate)).buffer)[0]!;
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const [key1, key2] = dropoutKeys(seed, microBatch, site);
  // int32 words (the same bits): V8 keeps them unboxed, where a uint32 above 2³¹ would be a double.
  const k1 = key1 | 0;
  const k2 = key2 | 0;
  const n = out.length;
  const even = n - (n % 2);
  fillWords(bits.subarray(0, even), k1, k2, t, keep);
  // An odd length ends on the high half of one more word.
  if (even < n) bits[even] = dropoutWord(key1, key2, even / 2) >>> 16 < t ? 0 : keep;
  return out;
}

/** The hot loop of fillDropoutMask: dropoutWord inlined, with y = j·k1 stepped by k1 instead of multiplied. */
function fillWords(bits: Uint32Array, k1: number, k2: number, t: number, keep: number): void {
  let y = 0;
  for (let i = 0; i + 1 < bits.length; i += 2) {
    const z = (y + k2) | 0;
    let x = (Math.imul(y, y) + y) | 0;
    x = (x >>> 16) | (x << 16);
    x = (Math.imul(x, x) + z) | 0;
    x = (x >>> 16) | (x << 16);
    const u = (Math.imul(x, x) + y) | 0;
    // Branch-free: a 16-bit half minus t is negative exactly when the element is dropped.
    bits[i] = keep & ~(((u >>> 16) - t) >> 31);
    bits[i + 1] = keep & ~(((u & 0xffff) - t) >> 31);
    y = (y + k1) | 0;
  }
}

/** The int32 word count of a mask of `elements` values (two per word), which the in-graph masks are fed. */
export function dropoutWordCount(elements: number): number {
  return Math.ceil(elements / 2);
}

/** Concrete dims of a site for a batch: `batch_size`, `sequence_length` and products of them. */
export function siteDims(site: DropoutSite, sizes: Readonly<Record<string, number>>): number[] {
  return site.shape.map((d: Dim) => {
    if (typeof d === 'number') return d;
    return d.split('*').reduce((p, part) => {
      const n = Number(part);
      if (part !== '' && Number.isInteger(n)) return p * n;
      const v = sizes[part];
      if (v === undefined) throw new Error(`dropout mask ${site.input}: unknown dim ${part}`);
      return p * v;
    }, 1);
  });
}
