/**
 * A small seeded pseudo-random generator (mulberry32) so that splits, shuffles and batch orders
 * are reproducible from a seed on every platform. `Math.random` cannot be seeded.
 */

/** Folds any finite number (negative, fractional, above 2^32) into a 32-bit seed. */
function toSeed32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return seed >>> 0;
  // Mix the high and low halves so that e.g. 2^32 + 1 and 1 give different streams.
  const hi = Math.floor(seed / 0x100000000);
  const lo = Math.floor(seed) >>> 0;
  const frac = Math.floor((seed - Math.floor(seed)) * 0x100000000) >>> 0;
  return (Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ lo ^ Math.imul(frac, 0xc2b2ae35)) >>> 0;
}

/**
 * Returns a function that yields uniform floats in [0, 1) from the mulberry32 sequence for `seed`.
 * Period 2^32: plenty for shuffling data sets.
 */
export function mulberry32(seed: number): () => number {
  let state = toSeed32(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator with the few draws the package needs. */
export class Rng {
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.draw() * n);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.draw() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** `[0, 1, …, n-1]` in a random order. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}
