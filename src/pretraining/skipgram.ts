import { normalArray } from '../models/bert/init-param.js';
import { Rng } from '../data/random.js';

/**
 * Skip-gram with negative sampling (word2vec, Mikolov et al. 2013) over word-piece ids, used to
 * initialise the word-piece embeddings before masked-LM pre-training: a cheap first pass that puts
 * co-occurrence structure into the embeddings, which a small model otherwise learns slowly (its
 * masked-LM loss sits on the unigram plateau for a long time).
 *
 * Standard settings: dynamic window up to `window`, `negatives` noise words drawn from the
 * unigram distribution to the 3/4 power, frequent-token subsampling with threshold `sample`, a
 * learning rate decaying linearly from `lr` to lr·1e-4. Sequences are the corpus rows; special
 * tokens are skipped. Deterministic for a seed (single-threaded).
 */

export interface SkipGramOptions {
  dim: number;
  vocabSize: number;
  /** Ids never trained (their rows keep the random initialisation). */
  skipIds: ReadonlySet<number>;
  window?: number;
  negatives?: number;
  sample?: number;
  lr?: number;
  epochs?: number;
  seed?: number;
  /** Target per-element standard deviation of the trained rows (BERT's initializer_range). */
  std: number;
  onProgress?: (done: number, total: number) => void;
}

/** Trains skip-gram vectors over the rows of `ids` (row r spans offsets[r]..offsets[r+1]) and returns [V, dim] embeddings. */
export function trainSkipGram(ids: Int32Array, offsets: Int32Array, o: SkipGramOptions): Float32Array {
  const D = o.dim;
  const V = o.vocabSize;
  const window = o.window ?? 5;
  const negatives = o.negatives ?? 5;
  const sample = o.sample ?? 1e-4;
  const lr0 = o.lr ?? 0.025;
  const epochs = o.epochs ?? 1;
  const rng = new Rng(o.seed ?? 0);

  const counts = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (o.skipIds.has(t)) continue;
    counts[t]! += 1;
    total += 1;
  }
  // word2vec's keep probability: (√(f/s) + 1)·s/f.
  const keep = new Float32Array(V);
  for (let v = 0; v < V; v++) {
    const f = counts[v]! / Math.max(1, total);
    keep[v] = f > 0 ? Math.min(1, (Math.sqrt(f / sample) + 1) * (sample / f)) : 0;
  }
  const TABLE = 1 << 23;
  const table = new Int32Array(TABLE);
  let norm = 0;
  for (let v = 0; v < V; v++) norm += counts[v]! ** 0.75;
  let v = 0;
  let cum = counts[0]! ** 0.75 / norm;
  for (let i = 0; i < TABLE; i++) {
    table[i] = v;
    if (i / TABLE > cum && v < V - 1) {
      v += 1;
      cum += counts[v]! ** 0.75 / norm;
    }
  }

  const win = new Float32Array(V * D);
  for (let i = 0; i < win.length; i++) win[i] = (rng.next() - 0.5) / D;
  const wout = new Float32Array(V * D);
  const grad = new Float32Array(D);
  // xorshift32 for the hot loop (Rng is fine but slower); seeded from the seed.
  let s = ((o.seed ?? 0) * 2654435761 + 1) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const rows = offsets.length - 1;
  // A fractional number of epochs covers that share of the rows (in a seeded order) in the last pass.
  const totalWork = Math.max(1, Math.round(rows * epochs));
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const seq = new Int32Array(4096);
  for (let work = 0; work < totalWork; work++) {
    {
      const r = order[work % rows]!;
      const progress = work / totalWork;
      const lr = lr0 * Math.max(1e-4, 1 - progress);
      let n = 0;
      for (let i = offsets[r]!; i < offsets[r + 1]! && n < seq.length; i++) {
        const t = ids[i]!;
        if (keep[t]! > 0 && rand() < keep[t]!) seq[n++] = t;
      }
      for (let c = 0; c < n; c++) {
        const center = seq[c]!;
        const b = 1 + Math.floor(rand() * window);
        for (let j = Math.max(0, c - b); j < Math.min(n, c + b + 1); j++) {
          if (j === c) continue;
          const ctx = seq[j]!;
          const ci = ctx * D;
          grad.fill(0);
          for (let k = 0; k <= negatives; k++) {
            const target = k === 0 ? center : table[Math.floor(rand() * TABLE)]!;
            if (k > 0 && target === center) continue;
            const label = k === 0 ? 1 : 0;
            const ti = target * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += win[ci + d]! * wout[ti + d]!;
            const sig = dot > 6 ? 1 : dot < -6 ? 0 : 1 / (1 + Math.exp(-dot));
            const g = (label - sig) * lr;
            for (let d = 0; d < D; d++) {
              grad[d]! += g * wout[ti + d]!;
              wout[ti + d]! += g * win[ci + d]!;
            }
          }
          for (let d = 0; d < D; d++) win[ci + d]! += grad[d]!;
        }
      }
      if (work % 2000 === 0) o.onProgress?.(work, totalWork);
    }
  }
  o.onProgress?.(totalWork, totalWork);

  // Rescale the trained rows to BERT's initialisation scale; untrained rows get BERT's random init.
  let sum2 = 0;
  let m = 0;
  for (let t = 0; t < V; t++) {
    if (counts[t] === 0) continue;
    for (let d = 0; d < D; d++) sum2 += win[t * D + d]! ** 2;
    m += D;
  }
  const scale = o.std / Math.sqrt(sum2 / Math.max(1, m));
  const random = normalArray(V * D, o.std, new Rng((o.seed ?? 0) + 17));
  const out = new Float32Array(V * D);
  for (let t = 0; t < V; t++) {
    const trained = counts[t]! > 0;
    for (let d = 0; d < D; d++) out[t * D + d] = trained ? win[t * D + d]! * scale : random[t * D + d]!;
  }
  return out;
}
