/**
 * The transfer-learning experiments of the reference recipe, run through the library:
 * SST-2 train → dev with the shared pretrained BERT-Tiny-shaped model, against the same
 * architecture trained from random initialisation, on the full training set and on its first
 * 1,000 sentences. Prints a table with the reference numbers (reference.json) beside ours and writes
 * every run's training_results.json under out/transfer/.
 *
 *   node --import tsx bench/studies/transfer.ts [--only 1k|full] [--out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fineTune, type FineTuneOptions } from '../../src/training/fine-tune.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const MODEL = join(SHARED_DIR, 'models', 'bert-tiny-imdb-mlm');
const TRAIN = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-train.tsv');
const DEV = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv');
const args = parseArgs('node --import tsx bench/studies/transfer.ts [options]', {
  '--only': { type: 'string', value: '1k|full', optional: true, help: 'only the runs on the first 1,000 sentences, or only those on all' },
  '--out': { type: 'string', value: 'DIR', default: 'out/transfer', help: "output folder (every run's training_results.json)" },
});
const { only } = args;
const outRoot = resolve(args.out);
const reference = JSON.parse(readFileSync(join(MODEL, 'reference.json'), 'utf8')) as Record<string, { dev_accuracy: number }>;

interface Run {
  name: string;
  ref: string;
  group: '1k' | 'full';
  options: Partial<FineTuneOptions>;
}

const recipe = { maxLength: 64, batchSize: 32, seed: 0, warmupRatio: 0.1 };
const runs: Run[] = [
  { name: '1k-full', ref: 'sst2_1k_full', group: '1k', options: { strategy: 'full', epochs: 10, learningRate: 1e-4, limit: 1000 } },
  { name: '1k-scratch', ref: 'sst2_1k_scratch', group: '1k', options: { strategy: 'full', init: 'random', epochs: 10, learningRate: 1e-4, limit: 1000 } },
  {
    name: '1k-frozen-mean',
    ref: 'sst2_1k_frozen_mean',
    group: '1k',
    options: { strategy: 'frozen', pooling: 'mean', epochs: 20, learningRate: 1e-2, limit: 1000, warmupRatio: 0 },
  },
  {
    name: '1k-frozen-pooler',
    ref: 'sst2_1k_frozen_pooler',
    group: '1k',
    options: { strategy: 'frozen', pooling: 'pooler', epochs: 20, learningRate: 1e-2, limit: 1000, warmupRatio: 0 },
  },
  {
    name: 'full-frozen-mean',
    ref: 'sst2_frozen_mean',
    group: 'full',
    options: { strategy: 'frozen', pooling: 'mean', epochs: 2, learningRate: 1e-2, warmupRatio: 0 },
  },
  { name: 'full-full', ref: 'sst2_full', group: 'full', options: { strategy: 'full', epochs: 3, learningRate: 1e-4 } },
  { name: 'full-scratch', ref: 'sst2_scratch', group: 'full', options: { strategy: 'full', init: 'random', epochs: 3, learningRate: 1e-4 } },
];

mkdirSync(outRoot, { recursive: true });
const rows: string[] = [
  '| run | reference dev acc | bertft dev acc (best epoch) | per-epoch dev acc | train time (s) | examples/s |',
  '|---|---:|---:|---|---:|---:|',
];
for (const run of runs.filter((r) => !only || r.group === only)) {
  const output = join(outRoot, run.name);
  const t0 = Date.now();
  const results = (await fineTune({ model: MODEL, train: TRAIN, validation: DEV, output, ...recipe, ...run.options } as FineTuneOptions, {
    onLog: (m) => process.stderr.write(`[${run.name}] ${m}\n`),
    onEvaluate: ({ entry }) => process.stderr.write(`[${run.name}] epoch ${entry.epoch}: acc ${entry.eval_metrics?.accuracy?.toFixed(4)}\n`),
  })) as { history: { eval_metrics?: { accuracy: number } }[]; final_eval: { accuracy: number } | null; train_runtime_s: number; train_examples_per_s: number };
  const perEpoch = results.history.map((h) => h.eval_metrics?.accuracy?.toFixed(4)).join(', ');
  rows.push(
    `| ${run.name} | ${reference[run.ref]?.dev_accuracy ?? '—'} | ${results.final_eval?.accuracy.toFixed(4)} | ${perEpoch} | ${((Date.now() - t0) / 1000).toFixed(1)} | ${results.train_examples_per_s.toFixed(1)} |`,
  );
  writeFileSync(join(outRoot, 'table.md'), `${rows.join('\n')}\n`);
  process.stdout.write(`${rows[rows.length - 1]}\n`);
}
process.stdout.write(`\n${rows.join('\n')}\n`);
