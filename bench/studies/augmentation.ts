/**
 * Does augmentation help a pre-trained BERT? SST-2 dev accuracy after fine-tuning the embedded model
 * on the first N training sentences, with and without augmented copies (src/augment/), over seeds,
 * mean ± spread (half the range). Runs per size:
 *   none      no augmentation, 3 epochs;
 *   none-5x   no augmentation, 15 epochs: as many optimiser steps as the augmented runs (4 copies
 *             + the original = 5× the examples), so a gain of eda/mlm over none is not just more steps;
 *   eda       --augment eda (α 0.1, 4 copies), 3 epochs;
 *   mlm       --augment mlm (15% of the words, 4 copies, the model's own masked-LM head), 3 epochs.
 * The seed drives the augmentation as well as the training. The recipe (`--recipe pinned`, the
 * default) is written out rather than taken from TRAIN_DEFAULTS, so the comparison stays the same
 * when defaults change: full fine-tuning, LR 1e-4, batch 32, warm-up 10%, no early stopping, max
 * length 128. `--recipe defaults` runs none, eda and mlm with bertft train's defaults instead
 * (training/defaults.ts: LR, epochs from the augmented set's size, early stopping on the dev set).
 *
 * On all 67,349 sentences the pinned recipe's 5× (3 epochs × 5 copies) is hours on a laptop CPU:
 * `--epochs 1 --copies 1` runs none (1 epoch), none-2x (2 epochs: the augmented runs' step count),
 * eda:0.1,1 and mlm:0.15,1 instead.
 *
 *   node --import tsx bench/studies/augmentation.ts [--sizes 500,1000,all] [--seeds 0,1,2]
 *        [--runs none,none-5x,eda,mlm] [--recipe pinned|defaults] [--epochs N --copies N]
 *        [--model DIR] [--out DIR] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fineTune, type FineTuneOptions } from '../../src/training/fine-tune.js';
import { REPO_ROOT, SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const TRAIN = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-train.tsv');
const DEV = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv');
const args = parseArgs('node --import tsx bench/studies/augmentation.ts [options]', {
  '--model': { type: 'string', value: 'DIR', optional: true, help: 'the model to fine-tune (default: the embedded models/bert-tiny-en)' },
  '--sizes': { type: 'list', default: ['500', '1000'], help: 'training-set sizes: numbers of sentences, or all' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'seeds (augmentation and training)' },
  '--runs': { type: 'list', optional: true, help: 'which runs (default: all of none, none-5x, eda, mlm, or their --copies variants)' },
  '--out': { type: 'string', value: 'DIR', default: 'out/augmentation', help: 'output folder' },
  '--recipe': { type: 'string', value: 'pinned|defaults', default: 'pinned', help: "the fixed recipe written out here, or bertft train's defaults" },
  '--epochs': { type: 'number', default: 3, help: 'epochs of the base runs' },
  '--copies': { type: 'number', optional: true, help: 'augmented copies per example (default 4, with none-5x)' },
  '--json': { type: 'string', value: 'FILE', optional: true, help: 'also write the table as JSON' },
});
const { sizes, seeds, runs: pick, epochs: baseEpochs, copies } = args;
const model = args.model ?? resolve(REPO_ROOT, 'models', 'bert-tiny-en');
const outRoot = resolve(args.out);

const defaults = args.recipe === 'defaults';
const recipe: Partial<FineTuneOptions> = defaults
  ? {}
  : { strategy: 'full', learningRate: 1e-4, batchSize: 32, warmupRatio: 0.1, earlyStoppingPatience: 0, maxLength: 128 };
const epochs = (n: number): Partial<FineTuneOptions> => (defaults ? {} : { epochs: n });
const k = copies === undefined ? 5 : copies + 1;
const runs: Array<{ name: string; options: Partial<FineTuneOptions> }> = [
  { name: 'none', options: epochs(baseEpochs) },
  ...(defaults ? [] : [{ name: `none-${k}x`, options: epochs(baseEpochs * k) }]),
  { name: 'eda', options: { ...epochs(baseEpochs), augment: copies === undefined ? 'eda' : `eda:0.1,${copies}` } },
  { name: 'mlm', options: { ...epochs(baseEpochs), augment: copies === undefined ? 'mlm' : `mlm:0.15,${copies}` } },
].filter((r) => !pick || pick.includes(r.name) || (r.name.startsWith('none-') && pick.includes('none-5x')));

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, spread: (Math.max(...xs) - Math.min(...xs)) / 2, values: xs };
};
const fmt = (s: ReturnType<typeof stats>) => `${s.mean.toFixed(4)} ± ${s.spread.toFixed(4)}`;

interface Results {
  hyperparameters: { epochs: number };
  history: { epoch: number; eval_metrics?: { accuracy: number } }[];
  train_runtime_s: number;
  train_examples: number;
}

mkdirSync(outRoot, { recursive: true });
const table: Record<string, unknown>[] = [];
const rows = [
  '| training sentences | run | dev accuracy, last evaluation | best evaluation | per seed (last) | training examples | epochs | s per run |',
  '|---:|---|---:|---:|---|---:|---:|---:|',
];
for (const size of sizes) {
  for (const run of runs) {
    const last: number[] = [];
    const best: number[] = [];
    const secs: number[] = [];
    let examples = 0;
    const ran: number[] = [];
    for (const seed of seeds) {
      const t0 = Date.now();
      const output = join(outRoot, `${size}-${run.name}-s${seed}`);
      const r = (await fineTune(
        {
          model,
          train: TRAIN,
          validation: DEV,
          output,
          seed,
          ...(size === 'all' ? {} : { limit: Number(size) }),
          ...recipe,
          ...run.options,
        } as FineTuneOptions,
        { onLog: (m) => process.stderr.write(`[${size} ${run.name} s${seed}] ${m}\n`) },
      )) as unknown as Results;
      const accs = r.history.flatMap((h) => (h.eval_metrics ? [h.eval_metrics.accuracy] : []));
      last.push(accs.at(-1)!);
      best.push(Math.max(...accs));
      secs.push((Date.now() - t0) / 1000);
      examples = r.train_examples;
      ran.push(r.history.at(-1)?.epoch ?? 0);
    }
    const sl = stats(last);
    const sb = stats(best);
    table.push({ size, run: run.name, recipe: defaults ? 'defaults' : 'pinned', last: sl, best: sb, train_examples: examples, epochs_run: ran, seconds: secs });
    rows.push(
      `| ${size} | ${run.name} | ${fmt(sl)} | ${fmt(sb)} | ${last.map((a) => a.toFixed(4)).join(', ')} | ${examples} | ${ran.join(', ')} | ${(secs.reduce((a, b) => a + b, 0) / secs.length).toFixed(0)} |`,
    );
    process.stdout.write(`${rows.at(-1)}\n`);
    writeFileSync(join(outRoot, 'table.md'), `${rows.join('\n')}\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(table, null, 2)}\n`);
  }
}
process.stdout.write(`\n${rows.join('\n')}\n`);
