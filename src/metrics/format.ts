import type { ClassificationReport, ClassScores, EvalReport, MultiLabelReport, RegressionReport } from './types.js';
import type { EntityReport } from './entities.js';

/** Text tables of a report for the terminal (the JSON form is the report object itself). */

/** Longest label shown in a row header; longer ones are cut so one label cannot blow up the table. */
const MAX_ROW_LABEL = 30;
/** Longest label shown as a confusion-matrix column header (columns are repeated per class). */
const MAX_COLUMN_LABEL = 12;

function fixed(x: number): string {
  return x.toFixed(4);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Lays out rows of cells in columns: the first column left-aligned, the rest right-aligned. */
function renderTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function perClassRows(perClass: readonly ClassScores[]): string[][] {
  return perClass.map((c) => [clip(c.label, MAX_ROW_LABEL), fixed(c.precision), fixed(c.recall), fixed(c.f1), String(c.support)]);
}

function weightedAverage(perClass: readonly ClassScores[], pick: (c: ClassScores) => number): number {
  let sum = 0;
  let weight = 0;
  for (const c of perClass) {
    sum += pick(c) * c.support;
    weight += c.support;
  }
  return weight === 0 ? 0 : sum / weight;
}

function formatClassification(r: ClassificationReport): string {
  const header = ['', 'precision', 'recall', 'f1', 'support'];
  const n = String(r.support);
  const table = renderTable([
    header,
    ...perClassRows(r.per_class),
    [],
    ['macro avg', fixed(r.macro_precision), fixed(r.macro_recall), fixed(r.macro_f1), n],
    // Weighted precision/recall are not report fields; shown here only so the row reads like sklearn's.
    ['weighted avg', fixed(weightedAverage(r.per_class, (c) => c.precision)), fixed(weightedAverage(r.per_class, (c) => c.recall)), fixed(r.weighted_f1), n],
    ['micro avg', '', '', fixed(r.micro_f1), n],
  ]);
  const matrix = renderTable([
    ['true \\ predicted', ...r.labels.map((l) => clip(l, MAX_COLUMN_LABEL))],
    ...r.confusion_matrix.map((row, t) => [clip(r.labels[t] ?? String(t), MAX_ROW_LABEL), ...row.map(String)]),
  ]);
  return [
    ...table,
    '',
    `accuracy ${fixed(r.accuracy)}  mcc ${fixed(r.mcc)}  examples ${r.support}`,
    '',
    'confusion matrix (rows = true class, columns = predicted class)',
    ...matrix,
  ].join('\n');
}

function formatMultiLabel(r: MultiLabelReport): string {
  const positives = String(r.per_class.reduce((sum, c) => sum + c.support, 0));
  const table = renderTable([
    ['', 'precision', 'recall', 'f1', 'support'],
    ...perClassRows(r.per_class),
    [],
    ['micro avg', fixed(r.micro_precision), fixed(r.micro_recall), fixed(r.micro_f1), positives],
    ['macro avg', '', '', fixed(r.macro_f1), positives],
  ]);
  return [...table, '', `subset accuracy ${fixed(r.subset_accuracy)}  hamming loss ${fixed(r.hamming_loss)}  examples ${r.support}`].join('\n');
}

function formatRegression(r: RegressionReport): string {
  return renderTable([
    ['mse', fixed(r.mse)],
    ['rmse', fixed(r.rmse)],
    ['mae', fixed(r.mae)],
    ['pearson', fixed(r.pearson)],
    ['spearman', fixed(r.spearman)],
    ['r2', fixed(r.r2)],
    ['examples', String(r.support)],
  ]).join('\n');
}

/**
 * A readable multi-line text table of a report for terminal output: per-class precision, recall,
 * F1 and support, the averages, and for single-label reports the confusion matrix with label
 * headers. Numbers have 4 decimals; labels longer than 30 characters (12 in matrix column
 * headers) are shortened with "…". No trailing newline.
 */
export function formatReport(report: EvalReport | EntityReport): string {
  switch (report.problem_type) {
    case 'token_classification':
      return formatEntities(report);
    case 'single_label_classification':
      return formatClassification(report);
    case 'multi_label_classification':
      return formatMultiLabel(report);
    case 'regression':
      return formatRegression(report);
  }
}

/** Entity scores as seqeval's classification_report lays them out: per type, then micro, macro and weighted averages; then the type confusion. */
function formatEntities(r: EntityReport): string {
  const n = String(r.support);
  const types = Object.entries(r.per_type);
  const table = renderTable([
    ['', 'precision', 'recall', 'f1', 'support'],
    ...types.map(([type, s]) => [clip(type, MAX_ROW_LABEL), fixed(s.precision), fixed(s.recall), fixed(s.f1), String(s.support)]),
    [],
    ['micro avg', fixed(r.precision), fixed(r.recall), fixed(r.f1), n],
    ['macro avg', fixed(r.macro_precision), fixed(r.macro_recall), fixed(r.macro_f1), n],
    ['weighted avg', '', '', fixed(r.weighted_f1), n],
  ]);
  const matrix = renderTable([
    ['gold \\ predicted', ...r.confusion.labels.map((l) => clip(l, MAX_COLUMN_LABEL))],
    ...r.confusion.matrix.map((row, g) => [clip(r.confusion.labels[g] ?? String(g), MAX_ROW_LABEL), ...row.map(String)]),
  ]);
  return [
    `entities (${r.mode} matching): ${r.support} gold, ${r.predicted} predicted in ${r.sentences} sentences; token accuracy ${fixed(r.token_accuracy)}`,
    ...table,
    '',
    'entity types of overlapping spans (O row: spurious predictions, O column: missed entities)',
    ...matrix,
  ].join('\n');
}
