/**
 * Recipes against each other on the English data sets in ../shared/datasets, with the embedded
 * bert-tiny-en: `bertft train` defaults (seeds 0-2), `--autotune` (seed 0), the best of a fixed grid
 * (seed 0), the defaults before the rules (row `before`, not run unless asked), and fastText (wasm, fastText's own supervised defaults, seeds 0-2) on the same splits.
 * Every row: validation (dev) accuracy, which the grid and the search choose on, and accuracy and
 * macro-F1 on held-out test examples (the first 2,000 of the test split; 10% of train where the data set
 * has none), wall time, final training loss, and the entropy of the training labels (a default run
 * should end at or below half of it). Rows are appended to the JSON
 * file as they finish, so a long run that is stopped keeps what it measured; --table prints the
 * Markdown of docs/recipes.md from that file.
 *
 *   node --import tsx bench/studies/recipes.ts [--datasets sst2-1k,trec,sms_spam,emotion,ag_news,sst2]
 *        [--rows defaults,fasttext,grid,autotune,before,fasttext-tuned] [--seeds 0,1,2] [--cap 4000] [--autotune 5m]
 *        [--json bench/results/recipes.jsonl] [--table] [--model DIR]
 *
 * --cap N uses the first N training examples of the large sets (emotion 16k, AG News 9k, SST-2 67k;
 * 0 = all): this 2-core machine cannot train them many times over. ChnSentiCorp needs a Chinese
 * model, and ../shared/models has none, so it is not a row.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { getFastTextClass, getFastTextModule } from 'fasttext.wasm.js';
import { readExamples, stratifiedSplit, type Example } from '../../src/data/index.js';
import { getDatasetSpec } from '../../src/datasets/index.js';
import { classificationReport } from '../../src/metrics/index.js';
import { autotune, parseDuration, type AutotuneSummary } from '../../src/training/autotune.js';
import { fineTune, type FineTuneOptions } from '../../src/training/fine-tune.js';
import { TextClassifier } from '../../src/classifier.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/studies/recipes.ts [options]', {
  '--datasets': {
    type: 'list',
    default: ['sst2-1k', 'trec', 'sms_spam', 'emotion', 'ag_news', 'sst2'],
    help: 'data sets (recipes in datasets/; sst2-1k: the first 1,000 SST-2 sentences)',
  },
  '--rows': { type: 'list', default: ['defaults', 'fasttext', 'grid', 'autotune'], help: 'rows: defaults, fasttext, grid, autotune, before, fasttext-tuned' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'seeds of the defaults and fastText rows' },
  '--cap': { type: 'number', default: 4000, help: 'first N training examples of the large sets; 0 = all' },
  '--autotune': { type: 'string', value: 'DURATION', default: '5m', help: "the autotune row's budget" },
  '--json': { type: 'string', value: 'FILE', default: 'bench/results/recipes.jsonl', help: 'rows are appended here as they finish' },
  '--grid': { type: 'list', optional: true, help: "only these grid points, e.g. 'full lr 1e-4,frozen'" },
  '--table': { type: 'flag', help: 'print the Markdown table of docs/recipes.md from --json, and stop' },
  '--model': { type: 'string', value: 'DIR', optional: true, help: 'the BERT rows start from this model (default: the embedded models/bert-tiny-en)' },
});
const { datasets: DATASETS, rows: ROWS, seeds: SEEDS, cap: CAP, autotune: BUDGET, grid: GRID_ONLY } = args;
const JSON_FILE = resolve(args.json);
const WORK = join(tmpdir(), 'bertft-recipes');

/** The fixed grid: full fine-tuning at three learning rates around the width rule, and the frozen default. */
const GRID: Array<{ name: string; options: Partial<FineTuneOptions> }> = [
  { name: 'full lr 1e-4', options: { learningRate: 1e-4 } },
  { name: 'full lr 3e-4', options: { learningRate: 3e-4 } },
  { name: 'full lr 1e-3', options: { learningRate: 1e-3 } },
  { name: 'frozen', options: { strategy: 'frozen' } },
];

interface Split {
  train: Example[];
  dev: Example[];
  /** Held out from every choice (the grid and the search pick on dev): the first TEST_CAP test examples. */
  test: Example[];
  capped: boolean;
  trainFile: string;
  devFile: string;
}

const TEST_CAP = 2000;

/** Train and validation examples of a bench data set, written as JSONL for fineTune and kept for fastText. */
function loadSplit(name: string): Split {
  const recipeName = name === 'sst2-1k' ? 'sst2' : name;
  const recipe = getDatasetSpec(recipeName);
  const local = recipe.local!;
  const files = (s: 'train' | 'validation' | 'test') => local.splits[s]!.map((f) => join(SHARED_DIR, 'datasets', local.folder, f));
  let train = readExamples(files('train'), local.read).examples;
  let dev: Example[];
  let test: Example[];
  // A split the recipe lacks is carved out of train, stratified, seed 0: 10% for validation, 10% for test.
  if (local.splits.test) test = readExamples(files('test'), local.read).examples;
  else ({ train, validation: test } = stratifiedSplit(train, 0.1, 0));
  if (local.splits.validation) dev = readExamples(files('validation'), local.read).examples;
  else ({ train, validation: dev } = stratifiedSplit(train, 0.1, 0));
  test = test.slice(0, TEST_CAP);
  const limit = name === 'sst2-1k' ? 1000 : CAP > 0 ? CAP : Infinity;
  const capped = name !== 'sst2-1k' && train.length > limit;
  train = train.slice(0, limit);
  // One folder per data set and size: runs of a capped and of the whole set may go on side by side.
  const dir = join(WORK, `${name}-${train.length}`);
  mkdirSync(dir, { recursive: true });
  // Atomic: another bench process may be reading the same split.
  const write = (file: string, xs: Example[]) => {
    writeFileSync(`${file}.${process.pid}.tmp`, `${xs.map((e) => JSON.stringify({ text: e.text, label: String(e.label) })).join('\n')}\n`);
    renameSync(`${file}.${process.pid}.tmp`, file);
  };
  const trainFile = join(dir, 'train.jsonl');
  const devFile = join(dir, 'dev.jsonl');
  write(trainFile, train);
  write(devFile, dev);
  return { train, dev, test, capped, trainFile, devFile };
}

/** Entropy (nats) of the label distribution: the loss of always predicting the class frequencies. */
function labelEntropy(xs: Example[]): number {
  const counts = new Map<string, number>();
  for (const e of xs) counts.set(String(e.label), (counts.get(String(e.label)) ?? 0) + 1);
  return -[...counts.values()].reduce((s, c) => s + (c / xs.length) * Math.log(c / xs.length), 0);
}

interface Row {
  dataset: string;
  row: string;
  seed: number;
  train: number;
  dev: number;
  capped: boolean;
  accuracy: number;
  macro_f1: number;
  test_accuracy: number;
  test_macro_f1: number;
  wall_s: number;
  final_train_loss: number | null;
  label_entropy: number;
  detail?: Record<string, unknown>;
}

function record(row: Row): void {
  mkdirSync(dirname(JSON_FILE), { recursive: true });
  appendFileSync(JSON_FILE, `${JSON.stringify(row)}\n`);
  const loss = row.final_train_loss === null ? '—' : row.final_train_loss.toFixed(3);
  console.log(
    `${row.dataset} | ${row.row} | seed ${row.seed} | dev acc ${row.accuracy.toFixed(4)} F1 ${row.macro_f1.toFixed(4)} | test acc ${row.test_accuracy.toFixed(4)} F1 ${row.test_macro_f1.toFixed(4)} | ${row.wall_s.toFixed(1)} s | loss ${loss} (H/2 ${(row.label_entropy / 2).toFixed(3)})`,
  );
}

function fromResults(r: Record<string, any>): Pick<Row, 'accuracy' | 'macro_f1' | 'final_train_loss'> {
  const history = r.history as Array<{ train_loss: number }>;
  return { accuracy: r.final_eval.accuracy, macro_f1: r.final_eval.macro_f1, final_train_loss: history.at(-1)?.train_loss ?? null };
}

async function bertRun(name: string, split: Split, options: Partial<FineTuneOptions>, seed: number) {
  const t0 = Date.now();
  // One folder per process and run: the test score must come from this run's model.
  const output = join(WORK, name, `out-${process.pid}-${runs++}`);
  const r = (await fineTune({
    train: split.trainFile,
    validation: split.devFile,
    output,
    seed,
    ...(args.model ? { model: args.model } : {}),
    ...options,
  })) as Record<string, any>;
  const wall = (Date.now() - t0) / 1000;
  const test = await testScores(output, split);
  rmSync(output, { recursive: true, force: true });
  return { r, wall, ...test };
}

let runs = 0;

/** The kept model of a run scored on the test examples. */
async function testScores(folder: string, split: Split): Promise<Pick<Row, 'test_accuracy' | 'test_macro_f1'>> {
  const clf = await TextClassifier.fromPretrained(folder);
  try {
    const r = (await clf.evaluate(split.test)) as unknown as { accuracy: number; macro_f1: number };
    return { test_accuracy: r.accuracy, test_macro_f1: r.macro_f1 };
  } finally {
    await clf.dispose();
  }
}

/** fastText's supervised defaults; `tuned` = its tutorial's settings for small data (25 epochs, LR 1.0, word bigrams). */
const FASTTEXT = {
  defaults: { lr: 0.1, dim: 100, epoch: 5, minCount: 1, wordNgrams: 1, loss: 'softmax' },
  tuned: { lr: 1.0, dim: 100, epoch: 25, minCount: 1, wordNgrams: 2, loss: 'softmax' },
};

async function fastText(split: Split, seed: number, settings: Record<string, unknown>) {
  const t0 = Date.now();
  const FastText = await getFastTextClass({ getFastTextModule });
  const ft = new FastText();
  const clean = (t: string) => t.replace(/\s+/g, ' ').trim();
  const text = `${split.train.map((e) => `__label__${String(e.label).replace(/\s+/g, '_')} ${clean(e.text)}`).join('\n')}\n`;
  // fasttext.wasm.js fetches its training file; a data: URL keeps it in memory. One thread.
  // Its progress lines (stderr, from the wasm module) end with the training loss: keep the last.
  const write = process.stderr.write.bind(process.stderr);
  let printed = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((printed += String(chunk)), true)) as typeof process.stderr.write;
  let model: { predict(t: string, k: number, threshold: number): { get(i: number): [number, string]; size(): number } };
  try {
    model = (await ft.trainSupervised(
      `data:text/plain;base64,${Buffer.from(text).toString('base64')}`,
      { ...settings, seed, verbose: 2 },
      () => {},
    )) as typeof model;
  } finally {
    process.stderr.write = write;
  }
  const losses = [...printed.matchAll(/avg\.loss:\s*([0-9.]+)/g)];
  const loss = losses.length ? Number(losses.at(-1)![1]) : null;
  const wall = (Date.now() - t0) / 1000;
  const labels = [...new Set(split.train.map((e) => String(e.label)))].sort();
  const score = (xs: Example[]) => {
    const yTrue = xs.map((e) => labels.indexOf(String(e.label)));
    const yPred = xs.map((e) => {
      const p = model.predict(clean(e.text), 1, 0);
      return p.size() ? labels.findIndex((l) => `__label__${l.replace(/\s+/g, '_')}` === p.get(0)[1]) : 0;
    });
    return classificationReport(yTrue, yPred, labels) as unknown as { accuracy: number; macro_f1: number };
  };
  const dev = score(split.dev);
  const test = score(split.test);
  return { accuracy: dev.accuracy, macro_f1: dev.macro_f1, test_accuracy: test.accuracy, test_macro_f1: test.macro_f1, loss, wall };
}

async function main(): Promise<void> {
  for (const name of DATASETS) {
    const split = loadSplit(name);
    const base = { dataset: name, train: split.train.length, dev: split.dev.length, capped: split.capped, label_entropy: labelEntropy(split.train) };
    console.log(
      `# ${name}: ${split.train.length} train${split.capped ? ` (first ${split.train.length})` : ''}, ${split.dev.length} validation, label entropy ${base.label_entropy.toFixed(3)}`,
    );
    for (const row of ROWS) {
      if (row === 'defaults') {
        for (const seed of SEEDS) {
          const { r, wall, ...test } = await bertRun(name, split, {}, seed);
          record({
            ...base,
            row: 'defaults',
            seed,
            wall_s: wall,
            ...fromResults(r),
            ...test,
            detail: { recipe_rules: r.recipe_rules, best: r.best, evaluations: r.history.length },
          });
        }
      } else if (row === 'before') {
        // The defaults before the rules: 3 epochs at 1e-4, no early stopping (the best epoch still kept).
        for (const seed of SEEDS) {
          const { r, wall, ...test } = await bertRun(name, split, { learningRate: 1e-4, epochs: 3, earlyStoppingPatience: 0 }, seed);
          record({ ...base, row: 'before: 3 epochs, lr 1e-4', seed, wall_s: wall, ...fromResults(r), ...test });
        }
      } else if (row === 'fasttext' || row === 'fasttext-tuned') {
        const tuned = row === 'fasttext-tuned';
        for (const seed of SEEDS) {
          const f = await fastText(split, seed, tuned ? FASTTEXT.tuned : FASTTEXT.defaults);
          record({
            ...base,
            row: tuned ? 'fastText (25 epochs, lr 1.0, bigrams)' : 'fastText (defaults)',
            seed,
            accuracy: f.accuracy,
            macro_f1: f.macro_f1,
            test_accuracy: f.test_accuracy,
            test_macro_f1: f.test_macro_f1,
            wall_s: f.wall,
            final_train_loss: f.loss,
          });
        }
      } else if (row === 'grid') {
        for (const g of GRID.filter((x) => !GRID_ONLY || GRID_ONLY.includes(x.name))) {
          for (const seed of SEEDS) {
            const { r, wall, ...test } = await bertRun(name, split, g.options, seed);
            record({
              ...base,
              row: `grid: ${g.name}`,
              seed,
              wall_s: wall,
              ...fromResults(r),
              ...test,
              detail: { hyperparameters: r.hyperparameters, best: r.best },
            });
          }
        }
      } else if (row === 'autotune') {
        const t0 = Date.now();
        const output = join(WORK, name, `autotune-${process.pid}`);
        const r = (await autotune({
          train: split.trainFile,
          validation: split.devFile,
          output,
          seed: 0,
          budgetSeconds: parseDuration('--autotune', BUDGET),
        })) as Record<string, any>;
        const wall = (Date.now() - t0) / 1000;
        const a = r.autotune as AutotuneSummary;
        record({
          ...base,
          row: `autotune ${BUDGET}`,
          seed: 0,
          wall_s: wall,
          ...fromResults(r),
          ...(await testScores(output, split)),
          detail: { best_trial: a.best_trial, trials: a.trials.map((t) => ({ trial: t.trial, config: t.config, status: t.status, score: t.score })) },
        });
      } else {
        throw new Error(`unknown row ${row}`);
      }
    }
  }
}

/** The Markdown table of docs/recipes.md: mean ± spread (max − min) over seeds where there are several. */
function table(): void {
  const rows = readFileSync(JSON_FILE, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
  const groups = new Map<string, Row[]>();
  // Keyed by training size too: a capped and a whole-set run of one data set are different rows.
  const key = (r: Row) => `${r.dataset}\u0000${r.train}\u0000${r.row}`;
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const stat = (xs: number[], digits: number) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.length > 1 ? `${mean.toFixed(digits)} ± ${((Math.max(...xs) - Math.min(...xs)) / 2).toFixed(digits)}` : mean.toFixed(digits);
  };
  console.log('| data set | train | row | seeds | dev accuracy | test accuracy | test macro-F1 | wall time (s) | final train loss (H/2) | ≤ H/2? |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const g of groups.values()) {
    const r0 = g[0]!;
    const losses = g.map((r) => r.final_train_loss).filter((x): x is number => x !== null);
    const fits = losses.length ? (losses.every((l) => l <= r0.label_entropy / 2) ? 'yes' : 'no') : '—';
    console.log(
      `| ${r0.dataset} | ${r0.train}${r0.capped ? ' (capped)' : ''} | ${r0.row} | ${g.map((r) => r.seed).join(',')} | ${stat(
        g.map((r) => r.accuracy),
        4,
      )} | ${stat(
        g.map((r) => r.test_accuracy),
        4,
      )} | ${stat(
        g.map((r) => r.test_macro_f1),
        4,
      )} | ${stat(
        g.map((r) => r.wall_s),
        1,
      )} | ${losses.length ? stat(losses, 3) : '—'} (${(r0.label_entropy / 2).toFixed(3)}) | ${fits} |`,
    );
  }
  // The issue's two criteria, on dev accuracy (what the grid and the search choose on), means over seeds:
  // defaults within 1 point of the grid's best row, autotune within 0.5 point.
  const mean = (g: Row[]) => g.reduce((s, r) => s + r.accuracy, 0) / g.length;
  const sets = [...new Set(rows.map((r) => `${r.dataset}\u0000${r.train}`))];
  console.log("\n| data set | train | defaults | grid's best (row) | defaults − best | ≤ 1 point? | autotune | autotune − best | ≤ 0.5 point? |");
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const set of sets) {
    const [dataset, train] = set.split('\u0000');
    const of = (prefix: string) => [...groups.values()].filter((g) => `${g[0]!.dataset}\u0000${g[0]!.train}` === set && g[0]!.row.startsWith(prefix));
    const grid = of('grid: ').sort((a, b) => mean(b) - mean(a))[0];
    if (!grid) continue;
    const best = mean(grid);
    const cell = (g: Row[] | undefined, limit: number) => {
      if (!g) return ['—', '—', '—'];
      const d = (mean(g) - best) * 100;
      return [`${mean(g).toFixed(4)}${g.length > 1 ? ` (${g.length} seeds)` : ''}`, `${d >= 0 ? '+' : ''}${d.toFixed(2)}`, d >= -limit ? 'yes' : 'no'];
    };
    const defaults = cell(of('defaults')[0], 1);
    const auto = cell(of('autotune')[0], 0.5);
    console.log(
      `| ${dataset} | ${train} | ${defaults[0]} | ${best.toFixed(4)} (${grid[0]!.row.slice(6)}, ${grid.length} seeds) | ${defaults[1]} | ${defaults[2]} | ${auto[0]} | ${auto[1]} | ${auto[2]} |`,
    );
  }
}

if (args.table) {
  if (!existsSync(JSON_FILE)) throw new Error(`${JSON_FILE}: no results yet`);
  table();
} else {
  await main();
}
