import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BertftError, UsageError } from '../../src/errors.js';
import {
  averageRanks,
  classificationReport,
  formatReport,
  metricGreaterIsBetter,
  metricNames,
  metricValue,
  multiLabelReport,
  regressionReport,
  resolveMetricName,
  type EvalReport,
  type ProblemType,
} from '../../src/metrics/index.js';

// ---------------------------------------------------------------- helpers

const EPS = 1e-12;

function close(actual: number, expected: number, what: string, eps = EPS): void {
  assert.ok(Number.isFinite(actual), `${what}: ${actual} is not finite`);
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: got ${actual}, expected ${expected}`);
}

/** The sums over i < n of each named term of `terms(i)`, added in order of i. */
function totals<K extends string>(n: number, terms: (i: number) => Record<K, number>): Record<K, number> {
  const sums = {} as Record<K, number>;
  for (let i = 0; i < n; i++) for (const [k, v] of Object.entries(terms(i)) as [K, number][]) sums[k] = (sums[k] ?? 0) + v;
  return sums;
}

/** A small seeded generator (xorshift32) so random cases are reproducible. */
function makeRng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** Asserts that `fn` throws exactly class `kind` (not a subclass) with a one-line message matching every pattern. */
function throwsWith(fn: () => unknown, kind: abstract new (...args: never[]) => Error, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error && e.constructor === kind, `expected ${kind.name}, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  });
}

// ------------------------------------------- naive reference implementations (test-only)

/** Per-class counts by scanning the examples once per class and comparing labels directly. */
function naiveClassCounts(yTrue: number[], yPred: number[], k: number): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === k && yPred[i] === k) tp++;
    if (yTrue[i] !== k && yPred[i] === k) fp++;
    if (yTrue[i] === k && yPred[i] !== k) fn++;
  }
  return { tp, fp, fn };
}

/** F1 as the harmonic mean of P and R (the code under test uses 2tp / (2tp + fp + fn)). */
function naiveF1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** MCC of two labels by the textbook binary formula, class 1 = positive. */
function binaryMcc(yTrue: number[], yPred: number[]): number {
  const { tp, fp, fn } = naiveClassCounts(yTrue, yPred, 1);
  const tn = yTrue.length - tp - fp - fn;
  const den = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return den === 0 ? 0 : (tp * tn - fp * fn) / den;
}

/**
 * Gorodkin's R_K from its definition as a correlation of one-hot matrices:
 * cov(X, Y) / sqrt(cov(X, X) · cov(Y, Y)) with cov(A, B) = Σ_i Σ_k (A_ik − Ā_k)(B_ik − B̄_k).
 */
function covarianceMcc(yTrue: number[], yPred: number[], classes: number): number {
  const n = yTrue.length;
  const oneHot = (y: number[]) => y.map((c) => Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0)));
  const X = oneHot(yPred);
  const Y = oneHot(yTrue);
  const colMean = (m: number[][], k: number) => m.reduce((s, row) => s + row[k]!, 0) / n;
  const cov = (A: number[][], B: number[][]) => {
    let s = 0;
    for (let k = 0; k < classes; k++) {
      const a = colMean(A, k);
      const b = colMean(B, k);
      for (let i = 0; i < n; i++) s += (A[i]![k]! - a) * (B[i]![k]! - b);
    }
    return s;
  };
  const den = Math.sqrt(cov(X, X) * cov(Y, Y));
  return den === 0 ? 0 : cov(X, Y) / den;
}

/** Ranks by counting: rank(v) = #(values < v) + (#(values == v) + 1) / 2. */
function countingRanks(values: number[]): number[] {
  return values.map((v) => {
    const less = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return less + (equal + 1) / 2;
  });
}

/** Pearson's r by the one-pass sum formula (the code under test centres first). */
function sumFormulaPearson(x: number[], y: number[]): number {
  const n = x.length;
  const { sx, sy, sxx, syy, sxy } = totals(n, (i) => ({ sx: x[i]!, sy: y[i]!, sxx: x[i]! * x[i]!, syy: y[i]! * y[i]!, sxy: x[i]! * y[i]! }));
  const den = Math.sqrt(n * sxx - sx * sx) * Math.sqrt(n * syy - sy * sy);
  return den === 0 ? 0 : (n * sxy - sx * sy) / den;
}

// ---------------------------------------------------------------- single-label: hand-worked

test('binary hand-worked example: every metric and the confusion matrix', () => {
  // labels: 0 = neg, 1 = pos. 6 neg (4 predicted neg, 2 pos), 4 pos (1 predicted neg, 3 pos).
  // TP = 3, FN = 1, FP = 2, TN = 4 (taking pos as positive).
  const yTrue = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const yPred = [0, 0, 0, 0, 1, 1, 0, 1, 1, 1];
  const r = classificationReport(yTrue, yPred, ['neg', 'pos']);
  assert.deepEqual(r.confusion_matrix, [
    [4, 2],
    [1, 3],
  ]);
  assert.deepEqual(r.labels, ['neg', 'pos']);
  assert.equal(r.support, 10);
  close(r.accuracy, 7 / 10, 'accuracy'); // 4 + 3 correct of 10
  // neg: tp 4, predicted 5, support 6 → P 4/5, R 4/6, F1 2·4/(8 + 1 + 2) = 8/11
  // pos: tp 3, predicted 5, support 4 → P 3/5, R 3/4, F1 2·3/(6 + 2 + 1) = 6/9
  const [neg, pos] = r.per_class;
  assert.equal(neg!.label, 'neg');
  close(neg!.precision, 4 / 5, 'neg P');
  close(neg!.recall, 4 / 6, 'neg R');
  close(neg!.f1, 8 / 11, 'neg F1');
  assert.equal(neg!.support, 6);
  close(pos!.precision, 3 / 5, 'pos P');
  close(pos!.recall, 3 / 4, 'pos R');
  close(pos!.f1, 6 / 9, 'pos F1');
  assert.equal(pos!.support, 4);
  close(r.macro_f1, (8 / 11 + 6 / 9) / 2, 'macro F1'); // = 23/33
  close(r.macro_precision, (4 / 5 + 3 / 5) / 2, 'macro P'); // = 0.7
  close(r.macro_recall, (4 / 6 + 3 / 4) / 2, 'macro R'); // = 17/24
  close(r.weighted_f1, (6 * (8 / 11) + 4 * (6 / 9)) / 10, 'weighted F1'); // = 116/165
  close(r.micro_f1, 7 / 10, 'micro F1'); // pooled: tp 7, fp 3, fn 3 → 14/20
  // MCC = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (12 − 2) / sqrt(5·4·6·5) = 1/√6
  close(r.mcc, 1 / Math.sqrt(6), 'mcc');
});

test('multi-class hand-worked example with a never-predicted class and a class absent from both sides', () => {
  // labels a b c d; d never occurs; c is never predicted.
  // true:  a a b b c c
  // pred:  a b b b a a
  const r = classificationReport([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 0], ['a', 'b', 'c', 'd']);
  assert.deepEqual(r.confusion_matrix, [
    [1, 1, 0, 0],
    [0, 2, 0, 0],
    [2, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  // a: tp 1, predicted 3, support 2 → P 1/3, R 1/2, F1 2/(2+2+1) = 2/5
  // b: tp 2, predicted 3, support 2 → P 2/3, R 1,   F1 4/(4+1+0) = 4/5
  // c: tp 0, predicted 0, support 2 → P 0 (zero division), R 0, F1 0
  // d: nothing at all → P 0, R 0, F1 0, support 0 — still counted in the macro averages
  const expected = [
    { label: 'a', precision: 1 / 3, recall: 1 / 2, f1: 2 / 5, support: 2 },
    { label: 'b', precision: 2 / 3, recall: 1, f1: 4 / 5, support: 2 },
    { label: 'c', precision: 0, recall: 0, f1: 0, support: 2 },
    { label: 'd', precision: 0, recall: 0, f1: 0, support: 0 },
  ];
  for (const [i, e] of expected.entries()) {
    const c = r.per_class[i]!;
    assert.equal(c.label, e.label);
    assert.equal(c.support, e.support);
    close(c.precision, e.precision, `${e.label} P`);
    close(c.recall, e.recall, `${e.label} R`);
    close(c.f1, e.f1, `${e.label} F1`);
  }
  close(r.accuracy, 3 / 6, 'accuracy');
  close(r.macro_f1, (2 / 5 + 4 / 5) / 4, 'macro F1'); // 3/10: divided by 4 classes, not 2
  close(r.macro_precision, (1 / 3 + 2 / 3) / 4, 'macro P'); // 1/4
  close(r.macro_recall, (1 / 2 + 1) / 4, 'macro R'); // 3/8
  close(r.weighted_f1, (2 * (2 / 5) + 2 * (4 / 5)) / 6, 'weighted F1'); // 2/5
  close(r.micro_f1, 1 / 2, 'micro F1');
  // Gorodkin: c = 3 correct, s = 6, true counts t = [2,2,2,0], predicted p = [3,3,0,0]
  // (c·s − Σ p·t) / sqrt((s² − Σp²)(s² − Σt²)) = (18 − 12) / sqrt((36 − 18)(36 − 12)) = 6/sqrt(432) = 1/(2√3)
  close(r.mcc, 1 / (2 * Math.sqrt(3)), 'mcc');
});

test('perfect prediction: every score is 1 and the confusion matrix is diagonal', () => {
  const y = [2, 0, 1, 1, 2, 0, 0];
  const r = classificationReport(y, y, ['x', 'y', 'z']);
  for (const key of ['accuracy', 'macro_f1', 'micro_f1', 'weighted_f1', 'macro_precision', 'macro_recall', 'mcc'] as const) {
    assert.equal(r[key], 1, key);
  }
  assert.deepEqual(r.confusion_matrix, [
    [3, 0, 0],
    [0, 2, 0],
    [0, 0, 2],
  ]);
});

test('all one class: MCC is 0 (undefined), not NaN; the unused class scores 0', () => {
  // Everything true and predicted class 0: accuracy 1, but Σt² = s² so the MCC denominator is 0.
  const same = classificationReport([0, 0, 0, 0], [0, 0, 0, 0], ['only', 'other']);
  assert.equal(same.accuracy, 1);
  assert.equal(same.mcc, 0);
  assert.deepEqual(same.per_class[1], { label: 'other', precision: 0, recall: 0, f1: 0, support: 0 });
  close(same.macro_f1, (1 + 0) / 2, 'macro F1');
  close(same.weighted_f1, 1, 'weighted F1'); // the support-0 class has no weight

  // Always predicting class 0 on mixed data: class 1 is never predicted → precision 0.
  const constant = classificationReport([0, 1, 1, 0, 1], [0, 0, 0, 0, 0], ['a', 'b']);
  assert.equal(constant.mcc, 0);
  assert.equal(constant.per_class[1]!.precision, 0);
  assert.equal(constant.per_class[1]!.recall, 0);
  close(constant.per_class[0]!.precision, 2 / 5, 'a P');
  close(constant.accuracy, 2 / 5, 'accuracy');
});

test('completely wrong binary prediction gives MCC −1', () => {
  const r = classificationReport([0, 1, 0, 1], [1, 0, 1, 0], ['a', 'b']);
  assert.equal(r.accuracy, 0);
  close(r.mcc, -1, 'mcc');
});

// ---------------------------------------------------------------- single-label: random cross-checks

test('random cases: per-class P/R/F1, averages and MCC agree with naive loop implementations', () => {
  const rand = makeRng(12345);
  for (let trial = 0; trial < 200; trial++) {
    const classes = 2 + rand(5);
    const n = 1 + rand(60);
    // Skewed draws so some classes are rare or missing on either side.
    const draw = () => Math.min(classes - 1, rand(classes) * rand(2) + rand(2));
    const yTrue = Array.from({ length: n }, draw);
    const yPred = Array.from({ length: n }, () => (rand(3) === 0 ? draw() : rand(classes)));
    const labels = Array.from({ length: classes }, (_, k) => `c${k}`);
    const r = classificationReport(yTrue, yPred, labels);

    const { f1Sum, pSum, rSum, weighted, correct } = totals(classes, (k) => {
      const { tp, fp, fn } = naiveClassCounts(yTrue, yPred, k);
      const p = tp + fp === 0 ? 0 : tp / (tp + fp);
      const rec = tp + fn === 0 ? 0 : tp / (tp + fn);
      const f1 = naiveF1(p, rec);
      const c = r.per_class[k]!;
      close(c.precision, p, `trial ${trial} class ${k} P`);
      close(c.recall, rec, `trial ${trial} class ${k} R`);
      close(c.f1, f1, `trial ${trial} class ${k} F1`);
      assert.equal(c.support, tp + fn);
      for (let j = 0; j < classes; j++) {
        const count = yTrue.filter((t, i) => t === k && yPred[i] === j).length;
        assert.equal(r.confusion_matrix[k]![j], count, `trial ${trial} matrix[${k}][${j}]`);
      }
      return { f1Sum: f1, pSum: p, rSum: rec, weighted: f1 * (tp + fn), correct: tp };
    });
    close(r.accuracy, correct / n, `trial ${trial} accuracy`);
    close(r.micro_f1, correct / n, `trial ${trial} micro F1 = accuracy`);
    close(r.macro_f1, f1Sum / classes, `trial ${trial} macro F1`);
    close(r.macro_precision, pSum / classes, `trial ${trial} macro P`);
    close(r.macro_recall, rSum / classes, `trial ${trial} macro R`);
    close(r.weighted_f1, weighted / n, `trial ${trial} weighted F1`);
    close(r.mcc, covarianceMcc(yTrue, yPred, classes), `trial ${trial} mcc vs covariance form`, 1e-9);
    if (classes === 2) close(r.mcc, binaryMcc(yTrue, yPred), `trial ${trial} mcc vs binary formula`, 1e-9);
  }
});

test('MCC: multi-class formula equals the binary formula on many random 2-class cases', () => {
  const rand = makeRng(777);
  let nonTrivial = 0;
  for (let trial = 0; trial < 300; trial++) {
    const n = 2 + rand(100);
    const bias = rand(10);
    const yTrue = Array.from({ length: n }, () => rand(2));
    const yPred = yTrue.map((t) => (rand(10) < bias ? t : rand(2)));
    const expected = binaryMcc(yTrue, yPred);
    if (expected !== 0) nonTrivial++;
    close(classificationReport(yTrue, yPred, ['n', 'p']).mcc, expected, `trial ${trial}`, 1e-12);
  }
  assert.ok(nonTrivial > 250, 'most cases have a defined, non-zero MCC');
});

// ---------------------------------------------------------------- multi-label

test('multi-label hand-worked example', () => {
  // labels a b c
  // row 0: true {a, c}  pred {a}       → a TP, c FN
  // row 1: true {b}     pred {b, c}    → b TP, c FP
  // row 2: true {a, b}  pred {a, b}    → exact
  const r = multiLabelReport(
    [
      [1, 0, 1],
      [0, 1, 0],
      [1, 1, 0],
    ],
    [
      [1, 0, 0],
      [0, 1, 1],
      [1, 1, 0],
    ],
    ['a', 'b', 'c'],
  );
  assert.deepEqual(r.per_class, [
    { label: 'a', precision: 1, recall: 1, f1: 1, support: 2 },
    { label: 'b', precision: 1, recall: 1, f1: 1, support: 2 },
    { label: 'c', precision: 0, recall: 0, f1: 0, support: 1 },
  ]);
  // pooled: TP 4, FP 1, FN 1 → P 4/5, R 4/5, F1 8/10
  close(r.micro_precision, 4 / 5, 'micro P');
  close(r.micro_recall, 4 / 5, 'micro R');
  close(r.micro_f1, 8 / 10, 'micro F1');
  close(r.macro_f1, (1 + 1 + 0) / 3, 'macro F1');
  close(r.subset_accuracy, 1 / 3, 'subset accuracy'); // only row 2 is exact
  close(r.hamming_loss, 2 / 9, 'hamming loss'); // 2 wrong cells of 3×3
  assert.equal(r.support, 3);
  assert.deepEqual(r.labels, ['a', 'b', 'c']);
});

test('multi-label: nothing true and nothing predicted scores 0 F1 but perfect subset accuracy', () => {
  const zeros = [
    [0, 0],
    [0, 0],
  ];
  const r = multiLabelReport(zeros, zeros, ['x', 'y']);
  assert.equal(r.micro_f1, 0);
  assert.equal(r.macro_f1, 0);
  assert.equal(r.micro_precision, 0);
  assert.equal(r.subset_accuracy, 1);
  assert.equal(r.hamming_loss, 0);
});

test('multi-label random cases agree with a set-based naive implementation', () => {
  const rand = makeRng(4242);
  for (let trial = 0; trial < 150; trial++) {
    const width = 1 + rand(6);
    const n = 1 + rand(40);
    const labels = Array.from({ length: width }, (_, j) => `L${j}`);
    const yTrue = Array.from({ length: n }, () => Array.from({ length: width }, () => (rand(3) === 0 ? 1 : 0)));
    const yPred = yTrue.map((row) => row.map((v) => (rand(4) === 0 ? 1 - v : v)));
    const r = multiLabelReport(yTrue, yPred, labels);

    const asSet = (row: number[]) => new Set(labels.filter((_, j) => row[j] === 1));
    const { inter, predSize, trueSize, exact, symDiff } = totals(n, (i) => {
      const t = asSet(yTrue[i]!);
      const p = asSet(yPred[i]!);
      const both = [...t].filter((l) => p.has(l)).length;
      return { inter: both, predSize: p.size, trueSize: t.size, symDiff: t.size + p.size - 2 * both, exact: both === t.size && both === p.size ? 1 : 0 };
    });
    close(r.micro_precision, predSize === 0 ? 0 : inter / predSize, `trial ${trial} micro P`);
    close(r.micro_recall, trueSize === 0 ? 0 : inter / trueSize, `trial ${trial} micro R`);
    close(r.micro_f1, naiveF1(predSize === 0 ? 0 : inter / predSize, trueSize === 0 ? 0 : inter / trueSize), `trial ${trial} micro F1`);
    close(r.subset_accuracy, exact / n, `trial ${trial} subset accuracy`);
    close(r.hamming_loss, symDiff / (n * width), `trial ${trial} hamming`);

    let f1Sum = 0;
    labels.forEach((l, j) => {
      const tp = yTrue.filter((row, i) => row[j] === 1 && yPred[i]![j] === 1).length;
      const predicted = yPred.filter((row) => row[j] === 1).length;
      const actual = yTrue.filter((row) => row[j] === 1).length;
      const p = predicted === 0 ? 0 : tp / predicted;
      const rec = actual === 0 ? 0 : tp / actual;
      close(r.per_class[j]!.f1, naiveF1(p, rec), `trial ${trial} ${l} F1`);
      assert.equal(r.per_class[j]!.support, actual);
      f1Sum += naiveF1(p, rec);
    });
    close(r.macro_f1, f1Sum / width, `trial ${trial} macro F1`);
  }
});

test('multi-label on one-hot rows reproduces the single-label report', () => {
  const rand = makeRng(99);
  for (let trial = 0; trial < 50; trial++) {
    const classes = 2 + rand(4);
    const n = 1 + rand(30);
    const yTrue = Array.from({ length: n }, () => rand(classes));
    const yPred = Array.from({ length: n }, () => rand(classes));
    const labels = Array.from({ length: classes }, (_, k) => `k${k}`);
    const oneHot = (y: number[]) => y.map((c) => labels.map((_, k) => (k === c ? 1 : 0)));
    const single = classificationReport(yTrue, yPred, labels);
    const multi = multiLabelReport(oneHot(yTrue), oneHot(yPred), labels);
    close(multi.micro_f1, single.accuracy, `trial ${trial} micro F1 = accuracy`);
    close(multi.subset_accuracy, single.accuracy, `trial ${trial} subset accuracy = accuracy`);
    close(multi.macro_f1, single.macro_f1, `trial ${trial} macro F1`);
    assert.deepEqual(multi.per_class, single.per_class);
  }
});

// ---------------------------------------------------------------- regression

test('regression hand-worked example (ties in the predictions)', () => {
  const yTrue = [1, 2, 3, 4];
  const yPred = [1, 3, 3, 9];
  const r = regressionReport(yTrue, yPred);
  // errors 0, 1, 0, 5 → squared sum 26, absolute sum 6
  close(r.mse, 26 / 4, 'mse');
  close(r.rmse, Math.sqrt(26 / 4), 'rmse');
  close(r.mae, 6 / 4, 'mae');
  // mean true 2.5 → SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5; R² = 1 − 26/5
  close(r.r2, 1 - 26 / 5, 'r2');
  // Pearson: dx = [−1.5, −.5, .5, 1.5], dy = [−3, −1, −1, 5] (mean 4); Σdxdy = 12, Σdx² = 5, Σdy² = 36
  close(r.pearson, 12 / Math.sqrt(5 * 36), 'pearson');
  // Spearman: ranks x = [1, 2, 3, 4], y = [1, 2.5, 2.5, 4]; dy = [−1.5, 0, 0, 1.5];
  // Σdxdy = 2.25 + 2.25 = 4.5, Σdx² = 5, Σdy² = 4.5 → 4.5 / sqrt(22.5)
  close(r.spearman, 4.5 / Math.sqrt(22.5), 'spearman');
  assert.equal(r.support, 4);
});

test('averageRanks gives tied values the mean of their positions', () => {
  assert.deepEqual(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  assert.deepEqual(averageRanks([3, 1, 3, 3]), [3, 1, 3, 3]); // the 3s share ranks 2, 3, 4
  assert.deepEqual(averageRanks([5, 4, 3, 2, 1]), [5, 4, 3, 2, 1]);
  assert.deepEqual(averageRanks([7]), [1]);
});

test('random regression cases: Spearman = Pearson of counting ranks, with many ties; mse/mae/r2 naive', () => {
  const rand = makeRng(2024);
  let trialsWithTies = 0;
  for (let trial = 0; trial < 200; trial++) {
    const n = 2 + rand(50);
    // Values from a small range force ties on both sides.
    const spread = 1 + rand(8);
    const yTrue = Array.from({ length: n }, () => rand(spread) * 0.5);
    const yPred = yTrue.map((v) => v + (rand(5) - 2) * 0.25);
    const r = regressionReport(yTrue, yPred);
    if (new Set(yTrue).size < n && new Set(yPred).size < n) trialsWithTies++;
    close(r.pearson, sumFormulaPearson(yTrue, yPred), `trial ${trial} pearson`, 1e-9);
    close(r.spearman, sumFormulaPearson(countingRanks(yTrue), countingRanks(yPred)), `trial ${trial} spearman`, 1e-9);
    const { sq, abs } = totals(n, (i) => ({ sq: (yTrue[i]! - yPred[i]!) ** 2, abs: Math.abs(yTrue[i]! - yPred[i]!) }));
    close(r.mse, sq / n, `trial ${trial} mse`);
    close(r.mae, abs / n, `trial ${trial} mae`);
    const mean = yTrue.reduce((a, b) => a + b, 0) / n;
    const ssTot = yTrue.reduce((a, t) => a + (t - mean) ** 2, 0);
    if (ssTot > 0) close(r.r2, 1 - sq / ssTot, `trial ${trial} r2`, 1e-9);
  }
  assert.ok(trialsWithTies > 150, `ties on both sides in most trials (${trialsWithTies})`);
});

test('constant input: correlations are 0 (not NaN); R² is 1 for exact constant predictions, else 0', () => {
  const flatTrue = regressionReport([2, 2, 2], [1, 2, 3]);
  assert.equal(flatTrue.pearson, 0);
  assert.equal(flatTrue.spearman, 0);
  assert.equal(flatTrue.r2, 0);
  const flatPred = regressionReport([1, 2, 3], [5, 5, 5]);
  assert.equal(flatPred.pearson, 0);
  assert.equal(flatPred.spearman, 0);
  close(flatPred.r2, 1 - (16 + 9 + 4) / 2, 'r2 of a constant prediction'); // SS_tot = 1 + 0 + 1
  const exact = regressionReport([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]);
  assert.equal(exact.r2, 1);
  assert.equal(exact.mse, 0);
  // 0.1 is not exact in binary: the mean of three 0.1s is 0.10000000000000002, which must not
  // turn an undefined correlation into rounding noise, nor R² into −(huge).
  const fuzzy = regressionReport([0.1, 0.1, 0.1], [1, 2, 4]);
  assert.equal(fuzzy.pearson, 0);
  assert.equal(fuzzy.spearman, 0);
  assert.equal(fuzzy.r2, 0);
});

test('perfect regression: r2, pearson and spearman are 1; errors 0', () => {
  const y = [3.5, -1, 0, 2, 2];
  const r = regressionReport(y, y);
  assert.equal(r.mse, 0);
  assert.equal(r.mae, 0);
  assert.equal(r.r2, 1);
  close(r.pearson, 1, 'pearson');
  close(r.spearman, 1, 'spearman');
  // a monotone but non-linear prediction: Spearman stays 1, Pearson drops below 1
  const curved = regressionReport([1, 2, 3, 4, 5], [1, 4, 9, 16, 100]);
  close(curved.spearman, 1, 'spearman of a monotone map');
  assert.ok(curved.pearson < 0.95);
});

// ---------------------------------------------------------------- input validation

test('bad inputs throw one-line BertftErrors instead of producing NaN', () => {
  throwsWith(() => classificationReport([0, 1], [0], ['a', 'b']), BertftError, /2 true values but 1 predictions/);
  throwsWith(() => classificationReport([], [], ['a']), BertftError, /no examples/);
  throwsWith(() => classificationReport([0, 2], [0, 1], ['a', 'b']), BertftError, /yTrue\[1\] = 2/, /0\.\.1/);
  throwsWith(() => classificationReport([0, 1], [0, 0.5], ['a', 'b']), BertftError, /yPred\[1\] = 0\.5/);
  throwsWith(() => classificationReport([0], [0], ['a', 'a']), BertftError, /"a" is listed twice/);
  throwsWith(() => classificationReport([0], [0], []), BertftError, /label list is empty/);
  throwsWith(() => multiLabelReport([[1, 0]], [[1]], ['a', 'b']), BertftError, /yPred\[0\] has 1 entries/);
  throwsWith(() => multiLabelReport([[1, 2]], [[1, 0]], ['a', 'b']), BertftError, /yTrue\[0\]\[1\] = 2 is not 0 or 1/);
  throwsWith(() => regressionReport([1, 2], [1, Number.NaN]), BertftError, /yPred\[1\] = NaN/);
  throwsWith(() => regressionReport([Infinity], [1]), BertftError, /yTrue\[0\] = Infinity/);
  throwsWith(() => regressionReport([], []), BertftError, /no examples/);
});

test('reports survive a JSON round trip unchanged (no NaN, no undefined)', () => {
  const reports: EvalReport[] = [
    classificationReport([0, 0], [0, 0], ['a', 'b', 'c']),
    multiLabelReport([[0, 0]], [[0, 0]], ['x', 'y']),
    regressionReport([1, 1], [1, 1]),
  ];
  for (const r of reports) assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

// ---------------------------------------------------------------- metric selection

const single = classificationReport([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], ['a', 'b', 'c']);
const multi = multiLabelReport(
  [
    [1, 0],
    [0, 1],
    [1, 1],
  ],
  [
    [1, 0],
    [1, 1],
    [0, 1],
  ],
  ['x', 'y'],
);
const regression = regressionReport([1, 2, 3, 4], [1.5, 1.5, 3.5, 3]);
const byType: Record<ProblemType, EvalReport> = {
  single_label_classification: single,
  multi_label_classification: multi,
  regression,
};

test('metricValue reads every listed metric of each problem type from its report', () => {
  for (const [type, report] of Object.entries(byType) as [ProblemType, EvalReport][]) {
    for (const name of metricNames(type)) {
      if (name === 'eval_loss') continue;
      const value = metricValue(report, name);
      assert.equal(value, (report as unknown as Record<string, number>)[name], `${type} ${name}`);
    }
  }
  assert.equal(metricValue(single, 'accuracy'), single.accuracy);
  assert.equal(metricValue(single, 'eval_macro_f1'), single.macro_f1);
  assert.equal(metricValue(single, ' MCC '), single.mcc);
  assert.equal(metricValue(single, 'matthews_correlation'), single.mcc);
  assert.equal(metricValue(multi, 'accuracy'), multi.subset_accuracy);
  assert.equal(metricValue(multi, 'eval_hamming_loss'), multi.hamming_loss);
  assert.equal(metricValue(regression, 'eval_spearman'), regression.spearman);
});

test('metricValue: eval_loss comes from the caller; unknown or wrong-type names are UsageErrors', () => {
  assert.equal(metricValue({ ...single, eval_loss: 0.25 } as EvalReport, 'loss'), 0.25);
  assert.equal(metricValue({ ...regression, eval_loss: 1.5 } as EvalReport, 'eval_loss'), 1.5);
  throwsWith(() => metricValue(single, 'eval_loss'), Error, /eval_loss/);
  throwsWith(() => metricValue(single, 'pearson'), UsageError, /"pearson"/, /single label classification/, /accuracy, macro_f1/, /eval_loss/);
  throwsWith(() => metricValue(regression, 'accuracy'), UsageError, /mse, rmse, mae, pearson, spearman, r2, eval_loss/);
  throwsWith(() => metricValue(multi, 'mcc'), UsageError, /subset_accuracy/);
  throwsWith(() => metricValue(single, 'constructor'), UsageError, /constructor/);
  assert.equal(resolveMetricName('EVAL_ACCURACY', 'single_label_classification'), 'accuracy');
  assert.equal(resolveMetricName('accuracy', 'multi_label_classification'), 'subset_accuracy');
});

test('metricGreaterIsBetter: errors and losses are minimised, scores maximised', () => {
  for (const name of ['mse', 'rmse', 'mae', 'hamming_loss', 'eval_loss', 'loss', 'eval_mse']) {
    assert.equal(metricGreaterIsBetter(name), false, name);
  }
  for (const name of ['accuracy', 'macro_f1', 'micro_f1', 'weighted_f1', 'mcc', 'pearson', 'spearman', 'r2', 'subset_accuracy', 'eval_accuracy']) {
    assert.equal(metricGreaterIsBetter(name), true, name);
  }
  throwsWith(() => metricGreaterIsBetter('bleu'), UsageError, /"bleu"/, /accuracy/, /hamming_loss/, /spearman/);
});

// ---------------------------------------------------------------- text table

test('formatReport: per-class rows, averages and a confusion matrix that reads back', () => {
  const labels = ['negative', 'positive', 'a_label_name_that_is_far_too_long_for_a_column'];
  const r = classificationReport([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 2, 2], labels);
  const text = formatReport(r);
  const lines = text.split('\n');
  const rowOf = (start: string) => lines.find((l) => l.startsWith(start));
  const negRow = rowOf('negative ')!.trim().split(/\s+/);
  assert.deepEqual(negRow.slice(1), [r.per_class[0]!.precision.toFixed(4), r.per_class[0]!.recall.toFixed(4), r.per_class[0]!.f1.toFixed(4), '2']);
  assert.match(rowOf('macro avg')!, new RegExp(`${r.macro_f1.toFixed(4)}\\s+6$`));
  assert.match(rowOf('weighted avg')!, new RegExp(r.weighted_f1.toFixed(4)));
  assert.match(text, new RegExp(`accuracy ${r.accuracy.toFixed(4)}`));
  assert.match(text, new RegExp(`mcc ${r.mcc.toFixed(4)}`));
  assert.ok(!text.includes(labels[2]!), 'the long label is shortened');
  assert.match(text, /a_label_name_that_is_far_too_…/); // 29 characters + "…"

  // The matrix: after its title, a header line, then one row per true class whose numbers are the counts.
  const title = lines.findIndex((l) => l.startsWith('confusion matrix'));
  assert.ok(title > 0);
  assert.match(lines[title + 1]!, /negative\s+positive\s+a_label_nam…/);
  for (let t = 0; t < labels.length; t++) {
    const counts = lines[title + 2 + t]!.trim().split(/\s+/).slice(1).map(Number);
    assert.deepEqual(counts, r.confusion_matrix[t]);
  }
  assert.equal(lines.length, title + 2 + labels.length, 'nothing after the matrix');
});

test('formatReport: multi-label and regression tables show their metrics', () => {
  const m = formatReport(multi);
  assert.match(m, /^\s+precision\s+recall\s+f1\s+support$/m);
  assert.match(m, new RegExp(`^micro avg\\s+${multi.micro_precision.toFixed(4)}\\s+${multi.micro_recall.toFixed(4)}\\s+${multi.micro_f1.toFixed(4)}`, 'm'));
  assert.match(m, new RegExp(`subset accuracy ${multi.subset_accuracy.toFixed(4)}\\s+hamming loss ${multi.hamming_loss.toFixed(4)}`));
  assert.match(m, /^x\s/m);
  const g = formatReport(regression).split('\n');
  const value = (name: string) =>
    g
      .find((l) => l.startsWith(`${name} `))!
      .trim()
      .split(/\s+/)[1];
  assert.equal(value('mse'), regression.mse.toFixed(4));
  assert.equal(value('spearman'), regression.spearman.toFixed(4));
  assert.equal(value('r2'), regression.r2.toFixed(4));
  assert.equal(value('examples'), '4');
});
