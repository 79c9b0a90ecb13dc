import type { AdamWHyper } from './optimizer.js';

/**
 * Exact AdamW for a large embedding table whose gradient touches few rows per step.
 *
 * A fine-tuning step on short texts reads a few hundred of the 30,522 word-embedding rows, so
 * the gradient of every other row is exactly zero. Dense AdamW (torch.optim.AdamW, and the
 * in-graph update of the other parameters) still moves those rows every step:
 *   m ← β1·m,  v ← β2·v,  p ← p·(1 − lr·s·wd) − lr·s·bc · m/(√v + ε̂)
 * which made the word-embedding update most of a short-text step. This class applies exactly
 * those zero-gradient steps, but only when a row is next read: before the step graph reads it
 * (the rows of the coming batch), or before anyone reads the whole table (evaluation, weights(),
 * optimizerState()). The step graph itself sees only the batch's rows ([rows, H], see
 * step-graph.ts `compactRows`), so its gradient, clipping norm and AdamW are the dense ones
 * restricted to rows whose gradient may be non-zero. Nothing is approximated: every zero-gradient
 * step is applied with that step's own lr, bias correction and ε̂ (recorded per step), and
 * steps in which the table was frozen are skipped, as the dense update skips them.
 *
 * Cost: a row never updated with a gradient has m = v = 0, so its catch-up is the product of the
 * decay factors (one multiply per value). Other rows pay one fused loop per pending step over
 * their H values (one division each, see catchUp), instead of ~13 full-table passes per step in
 * the graph.
 * Rounding: catch-up runs in float64 and stores float32, so it agrees with the float32 dense
 * update to float32 rounding (test/engine/embedding-rows.test.ts).
 */

/** The rows of one optimiser step, in the order of the compact table fed to the step graph. */
export interface StepRows {
  /** Table row of each compact slot. */
  rows: Int32Array;
  count: number;
  /** Per micro-batch: the compact slot of each token (fed as `input_ids`). */
  slots: Int32Array[];
}

/** Where the full table and its AdamW moments live (host arrays that onnxruntime tensors wrap). */
export interface TableArrays {
  table: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export class EmbeddingRowsAdamW {
  /** The last step through which each row is current. */
  private readonly synced: Int32Array;
  /** Rows that ever had an update with a gradient (their moments may be non-zero). */
  private readonly touched: Uint8Array;
  /** Per recorded step t (index t − base − 1): 1 when the table was trained in that step. */
  private active: Uint8Array;
  private decay: Float64Array;
  private stepSize: Float64Array;
  private epsHat: Float64Array;
  /** prefixDecay[k] = product of the decay factors of the first k recorded steps. */
  private prefixDecay: Float64Array;
  private recorded = 0;
  private readonly slotOf: Int32Array;
  /** Per-step coefficients of the last catch-up range (see coefficients()). */
  private coef = {
    k0: -1,
    k1: -1,
    n: 0,
    b1: 1,
    b2: 1,
    decayAll: 1,
    a: new Float64Array(64),
    sq: new Float64Array(64),
    d: new Float64Array(64),
    e: new Float64Array(64),
  };

  constructor(
    readonly numRows: number,
    readonly width: number,
    /** The optimiser step the table and moments are current through. */
    private readonly base: number,
    private readonly hyper: AdamWHyper,
    /** Moments as loaded (resume): rows with any non-zero moment count as touched. */
    moments?: { m: Float32Array; v: Float32Array },
  ) {
    this.synced = new Int32Array(numRows).fill(base);
    this.touched = new Uint8Array(numRows);
    if (moments) {
      for (let r = 0; r < numRows; r++) {
        for (let j = r * width, end = j + width; j < end; j++) {
          if (moments.m[j] !== 0 || moments.v[j] !== 0) {
            this.touched[r] = 1;
            break;
          }
        }
      }
    }
    this.active = new Uint8Array(64);
    this.decay = new Float64Array(64);
    this.stepSize = new Float64Array(64);
    this.epsHat = new Float64Array(64);
    this.prefixDecay = new Float64Array(65);
    this.prefixDecay[0] = 1;
    this.slotOf = new Int32Array(numRows).fill(-1);
  }

  /** The step number the next record is for. */
  get nextStep(): number {
    return this.base + this.recorded + 1;
  }

  /**
   * Records step `t` (which must be nextStep): `settings` when the table trains in it, with the
   * step's scheduled lr, LR scale, weight decay and bias-correction scalars, or undefined when
   * the table is frozen in that step.
   */
  recordStep(t: number, settings?: { lr: number; lrScale: number; weightDecay: number; biasCorrection: number; epsHat: number }): void {
    if (t !== this.nextStep) throw new Error(`EmbeddingRowsAdamW: step ${t} recorded, expected ${this.nextStep}`);
    const k = this.recorded;
    if (k === this.active.length) this.grow();
    if (settings) {
      const { lr, lrScale, weightDecay, biasCorrection, epsHat } = settings;
      // As the graph computes them (optimizer.ts): decay = 1 − lr·(s·wd), step = lr·bc·s.
      this.active[k] = 1;
      this.decay[k] = weightDecay > 0 ? 1 - lr * (lrScale * weightDecay) : 1;
      this.stepSize[k] = lr * biasCorrection * lrScale;
      this.epsHat[k] = epsHat;
    } else {
      this.active[k] = 0;
      this.decay[k] = 1;
    }
    this.prefixDecay[k + 1] = this.prefixDecay[k]! * this.decay[k]!;
    this.recorded = k + 1;
    this.coef.k0 = -1;
  }

  /**
   * The distinct rows of a step's micro-batches (first-seen order) and each token's slot; the
   * rows are brought current through the step before `t` and the caller feeds their values.
   */
  begin(ids: readonly Int32Array[], arrays: TableArrays, t: number): StepRows {
    const total = ids.reduce((n, a) => n + a.length, 0);
    const rows = new Int32Array(Math.min(total, this.numRows));
    let count = 0;
    const slots = ids.map((a) => {
      const s = new Int32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        const id = a[i]!;
        if (id < 0 || id >= this.numRows) throw new Error(`token id ${id} is outside the embedding table (${this.numRows} rows)`);
        let slot = this.slotOf[id]!;
        if (slot < 0) {
          slot = count++;
          this.slotOf[id] = slot;
          rows[slot] = id;
        }
        s[i] = slot;
      }
      return s;
    });
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      this.slotOf[r] = -1;
      this.catchUp(r, t - 1, arrays);
    }
    return { rows: rows.subarray(0, count), count, slots };
  }

  /** Copies the step's rows of the table and moments into compact [count, H] arrays. */
  gather(step: StepRows, arrays: TableArrays): TableArrays {
    const H = this.width;
    const out = { table: new Float32Array(step.count * H), m: new Float32Array(step.count * H), v: new Float32Array(step.count * H) };
    for (let k = 0; k < step.count; k++) {
      const from = step.rows[k]! * H;
      out.table.set(arrays.table.subarray(from, from + H), k * H);
      out.m.set(arrays.m.subarray(from, from + H), k * H);
      out.v.set(arrays.v.subarray(from, from + H), k * H);
    }
    return out;
  }

  /** Writes the step graph's updated rows back; they are current through step `t`. */
  scatter(step: StepRows, updated: TableArrays, arrays: TableArrays, t: number): void {
    const H = this.width;
    for (let k = 0; k < step.count; k++) {
      const r = step.rows[k]!;
      arrays.table.set(updated.table.subarray(k * H, (k + 1) * H), r * H);
      arrays.m.set(updated.m.subarray(k * H, (k + 1) * H), r * H);
      arrays.v.set(updated.v.subarray(k * H, (k + 1) * H), r * H);
      this.synced[r] = t;
      this.touched[r] = 1;
    }
  }

  /** Brings every row current through step `t` (before the whole table is read). */
  flush(t: number, arrays: TableArrays): void {
    for (let r = 0; r < this.numRows; r++) if (this.synced[r]! < t) this.catchUp(r, t, arrays);
  }

  /** Applies the recorded zero-gradient steps after synced[r] up to and including `t`. */
  private catchUp(r: number, t: number, arrays: TableArrays): void {
    const from = this.synced[r]!;
    if (from >= t) return;
    if (t > this.base + this.recorded) throw new Error(`EmbeddingRowsAdamW: step ${t} was not recorded`);
    const H = this.width;
    const off = r * H;
    const k0 = from - this.base;
    const k1 = t - this.base;
    if (!this.touched[r]) {
      // m = v = 0: AdamW's direction is 0/(0 + ε̂) = 0, only the decoupled weight decay acts.
      const d = this.prefixDecay[k1]! / this.prefixDecay[k0]!;
      if (d !== 1) for (let j = off; j < off + H; j++) arrays.table[j] = arrays.table[j]! * d;
      this.synced[r] = t;
      return;
    }
    const n = this.coefficients(k0, k1);
    const { a, sq, e, decayAll, b1, b2 } = this.coef;
    // With g = 0 the moments only decay, m_i = β1^i·m and √v_i = √(β2^i)·√v, and step i is
    // p ← p·d_i − (lr·s·bc·β1^i)·m/(√(β2^i)·√v + ε̂). Unrolled over the pending steps:
    //   p_n = p·Πd − m · Σ_i c_i / (√(β2^i)·√v + ε̂_i),  c_i = lr_i·s·bc_i·β1^i · Π_{j>i} d_j,
    // one division per value and step; two partial sums keep the divisions independent.
    for (let j = off; j < off + H; j++) {
      const m0 = arrays.m[j]!;
      const v0 = arrays.v[j]!;
      const sv = Math.sqrt(v0);
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += a[i]! / (sv * sq[i]! + e[i]!);
        s1 += a[i + 1]! / (sv * sq[i + 1]! + e[i + 1]!);
      }
      if (i < n) s0 += a[i]! / (sv * sq[i]! + e[i]!);
      arrays.table[j] = arrays.table[j]! * decayAll - m0 * (s0 + s1);
      arrays.m[j] = m0 * b1;
      arrays.v[j] = v0 * b2;
    }
    this.synced[r] = t;
  }

  /**
   * The active steps among recorded steps [k0, k1) as per-step coefficients relative to the state
   * at k0 (cached: a flush meets many rows with the same range). Returns their count.
   */
  private coefficients(k0: number, k1: number): number {
    const c = this.coef;
    if (c.k0 === k0 && c.k1 === k1) return c.n;
    if (c.a.length < k1 - k0) {
      const size = Math.max(k1 - k0, 2 * c.a.length);
      c.a = new Float64Array(size);
      c.sq = new Float64Array(size);
      c.d = new Float64Array(size);
      c.e = new Float64Array(size);
    }
    const { beta1, beta2 } = this.hyper;
    let n = 0;
    let b1 = 1;
    let b2 = 1;
    for (let k = k0; k < k1; k++) {
      if (!this.active[k]) continue;
      b1 *= beta1;
      b2 *= beta2;
      c.a[n] = this.stepSize[k]! * b1;
      c.sq[n] = Math.sqrt(b2);
      c.d[n] = this.decay[k]!;
      c.e[n] = this.epsHat[k]!;
      n++;
    }
    // Fold the later steps' decay into each step's coefficient (see catchUp).
    let decayAll = 1;
    for (let i = n - 1; i >= 0; i--) {
      c.a[i] = c.a[i]! * decayAll;
      decayAll *= c.d[i]!;
    }
    Object.assign(c, { k0, k1, n, b1, b2, decayAll });
    return n;
  }

  private grow(): void {
    const n = this.active.length * 2;
    const widen = <T extends Float64Array | Uint8Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.active = widen(this.active, n);
    this.decay = widen(this.decay, n);
    this.stepSize = widen(this.stepSize, n);
    this.epsHat = widen(this.epsHat, n);
    this.prefixDecay = widen(this.prefixDecay, n + 1);
  }
}
