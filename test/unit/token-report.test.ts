/**
 * The token-classification (NER) report: per-type scores on the page, the entity-type confusion,
 * entity-F1 curves with one point per evaluation, the files writeReport leaves, and a run without
 * validation data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EntityScores } from '../../src/metrics/entities.js';
import { renderTokenReport, tokenReportCharts } from '../../src/report/token-classification.js';
import type { TokenClassificationResults, TrainingHistoryPoint } from '../../src/report/types.js';
import { writeReport } from '../../src/report/write.js';

/** Scores from counts, as metrics/entities.ts computes them. */
function scores(support: number, predicted: number, correct: number): EntityScores {
  const precision = correct / predicted;
  const recall = correct / support;
  return { precision, recall, f1: (2 * correct) / (support + predicted), support, predicted, correct };
}

const PER = scores(50, 48, 45);
const ORG = scores(40, 44, 34);
const LOC = scores(30, 28, 25);
const MICRO = scores(120, 120, 104);

/** Three epochs of 20 steps, evaluated after each; entity F1 rising to the final 0.8667. */
function nerHistory(): TrainingHistoryPoint[] {
  const f1 = [0.61, 0.81, MICRO.f1];
  return f1.map((f, i) => ({
    epoch: i + 1,
    step: (i + 1) * 20,
    train_loss: 0.9 / (i + 1),
    learning_rate: 5e-5 * (1 - (i + 1) / 3) + 1e-7,
    eval_loss: 0.5 - i * 0.1,
    eval_metrics: {
      precision: f + 0.01,
      recall: f - 0.01,
      f1: f,
      macro_f1: f - 0.02,
      weighted_f1: f,
      token_accuracy: 0.9 + i * 0.03,
      support: 120,
      predicted: 119 + i,
    },
    elapsed_s: 30 * (i + 1),
  }));
}

function nerResults(): TokenClassificationResults {
  return {
    bertft_version: '0.9.0',
    model: 'bert-base-cased',
    output_dir: 'runs/conll-ner',
    problem_type: 'token_classification',
    labels: ['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER'],
    strategy: 'full',
    engine: 'onnx',
    backend: null,
    hyperparameters: {
      task: 'token-classification',
      model: 'bert-base-cased',
      init: 'pretrained',
      strategy: 'full',
      epochs: 3,
      max_steps: null,
      batch_size: 16,
      gradient_accumulation_steps: 1,
      learning_rate: 5e-5,
      head_lr: null,
      layer_lr_decay: 1,
      warmup_ratio: 0.1,
      weight_decay: 0.01,
      max_grad_norm: 1,
      seed: 42,
      max_length: 128,
      stride: 32,
      label_all_tokens: false,
      entity_mode: 'default',
      eval_steps: 0,
      early_stopping_patience: 3,
      metric_for_best_model: 'f1',
      class_weights: 'none',
      limit: null,
    },
    recipe_rules: {
      learning_rate: { value: 5e-5, source: 'default', rule: 'token classification, full fine-tuning' },
      epochs: { value: 3, source: 'flag', rule: '--epochs 3' },
      early_stopping_patience: { value: 3, source: 'default', rule: 'default patience' },
    },
    history: nerHistory(),
    steps: Array.from({ length: 60 }, (_, i) => ({ step: i + 1, loss: 1.2 * Math.exp(-i / 25) + 0.05, learning_rate: 5e-5 })),
    final_eval: {
      problem_type: 'token_classification',
      mode: 'default',
      precision: MICRO.precision,
      recall: MICRO.recall,
      f1: MICRO.f1,
      macro_precision: (LOC.precision + ORG.precision + PER.precision) / 3,
      macro_recall: (LOC.recall + ORG.recall + PER.recall) / 3,
      macro_f1: (LOC.f1 + ORG.f1 + PER.f1) / 3,
      weighted_f1: (LOC.f1 * 30 + ORG.f1 * 40 + PER.f1 * 50) / 120,
      token_accuracy: 0.96,
      per_type: { LOC, ORG, PER },
      // Rows gold, columns predicted; column sums of the types = their predicted counts (28, 44, 48).
      confusion: {
        labels: ['LOC', 'ORG', 'PER', 'O'],
        matrix: [
          [26, 2, 0, 2],
          [1, 35, 1, 3],
          [0, 2, 46, 2],
          [1, 5, 1, 0],
        ],
      },
      support: 120,
      predicted: 120,
      sentences: 250,
      tokens: 3400,
      eval_loss: 0.3,
    },
    best: { epoch: 3, step: 60, metric: 'f1', value: MICRO.f1 },
    interrupted: false,
    train_runtime_s: 95.5,
    train_sentences: 1000,
    eval_sentences: 250,
    windows: { train: { sentences: 1000, windows: 1012, sentencesSplit: 9 }, validation: { sentences: 250, windows: 252, sentencesSplit: 2 } },
    train_windows_per_s: 31.8,
    started_at: '2026-05-01T10:00:00.000Z',
    finished_at: '2026-05-01T10:01:40.000Z',
  };
}

/** A run trained without validation data: no evaluations, no best model, no final report. */
function unvalidatedResults(): TokenClassificationResults {
  const r = nerResults();
  return {
    ...r,
    history: r.history.map(({ eval_loss: _loss, eval_metrics: _metrics, ...h }) => h),
    final_eval: null,
    best: null,
    eval_sentences: 0,
    windows: { train: r.windows.train, validation: null },
  };
}

/** The SVG polylines of a chart, as [series name, point count]. */
function seriesPoints(svg: string): [string, number][] {
  return [...svg.matchAll(/<polyline class="series"[^>]*points="([^"]*)"><title>([^<]*)<\/title>/g)].map((m) => [m[2]!, m[1]!.trim().split(/\s+/).length]);
}

const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? `<td class="label">${c}</td>` : `<td>${c}</td>`)).join('');

test('the page has one per-type row per entity type with its scores, support and predicted count, then the micro average', () => {
  const html = renderTokenReport(nerResults());
  assert.ok(html.includes(`<tr>${row(['LOC', '0.8929', '0.8333', '0.8621', '30', '28'])}</tr>`), 'LOC row');
  assert.ok(html.includes(`<tr>${row(['ORG', '0.7727', '0.8500', '0.8095', '40', '44'])}</tr>`), 'ORG row');
  assert.ok(html.includes(`<tr>${row(['PER', '0.9375', '0.9000', '0.9184', '50', '48'])}</tr>`), 'PER row');
  assert.ok(html.includes(`<tr>${row(['all types (micro)', '0.8667', '0.8667', '0.8667', '120', '120'])}</tr>`), 'micro row');
  // Types in per_type's (alphabetical) order.
  assert.ok(html.indexOf('>LOC<') < html.indexOf('>ORG<') && html.indexOf('>ORG<') < html.indexOf('>PER<'));
  // The scalar metrics table: token accuracy and eval loss, not the nested per_type or confusion.
  assert.match(html, /<td><code>token_accuracy<\/code><\/td><td>0\.9600<\/td>/);
  assert.match(html, /<td><code>eval_loss<\/code><\/td><td>0\.3000<\/td>/);
  assert.doesNotMatch(html, /<code>per_type<\/code>|<code>confusion<\/code>/);
});

test('header, cards, history and settings: the facts of a NER run', () => {
  const r = nerResults();
  const html = renderTokenReport(r);
  assert.match(html, /<span class="tag">token classification<\/span>/);
  assert.match(html, /<code>bert-base-cased<\/code> → <code>runs\/conll-ner<\/code>/);
  assert.match(html, /<div class="k">best entity F1<\/div><div class="v">0\.8667<\/div><div class="d">epoch 3 of 3<\/div>/);
  assert.match(html, /<div class="k">token accuracy<\/div><div class="v">0\.9600<\/div>/);
  assert.match(html, /31\.8 windows\/s/);
  assert.match(html, /<div class="k">training sentences<\/div><div class="v">1000<\/div><div class="d">250 validation<\/div>/);
  assert.match(html, /<div class="k">training windows<\/div><div class="v">1012<\/div><div class="d">9 sentences split/);
  assert.match(html, /<div class="k">tags<\/div><div class="v">7<\/div><div class="d">3 entity types: LOC, ORG, PER<\/div>/);
  // History: one row per evaluation, the best (epoch 3) highlighted, entity columns.
  assert.match(
    html,
    /<tr><th>epoch<\/th><th>step<\/th><th>train loss<\/th><th>eval loss<\/th><th>f1<\/th><th>precision<\/th><th>recall<\/th><th>token_accuracy<\/th>/,
  );
  assert.equal([...html.matchAll(/<tr class="best"><td>3<\/td><td>60<\/td>/g)].length, 1);
  // Every hyper-parameter, exactly as given.
  for (const key of Object.keys(r.hyperparameters)) assert.ok(html.includes(`<span>${key}</span>`), `setting ${key}`);
  assert.match(html, /<span>learning_rate<\/span><code>5e-5<\/code>/);
  assert.match(html, /bertft 0\.9\.0 · written from training_results\.json/);
  assert.doesNotMatch(html, /<script|src="http|href="http/);
});

test('the confusion matrix is entity type against entity type, O for no entity, with the counts', () => {
  const charts = tokenReportCharts(nerResults());
  assert.deepEqual(Object.keys(charts).sort(), ['confusion_matrix.svg', 'loss.svg', 'metric.svg']);
  const svg = charts['confusion_matrix.svg']!;
  const rowLabels = [...svg.matchAll(/<g class="row-label"><title>([^<]*)<\/title>/g)].map((m) => m[1]);
  const colLabels = [...svg.matchAll(/<g class="col-label"><title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.deepEqual(rowLabels, ['LOC', 'ORG', 'PER', 'O']);
  assert.deepEqual(colLabels, ['LOC', 'ORG', 'PER', 'O']);
  assert.equal([...svg.matchAll(/<g class="cell"/g)].length, 16);
  assert.match(svg, /data-row="1" data-col="1" data-count="35"/);
  assert.match(svg, /data-row="3" data-col="1" data-count="5"/, 'spurious ORG predictions on the O row');
  // The page shows the same chart inline.
  assert.ok(renderTokenReport(nerResults()).includes(svg));
});

test('the learning curves: entity F1, precision and recall with one point per evaluation; the loss per step', () => {
  const charts = tokenReportCharts(nerResults());
  assert.deepEqual(seriesPoints(charts['metric.svg']!), [
    ['f1', 3],
    ['precision', 3],
    ['recall', 3],
  ]);
  assert.match(charts['metric.svg']!, /Validation metrics per epoch/);
  assert.match(charts['metric.svg']!, /best f1/);
  assert.deepEqual(seriesPoints(charts['loss.svg']!), [
    ['train loss (per step)', 60],
    ['train loss (mean)', 3],
    ['eval loss', 3],
  ]);
});

test('several evaluations in one epoch are drawn by step; a best metric other than F1 gets its own line', () => {
  const r = nerResults();
  r.history = r.history.map((h) => ({ ...h, epoch: 1 }));
  r.best = { epoch: 1, step: 40, metric: 'token_accuracy', value: 0.93 };
  const metric = tokenReportCharts(r)['metric.svg']!;
  assert.match(metric, /Validation metrics per evaluation/);
  assert.match(metric, /optimiser step/);
  assert.deepEqual(
    seriesPoints(metric).map(([name]) => name),
    ['f1', 'precision', 'recall', 'token_accuracy'],
  );
  assert.match(renderTokenReport(r), /epoch 1 of 1, chosen by token_accuracy/);
});

test('writeReport writes report.html and the three charts of a NER run, atomically, and removes a stale chart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-token-report-'));
  writeFileSync(join(dir, 'autotune.svg'), '<svg/>');
  const { html, svgs } = await writeReport(dir, nerResults());
  assert.equal(html, join(dir, 'report.html'));
  assert.deepEqual(svgs.map((s) => s.slice(dir.length + 1)).sort(), ['confusion_matrix.svg', 'loss.svg', 'metric.svg']);
  assert.deepEqual(readdirSync(dir).sort(), ['confusion_matrix.svg', 'loss.svg', 'metric.svg', 'report.html']);
  assert.match(readFileSync(join(dir, 'confusion_matrix.svg'), 'utf8'), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
  assert.equal(readFileSync(html, 'utf8'), renderTokenReport(nerResults()));
});

test('a run without validation data renders with the loss chart only, and writeReport leaves only it', async () => {
  const r = unvalidatedResults();
  const charts = tokenReportCharts(r);
  assert.deepEqual(Object.keys(charts), ['loss.svg']);
  assert.deepEqual(
    seriesPoints(charts['loss.svg']!).map(([name]) => name),
    ['train loss (per step)', 'train loss (mean)'],
  );
  const html = renderTokenReport(r);
  assert.match(html, /No validation data: only the training loss is shown\./);
  assert.match(html, /<div class="k">best model<\/div><div class="v">—<\/div><div class="d">no validation data<\/div>/);
  assert.match(html, /no validation/);
  assert.doesNotMatch(html, /Best model on the validation set|class="per-type"|token accuracy/);
  assert.equal([...html.matchAll(/<svg /g)].length, 1);

  const dir = mkdtempSync(join(tmpdir(), 'bertft-token-report-'));
  await writeReport(dir, nerResults());
  await writeReport(dir, r);
  assert.deepEqual(readdirSync(dir).sort(), ['loss.svg', 'report.html']);
});
