/** The report page: one self-contained HTML file (inline CSS and SVG, no scripts, no external files). */
import { type LearningCurveInput, reportCharts } from './charts.js';
import { formatDuration, formatNumber, formatSetting, formatTimestamp } from './format.js';
import type { ClassScore, ClassificationResults } from './types.js';
import { escapeXml as esc, truncate } from './xml.js';

/** The report pages' style sheet (the sequence- and token-classification pages share it). */
export const REPORT_CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:24px;color:#222;max-width:1220px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #e3e3e3}
.sub{color:#555;margin:0;word-break:break-all}.tags{margin:8px 0 0}
.tag{display:inline-block;background:#eef3f8;border-radius:10px;padding:1px 10px;margin:0 6px 4px 0;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin:18px 0}
.card{border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;background:#fafcfe}
.card .k{color:#555;font-size:13px}.card .v{font-size:22px;font-weight:600;margin:2px 0}.card .d{color:#666;font-size:13px;overflow-wrap:anywhere}
.row{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}.tables{flex:1 1 300px;display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
svg.chart{border:1px solid #e3e3e3;border-radius:6px;max-width:100%;height:auto}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #e0e0e0;padding:4px 10px;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f6f8;font-weight:600}td:first-child,th:first-child{text-align:left}
td.label{max-width:320px;overflow-wrap:anywhere}tr.best td{background:#fff8e1;font-weight:600}
.note{background:#fff8e1;border-left:4px solid #f2c14e;padding:8px 12px;margin:12px 0}
.settings{columns:3 280px;column-gap:28px;font-size:14px}
.settings div{display:flex;justify-content:space-between;gap:12px;border-bottom:1px dotted #ddd;padding:3px 0;break-inside:avoid}
.settings code{overflow-wrap:anywhere;text-align:right}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px}
footer{color:#777;font-size:13px;margin-top:32px;border-top:1px solid #e3e3e3;padding-top:8px}
`;

/**
 * What the header and footer read of a fine-tuning run: ClassificationResults and
 * TokenClassificationResults are both one, so both pages show the same facts the same way.
 */
export interface RunSummary {
  bertft_version: string | null;
  model: string;
  output_dir: string;
  /** Shown as the task, underscores as spaces ("token classification"). */
  problem_type: string;
  strategy: string;
  engine: string;
  backend: string | null;
  started_at: string;
  finished_at: string;
}

/**
 * Renders a run's results as one self-contained HTML page: header (model, strategy, engine, time,
 * throughput), learning curves, the best model's confusion matrix, per-class table and metrics, the
 * history, and every hyper-parameter. Works for regression (no confusion matrix) and for runs with
 * one epoch or no validation data.
 *
 * @param results the content of training_results.json
 * @returns the HTML document
 */
export function renderReport(results: ClassificationResults): string {
  const r = results;
  const charts = reportCharts(r);
  return reportPage(r.output_dir, [
    reportHeader(r),
    cards(r),
    learningCurves(r, charts),
    bestModel(r, charts['confusion_matrix.svg']),
    historyTable(r),
    trials(r, charts['autotune.svg']),
    settingsSection(r),
    reportFooter(r),
  ]);
}

/** The HTML document around a report's sections (empty sections are left out). */
export function reportPage(outputDir: string, sections: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bertft report — ${esc(outputDir)}</title>
<style>${REPORT_CSS}</style></head>
<body>
${sections.filter(Boolean).join('\n')}
</body></html>
`;
}

/** The learning-curves heading, the loss and metric charts side by side, and a note when nothing was evaluated. */
export function learningCurves(r: LearningCurveInput, charts: Partial<Record<string, string>>): string {
  const evaluated = r.history.some((h) => typeof h.eval_loss === 'number' || h.eval_metrics);
  return [
    '<h2>Learning curves</h2>',
    evaluated ? '' : '<p class="note">No validation data: only the training loss is shown.</p>',
    `<div class="row">${charts['loss.svg'] ?? ''}${charts['metric.svg'] ?? ''}</div>`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Title, model → output folder, and tags for the task, strategy, engine and start time. */
export function reportHeader(r: RunSummary): string {
  const engine = r.backend ? `${r.engine} (${r.backend})` : r.engine;
  return `<header><h1>bertft training report</h1>
<p class="sub"><code>${esc(r.model)}</code> → <code>${esc(r.output_dir)}</code></p>
<p class="tags"><span class="tag">${esc(r.problem_type.replace(/_/g, ' '))}</span><span class="tag">strategy <b>${esc(r.strategy)}</b></span><span class="tag">engine <b>${esc(engine)}</b></span><span class="tag">${esc(formatTimestamp(r.started_at))}</span></p></header>`;
}

/** One headline figure: what it is, its value, and a line of detail. */
export function reportCard(key: string, value: string, detail: string): string {
  return `<div class="card"><div class="k">${esc(key)}</div><div class="v">${esc(value)}</div><div class="d">${esc(detail)}</div></div>`;
}

function cards(r: ClassificationResults): string {
  const epochs = Math.max(0, ...r.history.map((h) => h.epoch));
  const lastStep = Math.max(0, ...r.history.map((h) => h.step));
  const out = [
    r.best
      ? reportCard(`best ${r.best.metric}`, formatNumber(r.best.value), `epoch ${r.best.epoch} of ${epochs}`)
      : reportCard('best model', '—', 'no validation data'),
  ];
  for (const [name, value] of headlineMetrics(r)) out.push(reportCard(name, formatNumber(value), 'best model, validation'));
  out.push(reportCard('training time', formatDuration(r.train_runtime_s), `${r.train_examples_per_s.toFixed(1)} examples/s`));
  out.push(reportCard('training examples', String(r.train_examples), r.eval_examples ? `${r.eval_examples} validation` : 'no validation'));
  out.push(reportCard('epochs', String(epochs), `${lastStep} optimiser steps`));
  if (r.problem_type !== 'regression') {
    const shown =
      r.labels
        .slice(0, 5)
        .map((l) => truncate(l, 16, 'middle'))
        .join(', ') + (r.labels.length > 5 ? ', …' : '');
    out.push(reportCard('labels', String(r.labels.length), shown));
  }
  return `<section class="cards">${out.join('')}</section>`;
}

/** Up to two final metrics worth a card, other than the one already shown as "best". */
function headlineMetrics(r: ClassificationResults): [string, number][] {
  const wanted =
    { single_label_classification: ['accuracy', 'macro_f1'], multi_label_classification: ['micro_f1', 'subset_accuracy'], regression: ['pearson', 'rmse'] }[
      r.problem_type
    ] ?? [];
  const out: [string, number][] = [];
  for (const m of wanted) {
    const value = r.final_eval?.[m];
    if (m !== r.best?.metric && typeof value === 'number') out.push([m, value]);
  }
  return out.slice(0, 2);
}

/** Confusion matrix, per-class table and every scalar metric of the best model. */
function bestModel(r: ClassificationResults, confusionSvg: string | undefined): string {
  const fe = r.final_eval;
  if (!fe) return '';
  const metrics = scalarMetricsTable(fe);
  const perClass = fe.per_class?.length ? perClassTable(fe.per_class) : '';
  const where = r.best ? ` (epoch ${r.best.epoch})` : '';
  return `<h2>Best model on the validation set${esc(where)}</h2>
<div class="row">${confusionSvg ?? ''}<div class="tables">${perClass}${metrics}</div></div>`;
}

/** Every numeric field of a final evaluation, one row each (nested scores and names are left out); '' for none. */
export function scalarMetricsTable(finalEval: object): string {
  const scalars = Object.entries(finalEval).filter((e): e is [string, number] => typeof e[1] === 'number');
  return scalars.length
    ? `<table class="metrics"><tr><th>metric</th><th>value</th></tr>${scalars.map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td>${formatNumber(v)}</td></tr>`).join('')}</table>`
    : '';
}

function perClassTable(rows: ClassScore[]): string {
  const body = rows
    .map(
      (c) =>
        `<tr><td class="label">${esc(c.label)}</td><td>${formatNumber(c.precision)}</td><td>${formatNumber(c.recall)}</td><td>${formatNumber(c.f1)}</td><td>${c.support}</td></tr>`,
    )
    .join('');
  return `<table class="per-class"><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${body}</table>`;
}

/** The metric names recorded anywhere in the history, in first-seen order. */
export function historyMetricNames(r: LearningCurveInput): string[] {
  return [...new Set(r.history.flatMap((h) => Object.keys(h.eval_metrics ?? {})))];
}

/** The history's one metric column by default: the best-model metric, else the first recorded. */
function defaultHistoryMetrics(r: LearningCurveInput): string[] {
  const metricNames = historyMetricNames(r);
  return r.best && metricNames.includes(r.best.metric) ? [r.best.metric] : metricNames.slice(0, 1);
}

/**
 * One row per evaluation; the best one highlighted.
 *
 * @param shown the metric columns (default: the best-model metric)
 */
export function historyTable(r: LearningCurveInput, shown: string[] = defaultHistoryMetrics(r)): string {
  if (!r.history.length) return '';
  const hasEval = r.history.some((h) => typeof h.eval_loss === 'number');
  const opt = (v: number | undefined) => (typeof v === 'number' ? formatNumber(v) : '—');
  const isBest = (h: LearningCurveInput['history'][number]) => !!r.best && h.epoch === r.best.epoch && (r.best.step === undefined || h.step === r.best.step);
  const head = ['epoch', 'step', 'train loss', ...(hasEval ? ['eval loss'] : []), ...shown, 'learning rate', 'elapsed'];
  const rows = r.history.map((h) => {
    const cells = [
      String(h.epoch),
      String(h.step),
      opt(h.train_loss),
      ...(hasEval ? [opt(h.eval_loss)] : []),
      ...shown.map((m) => opt(h.eval_metrics?.[m])),
      h.learning_rate.toExponential(2),
      formatDuration(h.elapsed_s),
    ];
    return `<tr${isBest(h) ? ' class="best"' : ''}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<h2>History</h2>
<table class="history"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows.join('\n')}</table>`;
}

/** `--autotune`: the trials table (kept trial highlighted) beside the score-by-trial chart. */
function trials(r: ClassificationResults, chart: string | undefined): string {
  const a = r.autotune;
  if (!a?.trials.length) return '';
  const head = ['trial', 'strategy', 'learning rate', 'epochs', 'batch', 'pooling', 'head LR', 'status', a.metric, 'final train loss', 'time'];
  const rows = a.trials.map((t) => {
    const hp = t.resolved;
    const cells = [
      String(t.trial),
      t.config.strategy,
      hp ? hp.learning_rate.toExponential(1) : '—',
      String(hp?.epochs ?? '—'),
      String(t.config.batchSize),
      String(hp?.pooling ?? '—'),
      typeof hp?.head_lr === 'number' ? hp.head_lr.toExponential(1) : 'same',
      t.status,
      t.score === null ? '—' : formatNumber(t.score),
      t.final_train_loss === null ? '—' : formatNumber(t.final_train_loss),
      formatDuration(t.seconds),
    ];
    return `<tr${t.trial === a.best_trial ? ' class="best"' : ''}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<h2>Autotune: ${a.trials.length} trials in ${esc(formatDuration(a.elapsed_s))} (budget ${esc(formatDuration(a.budget_s))}, successive halving η=${a.eta}, seed ${a.seed})</h2>
<div class="row">${chart ?? ''}<table class="trials"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows.join('\n')}</table></div>`;
}

/** Every hyper-parameter the run resolved, as recorded. */
export function settingsSection(r: { hyperparameters: object }): string {
  const entries = Object.entries(r.hyperparameters ?? {});
  if (!entries.length) return '';
  return `<h2>Hyper-parameters</h2>
<div class="settings">${entries.map(([k, v]) => `<div><span>${esc(k)}</span><code>${esc(formatSetting(v))}</code></div>`).join('')}</div>`;
}

/** Start and finish times, the bertft version and the source file. */
export function reportFooter(r: RunSummary): string {
  return `<footer>started ${esc(formatTimestamp(r.started_at))} · finished ${esc(formatTimestamp(r.finished_at))} · bertft ${esc(r.bertft_version ?? 'unknown version')} · written from training_results.json</footer>`;
}
