/**
 * The report of a token-classification (NER) run: the same page as a sequence classifier's (html.ts,
 * charts.ts), with entity-level scores in place of per-class ones: learning curves on entity F1,
 * precision and recall, the entity-type confusion and a per-type table.
 */
import type { EntityReport, EntityScores } from '../metrics/entities.js';
import { lossChart, metricChart } from './charts.js';
import { formatDuration, formatNumber } from './format.js';
import { confusionHeatmap } from './heatmap.js';
import {
  historyMetricNames,
  historyTable,
  learningCurves,
  reportCard,
  reportFooter,
  reportHeader,
  reportPage,
  scalarMetricsTable,
  settingsSection,
} from './html.js';
import type { TokenClassificationResults } from './types.js';
import { escapeXml as esc, truncate } from './xml.js';

/** The entity scores a NER run is judged by, in the order the curves and the history show them. */
const ENTITY_CURVES = ['f1', 'precision', 'recall'];

/**
 * The token report's charts as SVG strings keyed by file name: `loss.svg` always, `metric.svg`
 * when the run was evaluated, `confusion_matrix.svg` (entity type against entity type, `O` = no
 * entity) when there is a final evaluation.
 */
export function tokenReportCharts(r: TokenClassificationResults): Record<string, string> {
  const charts: Record<string, string> = { 'loss.svg': lossChart(r) };
  const metric = metricChart(r, (available) => entityCurveMetrics(r, available));
  if (metric) charts['metric.svg'] = metric;
  const confusion = r.final_eval?.confusion;
  if (confusion?.matrix.length) charts['confusion_matrix.svg'] = confusionHeatmap(confusion.matrix, confusion.labels);
  return charts;
}

/**
 * Entity F1 with precision and recall, plus the best-model metric when it is another score (macro
 * F1, token accuracy) so the marked best point sits on a drawn line. Falls back to the first
 * recorded metric for a history without entity scores.
 */
function entityCurveMetrics(r: TokenClassificationResults, available: string[]): string[] {
  const best = r.best && r.best.metric !== 'eval_loss' ? r.best.metric : undefined;
  const picked = [...new Set([...ENTITY_CURVES, best])].filter((m): m is string => !!m && available.includes(m));
  return picked.length ? picked : available.slice(0, 1);
}

/**
 * Renders a token-classification run's results as one self-contained HTML page: header, cards
 * (best entity F1, token accuracy, time, sentences, windows, tags), learning curves, the best
 * model's entity-type confusion beside its per-type scores and scalar metrics, the history and
 * every hyper-parameter. A run without validation data gets the loss chart only.
 *
 * @param r the content of training_results.json of `bertft train --task token-classification`
 * @returns the HTML document
 */
export function renderTokenReport(r: TokenClassificationResults): string {
  const charts = tokenReportCharts(r);
  return reportPage(r.output_dir, [
    reportHeader(r),
    tokenCards(r),
    learningCurves(r, charts),
    bestEntityModel(r, charts['confusion_matrix.svg']),
    historyTable(r, historyColumns(r)),
    settingsSection(r),
    reportFooter(r),
  ]);
}

function tokenCards(r: TokenClassificationResults): string {
  const epochs = Math.max(0, ...r.history.map((h) => h.epoch));
  const lastStep = Math.max(0, ...r.history.map((h) => h.step));
  const fe = r.final_eval;
  const train = r.windows.train;
  const out = [
    fe ? reportCard('best entity F1', formatNumber(fe.f1), bestDetail(r, epochs)) : reportCard('best model', '—', 'no validation data'),
    fe ? reportCard('token accuracy', formatNumber(fe.token_accuracy), 'best model, validation') : '',
    reportCard('training time', formatDuration(r.train_runtime_s), `${r.train_windows_per_s.toFixed(1)} windows/s`),
    reportCard('training sentences', String(r.train_sentences), r.eval_sentences ? `${r.eval_sentences} validation` : 'no validation'),
    reportCard('training windows', String(train.windows), `${train.sentencesSplit} sentences split, max length ${r.hyperparameters.max_length}`),
    reportCard('epochs', String(epochs), `${lastStep} optimiser steps`),
    reportCard('tags', String(r.labels.length), entityTypesLine(r.labels)),
  ];
  return `<section class="cards">${out.join('')}</section>`;
}

/** Where the best model came from, and by which metric when it was not entity F1. */
function bestDetail(r: TokenClassificationResults, epochs: number): string {
  if (!r.best) return 'final model, validation';
  const chosenBy = r.best.metric === 'f1' ? '' : `, chosen by ${r.best.metric}`;
  return `epoch ${r.best.epoch} of ${epochs}${chosenBy}`;
}

/** The entity types behind the IOB tags (B-PER, I-PER → PER), the first five shown. */
function entityTypesLine(labels: string[]): string {
  const types = [...new Set(labels.filter((l) => l !== 'O').map((l) => l.replace(/^[BIES]-/, '')))];
  const shown = types.slice(0, 5).map((t) => truncate(t, 16, 'middle'));
  return `${types.length} entity types: ${shown.join(', ')}${types.length > 5 ? ', …' : ''}`;
}

/** The entity-type confusion, the per-type table and every scalar metric of the best model. */
function bestEntityModel(r: TokenClassificationResults, confusionSvg: string | undefined): string {
  const fe = r.final_eval;
  if (!fe) return '';
  const where = r.best ? ` (epoch ${r.best.epoch})` : '';
  return `<h2>Best model on the validation set${esc(where)}</h2>
<p>Entities are scored whole (type, start and end), in ${esc(fe.mode)} mode. In the confusion matrix, gold and predicted entities are paired by overlap; the row <code>O</code> counts predicted entities that overlap no gold one, the column <code>O</code> gold entities that were missed.</p>
<div class="row">${confusionSvg ?? ''}<div class="tables">${perTypeTable(fe)}${scalarMetricsTable(fe)}</div></div>`;
}

/** One row per entity type, then the micro average over all types (conlleval's "overall"). */
function perTypeTable(fe: EntityReport): string {
  const row = (name: string, s: Pick<EntityScores, 'precision' | 'recall' | 'f1' | 'support' | 'predicted'>) =>
    `<tr><td class="label">${esc(name)}</td><td>${formatNumber(s.precision)}</td><td>${formatNumber(s.recall)}</td><td>${formatNumber(s.f1)}</td><td>${s.support}</td><td>${s.predicted}</td></tr>`;
  const body = Object.entries(fe.per_type).map(([type, s]) => row(type, s));
  body.push(row('all types (micro)', fe));
  return `<table class="per-type"><tr><th>type</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr>${body.join('')}</table>`;
}

/** The history's metric columns: the best-model metric, entity F1, precision, recall and token accuracy. */
function historyColumns(r: TokenClassificationResults): string[] {
  const recorded = historyMetricNames(r);
  return [...new Set([r.best?.metric, ...ENTITY_CURVES, 'token_accuracy'])].filter((m): m is string => !!m && recorded.includes(m));
}
