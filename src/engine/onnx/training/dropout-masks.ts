import type { Dim } from '../graph.js';
import type { DropoutSite } from './training-ops.js';

/**
 * Dropout masks for the fed-mask dropout of {@link TrainingOps}, generated on the host from a
 * seed. A mask depends only on (step seed, micro-batch index, site index), never on what ran
 * before, so a run is reproducible and a run resumed from a checkpoint draws the same masks as
 * an uninterrupted one. The generator is xorshift32 seeded by a hash of those three numbers;
 * each 32-bit draw decides two elements with 16-bit uniforms (the drop probability is rounded
 * to a multiple of 1/65536).
 */

/** A well-mixed 32-bit state from three integers (a murmur3-style finaliser). */
function mixSeed(a: number, b: number, c: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(c + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 0x6d2b79f5 : h >>> 0;
}

/** Fills `out` with 0 (dropped, probability `rate`) or 1/(1 − rate) (kept). */
export function fillDropoutMask(out: Float32Array, rate: number, seed: number, microBatch: number, site: number): Float32Array {
  const threshold = Math.round(rate * 65536);
  // Written as float32 bit patterns through an integer view: the same values as storing the
  // number, without a float conversion per element (this runs over every activation each step).
  const keep = new Uint32Array(Float32Array.of(1 / (1 - rate)).buffer)[0]!;
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  let s = mixSeed(seed >>> 0, microBatch, site);
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bits[i] = (s & 0xffff) < threshold ? 0 : keep;
    bits[i + 1] = s >>> 16 < threshold ? 0 : keep;
  }
  if (i < n) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bits[i] = (s & 0xffff) < threshold ? 0 : keep;
  }
  return out;
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
