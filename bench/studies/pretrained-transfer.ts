/**
 * What pre-training buys: SST-2 train → dev with a pre-trained model against the same architecture
 * from BERT's own random initialisation (`init: 'random'`), over seeds, mean ± spread (half the
 * range). Runs: 1k-full, 1k-frozen (mean pooling), 1k-scratch on the first 1,000 training
 * sentences; full-full and full-scratch on all 67,349.
 *
 *   node --import tsx bench/studies/pretrained-transfer.ts [--model DIR] [--seeds 0,1,2] [--only 1k|full]
 *        [--runs 1k-full,1k-frozen] [--out DIR] [--json FILE]
 *
 * --model defaults to the embedded model (models/bert-tiny-en). With several --model values
 * (comma-separated, e.g. the snapshots of a pre-training run) only the pre-trained runs repeat.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fineTune, type FineTuneOptions } from '../../src/training/fine-tune.js';
import { REPO_ROOT, SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const TRAIN = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-train.tsv');
const DEV = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv');
const args = parseArgs('node --import tsx bench/studies/pretrained-transfer.ts [options]', {
  '--model': { type: 'list', optional: true, help: 'model folders, comma-separated (default: the embedded models/bert-tiny-en)' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'seeds' },
  '--only': { type: 'string', value: '1k|full', optional: true, help: 'only the runs on the first 1,000 sentences, or only those on all' },
  '--runs': { type: 'list', optional: true, help: 'only these runs (1k-full, 1k-frozen, 1k-scratch, full-full, full-scratch)' },
  '--out': { type: 'string', value: 'DIR', default: 'out/pretrained-transfer', help: 'output folder' },
  '--json': { type: 'string', value: 'FILE', optional: true, help: 'also write the table as JSON' },
});
const { seeds, only, runs: pick } = args;
const models = args.model ?? [resolve(REPO_ROOT, 'models', 'bert-tiny-en')];
const outRoot = resolve(args.out);

interface Run {
  name: string;
  group: '1k' | 'full';
  scratch?: boolean;
  options: Partial<FineTuneOptions>;
}

// The reference recipe of bench/studies/transfer.ts, the same for pre-trained and scratch runs.
const recipe = { maxLength: 64, batchSize: 32, warmupRatio: 0.1 };
const runs: Run[] = [
  { name: '1k-full', group: '1k', options: { strategy: 'full', epochs: 10, learningRate: 1e-4, limit: 1000 } },
  { name: '1k-frozen', group: '1k', options: { strategy: 'frozen', pooling: 'mean', epochs: 20, learningRate: 1e-2, limit: 1000, warmupRatio: 0 } },
  { name: '1k-scratch', group: '1k', scratch: true, options: { strategy: 'full', init: 'random', epochs: 10, learningRate: 1e-4, limit: 1000 } },
  { name: 'full-full', group: 'full', options: { strategy: 'full', epochs: 3, learningRate: 1e-4 } },
  { name: 'full-scratch', group: 'full', scratch: true, options: { strategy: 'full', init: 'random', epochs: 3, learningRate: 1e-4 } },
].filter((r) => (!only || r.group === only) && (!pick || pick.includes(r.name))) as Run[];

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, spread: (Math.max(...xs) - Math.min(...xs)) / 2, values: xs };
};

mkdirSync(outRoot, { recursive: true });
const table: Record<string, Record<string, ReturnType<typeof stats>>> = {};
const rows = ['| model | run | dev accuracy, mean ± spread | per seed |', '|---|---|---:|---|'];
for (const [mi, model] of models.entries()) {
  for (const run of runs) {
    if (run.scratch && mi > 0) continue;
    const accs: number[] = [];
    for (const seed of seeds) {
      const output = join(outRoot, `${mi}-${run.name}-s${seed}`);
      const results = (await fineTune({ model, train: TRAIN, validation: DEV, output, seed, ...recipe, ...run.options } as FineTuneOptions, {
        onLog: (m) => process.stderr.write(`[${run.name} s${seed}] ${m}\n`),
      })) as { history: { eval_metrics?: { accuracy: number } }[] };
      // Best epoch, as HF's load_best_model_at_end (and bench/studies/transfer.ts) report it.
      accs.push(Math.max(...results.history.map((h) => h.eval_metrics?.accuracy ?? 0)));
    }
    const s = stats(accs);
    (table[model] ??= {})[run.name] = s;
    rows.push(
      `| ${run.scratch ? 'random init (BERT init)' : model} | ${run.name} | ${s.mean.toFixed(4)} ± ${s.spread.toFixed(4)} | ${accs.map((a) => a.toFixed(4)).join(', ')} |`,
    );
    process.stdout.write(`${rows.at(-1)}\n`);
    writeFileSync(join(outRoot, 'table.md'), `${rows.join('\n')}\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(table, null, 2)}\n`);
  }
}
process.stdout.write(`\n${rows.join('\n')}\n`);
