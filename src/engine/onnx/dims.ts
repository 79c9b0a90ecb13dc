import type { Dim } from './graph.js';

/**
 * Arithmetic on symbolic dimensions. A symbolic dim is a name (`batch_size`) or a product of names
 * with an optional numeric factor (`2*batch_size*sequence_length`), which is all that reshapes in
 * BERT need: flattening `[B, S, H]` to `[B·S, H]` and back, and inferring a `-1`.
 */

/** A dim as a numeric factor times a sorted list of symbol names. */
interface Factored {
  factor: number;
  symbols: string[];
}

function factor(d: Dim): Factored {
  if (typeof d === 'number') return { factor: d, symbols: [] };
  let f = 1;
  const symbols: string[] = [];
  for (const part of d.split('*')) {
    const n = Number(part);
    if (part !== '' && Number.isInteger(n)) f *= n;
    else symbols.push(part);
  }
  return { factor: f, symbols: symbols.sort() };
}

function unfactor({ factor: f, symbols }: Factored): Dim {
  if (symbols.length === 0) return f;
  const sorted = [...symbols].sort();
  return f === 1 ? sorted.join('*') : `${f}*${sorted.join('*')}`;
}

/** The product of some dims (`1` for none). */
export function dimProduct(dims: readonly Dim[]): Dim {
  let f = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    const x = factor(d);
    f *= x.factor;
    symbols.push(...x.symbols);
  }
  return unfactor({ factor: f, symbols });
}

/**
 * `total / (product of dims)`, cancelling symbols; undefined when it does not divide exactly
 * (the caller then falls back to a fresh symbol).
 */
export function dimQuotient(total: Dim, dims: readonly Dim[]): Dim | undefined {
  const num = factor(total);
  const den = factor(dimProduct(dims));
  if (den.factor === 0 || num.factor % den.factor !== 0) return undefined;
  const symbols = [...num.symbols];
  for (const s of den.symbols) {
    const i = symbols.indexOf(s);
    if (i < 0) return undefined;
    symbols.splice(i, 1);
  }
  return unfactor({ factor: num.factor / den.factor, symbols });
}

/** Two dims that are certainly equal (same number, or the same symbolic product). */
export function sameDim(a: Dim, b: Dim): boolean {
  return unfactor(factor(a)) === unfactor(factor(b));
}

/**
 * numpy/ONNX multidirectional broadcasting of two shapes. A symbolic dim against 1 gives the
 * symbol; two different symbols are assumed equal at run time (ONNX would fail otherwise) and
 * the first is kept.
 */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (typeof da === 'number' && typeof db === 'number' && da !== db) {
      throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    } else out.push(typeof da === 'number' ? da : typeof db === 'number' ? db : da);
  }
  return out;
}

/** Normalises a possibly negative axis for a tensor of `rank` dims. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
