import { BertftError } from '../errors.js';

/**
 * Input checks shared by the report builders. Bad inputs throw a one-line BertftError rather than
 * producing NaN, which would silently break early stopping and turn into `null` in JSON.
 */

/** Throws unless both sides have the same, non-zero number of examples. */
export function checkPairedLength(what: string, yTrue: ArrayLike<unknown>, yPred: ArrayLike<unknown>): void {
  if (yTrue.length !== yPred.length) {
    throw new BertftError(`${what}: ${yTrue.length} true values but ${yPred.length} predictions`);
  }
  // Every metric divides by the number of examples; an empty evaluation set is an upstream mistake.
  if (yTrue.length === 0) throw new BertftError(`${what}: no examples to evaluate`);
}

/** Throws unless there is at least one label and no label name repeats (names key per_class). */
export function checkLabelNames(what: string, labels: readonly string[]): void {
  if (labels.length === 0) throw new BertftError(`${what}: the label list is empty`);
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l)) throw new BertftError(`${what}: label "${l}" is listed twice`);
    seen.add(l);
  }
}

/** Throws unless every value is an integer class index in [0, numClasses). */
export function checkClassIndices(what: string, side: string, values: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new BertftError(`${what}: ${side}[${i}] = ${v} is not a class index in 0..${numClasses - 1}`);
    }
  }
}

/** Throws unless every value is a finite number. */
export function checkFinite(what: string, side: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new BertftError(`${what}: ${side}[${i}] = ${v} is not a finite number`);
    }
  }
}

/** Throws unless `rows` is an n × width matrix of 0/1 values. */
export function checkBinaryRows(what: string, side: string, rows: ArrayLike<ArrayLike<number>>, width: number): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.length !== width) {
      throw new BertftError(`${what}: ${side}[${i}] has ${row.length} entries but there are ${width} labels`);
    }
    for (let j = 0; j < width; j++) {
      const v = row[j];
      if (v !== 0 && v !== 1) throw new BertftError(`${what}: ${side}[${i}][${j}] = ${v} is not 0 or 1`);
    }
  }
}
