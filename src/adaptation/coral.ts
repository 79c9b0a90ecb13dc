/**
 * CORAL for fixed features (Sun, Feng & Saenko 2016, "Return of Frustratingly Easy Domain
 * Adaptation"): source features are whitened with their own covariance and re-coloured with the
 * target's, so a head trained on them sees the target's second-order statistics. Here the means are
 * moved too (x' = (x − μ_s)·C_s^(−½)·C_t^(½) + μ_t), which the original leaves to feature
 * standardisation. With `--strategy frozen` this costs two d×d eigendecompositions (d = hidden size)
 * and one pass over the cached features; the encoder never runs again.
 */

/** Mean [d] and unbiased covariance [d·d] of the rows of `x` ([n, d] row-major), in float64. */
export function meanAndCovariance(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new Error(`a covariance needs at least 2 rows, got ${n}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= n - 1;
      cov[b * d + a] = cov[a * d + b]!;
    }
  }
  return { mean, cov };
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`, [d·d] row-major) of a symmetric matrix by
 * cyclic Jacobi rotations: simple and accurate to float64 rounding, and for d ≤ 1024 quick enough
 * for a once-per-run map (a few sweeps of d³ work).
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let p = 0; p < d; p++) {
      scale += a[p * d + p]! ** 2;
      for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    }
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (apq === 0) continue;
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← JᵀAJ on rows/columns p and q; V ← VJ.
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]!), vectors: v };
}

/** f(C) = V·diag(f(λ))·Vᵀ for a symmetric C, eigenvalues clamped at 0. */
function matrixFunction(cov: Float64Array, d: number, f: (l: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(cov, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const fk = f(Math.max(0, values[k]!));
    for (let a = 0; a < d; a++) {
      const va = vectors[a * d + k]! * fk;
      if (va === 0) continue;
      for (let b = 0; b < d; b++) out[a * d + b] += va * vectors[b * d + k]!;
    }
  }
  return out;
}

function shrink(cov: Float64Array, d: number, shrinkage: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i]!;
  const add = (shrinkage * trace) / d;
  const out = Float64Array.from(cov);
  for (let i = 0; i < d; i++) out[i * d + i] += add;
  return out;
}

/** The affine map x ↦ (x − shift)·matrix + offset that CORAL applies to source rows. */
export interface CoralMap {
  shift: Float64Array;
  matrix: Float64Array;
  offset: Float64Array;
}

/**
 * The map from source to target statistics. `shrinkage` adds that share of each covariance's mean
 * eigenvalue to its diagonal (0 = exact: the mapped source covariance equals the target's).
 */
export function fitCoralMap(
  source: ArrayLike<number>,
  sourceRows: number,
  target: ArrayLike<number>,
  targetRows: number,
  d: number,
  shrinkage: number,
): CoralMap {
  const s = meanAndCovariance(source, sourceRows, d);
  const t = meanAndCovariance(target, targetRows, d);
  const whiten = matrixFunction(shrink(s.cov, d, shrinkage), d, (l) => (l > 1e-12 ? 1 / Math.sqrt(l) : 0));
  const colour = matrixFunction(shrink(t.cov, d, shrinkage), d, Math.sqrt);
  const matrix = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let k = 0; k < d; k++) {
      const w = whiten[a * d + k]!;
      if (w === 0) continue;
      for (let b = 0; b < d; b++) matrix[a * d + b] += w * colour[k * d + b]!;
    }
  }
  return { shift: s.mean, matrix, offset: t.mean };
}

/** Rows of `x` ([n, d]) through the map, as float32 (the feature cache's type). */
export function applyCoralMap(map: CoralMap, x: ArrayLike<number>, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j]! - map.shift[j]!;
    for (let b = 0; b < d; b++) {
      let sum = map.offset[b]!;
      for (let k = 0; k < d; k++) sum += row[k]! * map.matrix[k * d + b]!;
      out[r * d + b] = sum;
    }
  }
  return out;
}
