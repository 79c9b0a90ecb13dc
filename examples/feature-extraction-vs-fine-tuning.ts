/**
 * Feature extraction vs fine-tuning on SST-2 — a notebook-style script.
 *
 *   node --import tsx examples/feature-extraction-vs-fine-tuning.ts [--limit 2000] [--frozen-epochs 10] [--full-epochs 6]
 *
 * It trains two classifiers from the same pretrained BERT on the same SST-2 sentences:
 *   - `frozen`: the encoder stays fixed; one encoder pass turns every sentence into a mean-pooled
 *     vector, and only a linear head trains on those vectors (feature extraction);
 *   - `full`:   every weight trains, with a small learning rate (fine-tuning);
 * then prints dev accuracy per epoch and training time side by side, and writes both learning
 * curves into one SVG.
 *
 * Data and model come from the shared folder next to the repository (`../shared`); set
 * BERTFT_SHARED=/path/to/shared when it lives elsewhere. Everything written goes to
 * `out/examples/` (ignored by git). In your own project, import from 'bertft' instead of '../src/…'.
 */

// %% [1] Imports ---------------------------------------------------------------------------------
// The public API (`fineTune`, `readExamples`, `TextClassifier`) and the dependency-free SVG chart
// that `bertft train --report` uses (`lineChart` is not re-exported by the package index, so it is
// imported from the report module).
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fineTune, readExamples, TextClassifier, type FineTuneOptions, type HistoryEntry } from '../src/index.js';
import { lineChart } from '../src/report/index.js';

// %% [2] Settings ----------------------------------------------------------------------------------
// Small on purpose: 2,000 training sentences, sequences of at most 64 tokens (SST-2 sentences are
// short; the shared model's positions past 127 were never trained anyway). Flags override.
// Fine-tuning gets 6 epochs: with only 63 steps per epoch, 3 epochs (the CLI default) end before
// the encoder has moved far from its pre-trained state (0.53 dev accuracy in our run).
const { values: args } = parseArgs({
  options: {
    limit: { type: 'string', default: '2000' },
    'frozen-epochs': { type: 'string', default: '10' },
    'full-epochs': { type: 'string', default: '6' },
  },
});
const LIMIT = Number(args.limit);
const FROZEN_EPOCHS = Number(args['frozen-epochs']);
const FULL_EPOCHS = Number(args['full-epochs']);

const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.BERTFT_SHARED ?? resolve(REPO, '..', 'shared');
const MODEL = join(SHARED, 'models', 'bert-tiny-imdb-mlm'); // BERT-Tiny shape, pre-trained on IMDB + AG News text
const TRAIN = join(SHARED, 'datasets', 'sst2', 'sentiment-train.tsv');
const DEV = join(SHARED, 'datasets', 'sst2', 'sentiment-dev.tsv');
const OUT = join(REPO, 'out', 'examples');
await mkdir(OUT, { recursive: true });

// %% [3] A look at the data ------------------------------------------------------------------------
// SST-2 files are `sentence<TAB>label` without a header; the reader detects that by itself.
// Label "0" is negative and "1" positive.
const NAMES: Record<string, string> = { '0': 'negative', '1': 'positive' };
const train = readExamples(TRAIN).examples.slice(0, LIMIT);
const dev = readExamples(DEV).examples;
const share = (xs: { label?: unknown }[]) => (xs.filter((e) => e.label === '1').length / xs.length).toFixed(2);
console.log(`train: ${train.length} of the SST-2 training sentences (positive share ${share(train)})`);
console.log(`dev:   ${dev.length} sentences (positive share ${share(dev)}) — the number published results use`);
console.log(`e.g.   "${train[0]!.text.trim()}" → ${NAMES[String(train[0]!.label)]}\n`);

// %% [4] One set of options for both runs ----------------------------------------------------------
// Only `strategy` (and the epochs) differ. Learning rates are the defaults: 1e-2 for the frozen
// linear head, 1e-4 for fine-tuning a compact (hidden ≤ 256) BERT — see docs/concepts.md.
const common = { model: MODEL, train: TRAIN, validation: DEV, limit: LIMIT, maxLength: 64, batchSize: 32, seed: 42 } satisfies Partial<FineTuneOptions>;

interface Run {
  name: string;
  history: HistoryEntry[];
  seconds: number;
  featureSeconds: number;
  featuresCached: boolean;
  best: { epoch: number; value: number } | null;
}

async function train1(name: string, options: Partial<FineTuneOptions>): Promise<Run> {
  const t0 = Date.now();
  let featuresCached = false;
  const results = await fineTune(
    { ...common, output: join(OUT, `sst2-${name}`), ...options },
    {
      // Log lines of interest (where features came from), and every evaluation (here: once per
      // epoch) with dev accuracy as it happens.
      onLog: (m) => {
        if (!m.includes('features')) return;
        featuresCached ||= m.includes('reused from cache');
        console.log(`  [${name}] ${m}`);
      },
      onEvaluate: ({ entry }) =>
        console.log(
          `  [${name}] epoch ${entry.epoch}: dev accuracy ${entry.eval_metrics?.accuracy?.toFixed(4)}  (train loss ${entry.train_loss.toFixed(4)}, ${entry.elapsed_s.toFixed(1)} s)`,
        ),
    },
  );
  return {
    name,
    history: results.history as HistoryEntry[],
    seconds: (Date.now() - t0) / 1000,
    featureSeconds: results.feature_extraction_s as number,
    featuresCached,
    best: results.best as Run['best'],
  };
}

// %% [5] Feature extraction: frozen encoder + mean pooling -----------------------------------------
// One forward pass over train + dev (cached on disk, so a second run skips it), then a linear head
// trains on 128-dimensional vectors: each epoch takes well under a second.
console.log(`frozen (feature extraction, mean pooling), ${FROZEN_EPOCHS} epochs:`);
const frozen = await train1('frozen', { strategy: 'frozen', pooling: 'mean', epochs: FROZEN_EPOCHS });

// %% [6] Fine-tuning: every layer trains ------------------------------------------------------------
// A forward and a backward pass through the whole encoder for every batch, every epoch.
console.log(`\nfull (fine-tuning, pooler), ${FULL_EPOCHS} epochs:`);
const full = await train1('full', { strategy: 'full', epochs: FULL_EPOCHS });

// %% [7] Side by side --------------------------------------------------------------------------------
const runs = [frozen, full];
const epochs = Math.max(...runs.map((r) => r.history.length));
const acc = (r: Run, e: number) => r.history.find((h) => h.epoch === e)?.eval_metrics?.accuracy;
const cell = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(4)).padStart(8);
console.log('\ndev accuracy per epoch');
console.log(`epoch | ${runs.map((r) => r.name.padStart(8)).join(' | ')}`);
for (let e = 1; e <= epochs; e++) console.log(`${String(e).padStart(5)} | ${runs.map((r) => cell(acc(r, e))).join(' | ')}`);
console.log('\n      | best dev acc (epoch) | wall time | of which encoder pass');
for (const r of runs) {
  const best = r.best ? `${r.best.value.toFixed(4)} (${r.best.epoch})` : '–';
  const encoderPass = r.name !== 'frozen' ? '–' : r.featuresCached ? 'reused from cache' : `${r.featureSeconds.toFixed(1)} s`;
  console.log(`${r.name.padEnd(6)}| ${best.padEnd(20)} | ${`${r.seconds.toFixed(1)} s`.padStart(9)} | ${encoderPass}`);
}

// %% [8] Learning curves in one SVG ------------------------------------------------------------------
// `lineChart` takes series of [x, y] points; x is the epoch, y the dev accuracy. The grey line is
// what always answering the majority class would score on dev: the floor both must beat.
const positives = dev.filter((e) => e.label === '1').length;
const majority = Math.max(positives, dev.length - positives) / dev.length;
const svg = lineChart(
  `SST-2 dev accuracy, ${LIMIT} training sentences`,
  'epoch',
  'dev accuracy',
  [
    { name: 'frozen (mean)', color: '#1f77b4', dots: true, points: frozen.history.map((h) => [h.epoch, h.eval_metrics?.accuracy ?? NaN]) },
    { name: 'full fine-tuning', color: '#d62728', dots: true, points: full.history.map((h) => [h.epoch, h.eval_metrics?.accuracy ?? NaN]) },
    {
      name: 'majority class',
      color: '#999999',
      dashed: true,
      points: [
        [1, majority],
        [epochs, majority],
      ],
    },
  ],
  560,
  340,
  { integerX: true },
);
const chart = join(OUT, 'feature-extraction-vs-fine-tuning.svg');
await writeFile(chart, svg);
console.log(`\nlearning curves: ${chart}`);

// %% [9] Use the result ---------------------------------------------------------------------------
// Each run left a Hugging Face model folder; load the fine-tuned one and classify two sentences.
// (examples/classify-service.ts serves this folder over HTTP.)
const classifier = await TextClassifier.fromPretrained(join(OUT, 'sst2-full'));
for (const p of await classifier.predict(['a gripping , beautiful film', 'a dull , lifeless film'])) {
  console.log(`"${p.text}" → ${NAMES[String(p.label)]} (${p.score.toFixed(3)})`);
}
await classifier.dispose();
console.log(`model folders: ${join(OUT, 'sst2-frozen')}, ${join(OUT, 'sst2-full')}`);
