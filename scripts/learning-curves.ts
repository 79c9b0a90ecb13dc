/**
 * Draws the transfer-learning curves (dev accuracy per epoch of every run) from the
 * training_results.json files that bench/studies/transfer.ts wrote:
 *   node --import tsx scripts/learning-curves.ts [--title T] out/transfer [more run folders] > docs/images/x.svg
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart, type Series } from '../src/report/line-chart.js';

const COLORS = ['#4c78a8', '#e45756', '#54a24b', '#f58518', '#b279a2', '#72b7b2', '#9d755d'];
const args = process.argv.slice(2);
const title = args.includes('--title') ? args.splice(args.indexOf('--title'), 2)[1]! : 'SST-2 dev accuracy per epoch';
const roots = args;
const series: Series[] = [];
for (const root of roots) {
  for (const run of readdirSync(root).sort()) {
    const file = join(root, run, 'training_results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8')) as { history: { epoch: number; eval_metrics?: { accuracy?: number } }[] };
    series.push({
      name: run,
      color: COLORS[series.length % COLORS.length]!,
      dots: true,
      points: r.history.map((h) => [h.epoch, h.eval_metrics?.accuracy ?? NaN]),
    });
  }
}
process.stdout.write(`${lineChart(title, 'epoch', 'dev accuracy', series, 900, 440)}\n`);
