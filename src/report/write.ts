import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { reportCharts } from './charts.js';
import { renderReport } from './html.js';
import { pretrainingLossChart, renderPretrainingReport } from './pretraining.js';
import { renderTokenReport, tokenReportCharts } from './token-classification.js';
import { isPretrainingResults, type TrainingResults } from './types.js';

/** Every chart file a report can have; the ones a run does not get are removed. */
export const CHART_FILES = ['loss.svg', 'metric.svg', 'confusion_matrix.svg', 'autotune.svg'] as const;

/**
 * Writes `report.html` and the charts as separate SVG files (`loss.svg`, `metric.svg`,
 * `confusion_matrix.svg`, `autotune.svg`) into `dir`, each atomically (temporary file, then rename), so a reader
 * never sees half a file. A chart this run does not have (no validation data, regression) is
 * deleted, so a stale one from an earlier run in the same folder is not mistaken for this run's.
 * Pre-training results (pretraining_results.json) get their own page and `loss.svg`; a
 * token-classification run gets its entity-level page and charts (token-classification.ts).
 *
 * @returns the paths written
 */
export async function writeReport(dir: string, results: TrainingResults): Promise<{ html: string; svgs: string[] }> {
  await mkdir(dir, { recursive: true });
  const { charts, html: page } = renderAll(results);
  const svgs: string[] = [];
  for (const name of CHART_FILES) {
    const file = join(dir, name);
    const svg = charts[name];
    if (svg === undefined) {
      await rm(file, { force: true });
      continue;
    }
    await writeFileAtomic(file, `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
    svgs.push(file);
  }
  const html = join(dir, 'report.html');
  await writeFileAtomic(html, page);
  return { html, svgs };
}

/** The page and charts of a run's kind: pre-training, token classification or sequence classification. */
function renderAll(results: TrainingResults): { charts: Partial<Record<string, string>>; html: string } {
  if (isPretrainingResults(results)) return { charts: { 'loss.svg': pretrainingLossChart(results) }, html: renderPretrainingReport(results) };
  if (results.problem_type === 'token_classification') return { charts: tokenReportCharts(results), html: renderTokenReport(results) };
  return { charts: reportCharts(results), html: renderReport(results) };
}
