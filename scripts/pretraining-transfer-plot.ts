/**
 * Draws SST-2 dev accuracy (1,000 training sentences, full fine-tuning and frozen features) against
 * the pre-training tokens the model had seen, from bench/studies/pretrained-transfer.ts --json outputs of a
 * run's snapshots (folders named tokens-<N>M) and of the from-scratch baseline.
 *
 *   node --import tsx scripts/pretraining-transfer-plot.ts <scratch.json> <out.svg> <snapshots.json>...
 * (models are placed on the x axis by a `tokens-<N>M` folder name; a final model can be named so
 * through a symbolic link).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { lineChart } from '../src/report/line-chart.js';

type Table = Record<string, Record<string, { mean: number; spread: number; values: number[] }>>;
const [scratchFile, out, ...snapFiles] = process.argv.slice(2);
if (!scratchFile || !out || snapFiles.length === 0) throw new Error('usage: pretraining-transfer-plot.ts <scratch.json> <out.svg> <snapshots.json>...');
const snaps = Object.assign({}, ...snapFiles.map((f) => JSON.parse(readFileSync(f, 'utf8')))) as Table;
const scratch = JSON.parse(readFileSync(scratchFile, 'utf8')) as Table;
const tokensOf = (model: string) => Number(/tokens-(\d+)M/.exec(basename(model))?.[1] ?? Number.NaN);
const points = (run: string) =>
  Object.entries(snaps)
    .filter(([m, r]) => Number.isFinite(tokensOf(m)) && r[run])
    .map(([m, r]) => [tokensOf(m), r[run]!.mean] as [number, number])
    .sort((a, b) => a[0] - b[0]);
const xs = [0, ...points('1k-full').map((p) => p[0])];
const base = Object.values(scratch).find((r) => r['1k-scratch'])?.['1k-scratch']?.mean ?? Number.NaN;
const svg = lineChart(
  'SST-2 dev accuracy, 1,000 training sentences',
  'pre-training tokens seen (millions)',
  'dev accuracy',
  [
    { name: 'full fine-tuning', points: points('1k-full'), color: '#4c78a8', dots: true },
    { name: 'frozen encoder, mean pooling', points: points('1k-frozen'), color: '#f58518', dots: true },
    {
      name: 'from scratch (BERT init)',
      points: [
        [Math.min(...xs), base],
        [Math.max(...xs), base],
      ],
      color: '#888',
      dashed: true,
    },
  ],
  640,
  340,
);
writeFileSync(out, svg);
console.log(`wrote ${out}`);
