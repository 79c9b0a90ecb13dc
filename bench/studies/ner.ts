/**
 * Named entities on WikiANN English (shared/token-datasets/wikiann_en: 20,000 / 10,000 / 10,000
 * sentences, PER/ORG/LOC in IOB2), through the library with `bertft train`'s defaults: the embedded
 * model (models/bert-tiny-en) fine-tuned in full, the same architecture from BERT's random
 * initialisation, and the frozen strategy (a head on fixed features), each over seeds 0–2. Every run
 * trains on train, keeps its best epoch by dev entity F1, and is scored on test (conlleval's default
 * matching, micro F1). Prints a Markdown table (mean ± half-range over the seeds, seconds per epoch)
 * and writes every run's numbers to <out>/ner.jsonl.
 *
 *   node --import tsx bench/studies/ner.ts [--runs full,random,frozen] [--seeds 0,1,2] [--limit N] [--out DIR]
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fineTuneTokens } from '../../src/training/token-fine-tune.js';
import type { FineTuneOptions } from '../../src/training/fine-tune.js';
import { TokenClassifier } from '../../src/token-classifier.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const DATA = join(SHARED_DIR, 'token-datasets', 'wikiann_en');
const args = parseArgs('node --import tsx bench/studies/ner.ts [options]', {
  '--runs': { type: 'list', default: ['full', 'random', 'frozen'], help: 'which runs: full (pretrained), random (same architecture from scratch), frozen' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'seeds of each run' },
  '--limit': { type: 'number', optional: true, help: 'use only the first N training sentences (a quick look)' },
  '--out': { type: 'string', value: 'DIR', default: 'out/ner', help: 'output folder (models and ner.jsonl)' },
});
const outRoot = resolve(args.out);
mkdirSync(outRoot, { recursive: true });

const RUNS: Record<string, Partial<FineTuneOptions>> = {
  full: {},
  random: { init: 'random' },
  frozen: { strategy: 'frozen' },
};

interface Result {
  run: string;
  seed: number;
  test_f1: number;
  test_precision: number;
  test_recall: number;
  dev_f1: number;
  epochs: number;
  best_epoch: number;
  seconds: number;
  seconds_per_epoch: number;
}

const results: Result[] = [];
for (const run of args.runs) {
  const extra = RUNS[run];
  if (!extra) throw new Error(`unknown run ${run}; use ${Object.keys(RUNS).join(', ')}`);
  for (const seed of args.seeds) {
    const output = join(outRoot, `${run}-seed${seed}`);
    const r = await fineTuneTokens({
      train: join(DATA, 'train.conll'),
      validation: join(DATA, 'dev.conll'),
      output,
      seed,
      ...(args.limit !== undefined ? { limit: args.limit } : {}),
      ...extra,
    });
    const tagger = await TokenClassifier.fromPretrained(output);
    const test = await tagger.evaluate(join(DATA, 'test.conll'));
    await tagger.dispose();
    const epochs = Math.max(...r.history.map((h) => h.epoch));
    const result: Result = {
      run,
      seed,
      test_f1: test.f1,
      test_precision: test.precision,
      test_recall: test.recall,
      dev_f1: r.final_eval?.f1 ?? Number.NaN,
      epochs,
      best_epoch: r.best?.epoch ?? epochs,
      seconds: r.train_runtime_s,
      seconds_per_epoch: r.train_runtime_s / epochs,
    };
    results.push(result);
    appendFileSync(join(outRoot, 'ner.jsonl'), `${JSON.stringify({ ...result, at: new Date().toISOString() })}\n`);
    console.error(
      `${run} seed ${seed}: test F1 ${test.f1.toFixed(4)} (dev ${result.dev_f1.toFixed(4)}), ${epochs} epochs, ${result.seconds_per_epoch.toFixed(1)} s/epoch`,
    );
  }
}

const spread = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `${mean.toFixed(4)} ± ${((Math.max(...xs) - Math.min(...xs)) / 2).toFixed(4)}`;
};
console.log('| run | test entity F1 (mean ± half-range) | dev F1 | epochs | s/epoch |');
console.log('|---|---:|---:|---:|---:|');
for (const run of args.runs) {
  const rs = results.filter((r) => r.run === run);
  console.log(
    `| ${run} | ${spread(rs.map((r) => r.test_f1))} | ${spread(rs.map((r) => r.dev_f1))} | ${rs.map((r) => r.epochs).join(', ')} | ${spread(rs.map((r) => r.seconds_per_epoch))} |`,
  );
}
// What the run's machine was, for the table's readers.
console.log(`\nseeds ${args.seeds.join(', ')}; ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}`);
