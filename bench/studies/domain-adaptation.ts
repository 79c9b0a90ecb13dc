/**
 * Unsupervised domain adaptation, measured (docs/domain-adaptation.md): train on labelled source
 * text, adapt with the target domain's unlabelled text, score on held-out labelled target text.
 *
 *   (a) spam: SpamAssassin e-mail (`bertft train`'s default data: its train/validation recipe
 *       splits) → the SMS Spam Collection, split 80/20 stratified (seed 0): the 80 % without labels
 *       is the target text, the 20 % scores.
 *   (b) sentiment: IMDB reviews (a seeded random `--imdb-limit` of the 25,000 training reviews,
 *       10 % held out for validation) → SST-2: `--sst2-limit` training sentences without labels as
 *       target text, the 872 dev sentences score.
 *
 * Methods: source-only, dapt, dann, coral, dapt+dann; seeds 0–2 by default; mean ± spread
 * (half the range) of target accuracy and macro-F1. Model selection uses the source validation
 * split only (no target labels before scoring). For each seed the continued pre-training is run
 * once and shared by dapt and dapt+dann (what `--domain-adaptation dapt[+dann]` does in one
 * command: continuePretraining, then fine-tuning from its output).
 *
 *   node --import tsx bench/studies/domain-adaptation.ts [--tasks spam,sentiment] [--methods source-only,dapt,dann,coral,dapt+dann]
 *        [--seeds 0,1,2] [--max-length 128] [--epochs 2] [--imdb-limit 4000] [--sst2-limit 10000]
 *        [--dapt-steps 300] [--coral-weight X] [--source-limit N (spam: random N training e-mails; 0 = all)] [--out out/domain-adaptation]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stratifiedSplit } from '../../src/data/split.js';
import { Rng } from '../../src/data/random.js';
import { readExamples } from '../../src/data/index.js';
import { resolveDatasetSplit } from '../../src/datasets/index.js';
import { continuePretraining } from '../../src/adaptation/dapt.js';
import { fineTune } from '../../src/training/fine-tune.js';
import { TextClassifier } from '../../src/classifier.js';
import { resolveModelDir } from '../../src/hub/index.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/studies/domain-adaptation.ts [options]', {
  '--tasks': { type: 'list', default: ['spam', 'sentiment'], help: 'tasks: spam (SpamAssassin → SMS), sentiment (IMDB → SST-2)' },
  '--methods': { type: 'list', default: ['source-only', 'dapt', 'dann', 'coral', 'dapt+dann'], help: 'methods' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'seeds' },
  '--max-length': { type: 'number', default: 128, help: 'max length in word pieces' },
  '--epochs': { type: 'number', default: 2, help: 'fine-tuning epochs' },
  '--imdb-limit': { type: 'number', default: 4000, help: 'sentiment: random IMDB training reviews (10 % for validation)' },
  '--sst2-limit': { type: 'number', default: 10000, help: 'sentiment: SST-2 training sentences used as unlabelled target text' },
  '--dapt-steps': { type: 'number', default: 300, help: 'continued pre-training steps' },
  '--source-limit': { type: 'number', default: 0, help: 'spam: random N training e-mails; 0 = all' },
  '--coral-weight': { type: 'number', value: 'X', optional: true, help: "CORAL loss weight (default: fineTune's)" },
  '--out': { type: 'string', value: 'DIR', default: 'out/domain-adaptation', help: 'output folder (results.json there is resumed)' },
  '--model': { type: 'string', value: 'DIR|ID', default: 'bert-tiny-en', help: 'model folder or name' },
});
const { tasks, methods, seeds, maxLength, epochs, imdbLimit, sst2Limit, daptSteps, sourceLimit, coralWeight } = args;
const out = resolve(args.out);
const model = await resolveModelDir(args.model);
const log = (m: string) => process.stderr.write(`${m}\n`);

interface Row {
  label: string;
  text: string;
}
const clean = (t: string) =>
  t
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const tsv = (rows: Row[]) => `label\ttext\n${rows.map((r) => `${r.label}\t${clean(r.text)}`).join('\n')}\n`;
const lines = (rows: Row[]) => `${rows.map((r) => clean(r.text)).join('\n')}\n`;

interface TaskData {
  train: string;
  validation: string;
  targetText: string;
  targetTest: string;
  describe: string;
}

/** Writes a task's four files into `dir`: labelled source train and validation, unlabelled target text, labelled target test. */
function writeTask(dir: string, rows: { sourceTrain: Row[]; sourceValidation: Row[]; target: Row[]; targetTest: Row[] }, describe: string): TaskData {
  const files = {
    train: join(dir, 'source-train.tsv'),
    validation: join(dir, 'source-validation.tsv'),
    targetText: join(dir, 'target.txt'),
    targetTest: join(dir, 'target-test.tsv'),
  };
  writeFileSync(files.train, tsv(rows.sourceTrain));
  writeFileSync(files.validation, tsv(rows.sourceValidation));
  writeFileSync(files.targetText, lines(rows.target));
  writeFileSync(files.targetTest, tsv(rows.targetTest));
  return { ...files, describe };
}

async function spamTask(dir: string): Promise<TaskData> {
  const train = await resolveDatasetSplit('spam_assassin', 'train', { offline: true });
  const validation = await resolveDatasetSplit('spam_assassin', 'validation', { offline: true });
  const rows: Row[] = readFileSync(join(SHARED_DIR, 'datasets', 'sms_spam', 'SMSSpamCollection'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.includes('\t'))
    .map((l) => ({ label: l.slice(0, l.indexOf('\t')), text: l.slice(l.indexOf('\t') + 1) }));
  const split = stratifiedSplit(rows, 0.2, 0);
  // The recipe's file is grouped by class: a --source-limit takes a seeded random subset.
  const emails: Row[] = readExamples(train.sources as string[], train.read).examples.map((e) => ({ label: String(e.label), text: e.text }));
  new Rng(0).shuffle(emails);
  const kept = sourceLimit > 0 ? emails.slice(0, sourceLimit) : emails;
  const held: Row[] = readExamples(validation.sources as string[], validation.read).examples.map((e) => ({ label: String(e.label), text: e.text }));
  return writeTask(
    dir,
    { sourceTrain: kept, sourceValidation: held, target: split.train, targetTest: split.validation },
    `SpamAssassin ${kept.length}${sourceLimit > 0 ? ` (random) of ${emails.length}` : ''} train e-mails (recipe split) → SMS: ${split.train.length} unlabelled target messages, ${split.validation.length} scored`,
  );
}

async function sentimentTask(dir: string): Promise<TaskData> {
  const imdb: Row[] = readFileSync(join(SHARED_DIR, 'datasets', 'imdb', 'train.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { label: number; text: string })
    .map((r) => ({ label: String(r.label), text: r.text }));
  new Rng(0).shuffle(imdb);
  const source = stratifiedSplit(imdb.slice(0, imdbLimit), 0.1, 0);
  const sst = (file: string): Row[] =>
    readFileSync(join(SHARED_DIR, 'datasets', 'sst2', file), 'utf8')
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => ({ text: l.slice(0, l.lastIndexOf('\t')), label: l.slice(l.lastIndexOf('\t') + 1).trim() }));
  const target = sst('sentiment-train.tsv').slice(0, sst2Limit);
  const dev = sst('sentiment-dev.tsv');
  return writeTask(
    dir,
    { sourceTrain: source.train, sourceValidation: source.validation, target, targetTest: dev },
    `IMDB ${source.train.length} train + ${source.validation.length} validation reviews (random ${imdbLimit} of 25,000) → SST-2: ${target.length} unlabelled train sentences, ${dev.length} dev sentences scored`,
  );
}

interface Score {
  accuracy: number;
  macro_f1: number;
  domain_accuracy?: number;
  seconds: number;
}
const results: Record<string, { describe: string; runs: Record<string, Record<number, Score>> }> = {};
const resultFile = join(out, 'results.json');
mkdirSync(out, { recursive: true });
// Runs already measured (same output folder) are kept, so the bench can be resumed or extended.
const previous = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { results: typeof results }).results : {};

for (const task of tasks) {
  const dir = join(out, task);
  mkdirSync(dir, { recursive: true });
  const data = task === 'spam' ? await spamTask(dir) : await sentimentTask(dir);
  log(`${task}: ${data.describe}`);
  results[task] = { describe: data.describe, runs: previous[task]?.runs ?? {} };
  for (const seed of seeds) {
    let daptDir: string | undefined;
    for (const method of methods) {
      if (results[task]!.runs[method]?.[seed]) continue;
      const t0 = Date.now();
      if (method.startsWith('dapt') && daptDir === undefined) {
        const existing = join(dir, `s${seed}`, 'dapt');
        daptDir = existsSync(join(existing, 'model.safetensors'))
          ? existing
          : (
              await continuePretraining({
                model,
                targetFiles: [data.targetText],
                output: join(dir, `s${seed}`),
                maxLength,
                seed,
                steps: daptSteps,
                log: (l) => log(`[${task} s${seed}] ${l}`),
              })
            ).model_dir;
      }
      const objective = method.endsWith('dann') ? 'dann' : method === 'coral' ? 'coral' : undefined;
      const output = join(dir, `s${seed}`, method);
      const r = (await fineTune(
        {
          model: method.startsWith('dapt') ? daptDir : model,
          train: data.train,
          validation: data.validation,
          output,
          strategy: 'full',
          epochs,
          maxLength,
          seed,
          engine: 'onnxruntime',
          ...(objective ? { domainAdaptation: objective, targetText: data.targetText, coralWeight } : {}),
        },
        { onLog: (l) => log(`[${task} s${seed} ${method}] ${l}`) },
      )) as { history: Array<{ domain_accuracy?: number }> };
      const scored = await (await TextClassifier.fromPretrained(output)).evaluate(data.targetTest, {
        read: { format: 'tsv', header: true, textColumn: 'text', labelColumn: 'label' },
      });
      const score: Score = { accuracy: scored.accuracy as number, macro_f1: scored.macro_f1 as number, seconds: (Date.now() - t0) / 1000 };
      const domainAccuracy = r.history.at(-1)?.domain_accuracy;
      if (domainAccuracy !== undefined) score.domain_accuracy = domainAccuracy;
      (results[task]!.runs[method] ??= {})[seed] = score;
      log(`[${task} s${seed} ${method}] target accuracy ${score.accuracy.toFixed(4)}, macro-F1 ${score.macro_f1.toFixed(4)} (${score.seconds.toFixed(0)} s)`);
      writeFileSync(
        resultFile,
        `${JSON.stringify({ settings: { model, maxLength, epochs, sourceLimit, coralWeight, imdbLimit, sst2Limit, daptSteps }, results }, null, 2)}\n`,
      );
    }
  }
}

const stat = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, spread: (Math.max(...xs) - Math.min(...xs)) / 2 });
const f = (xs: number[]) => {
  const s = stat(xs);
  return `${s.mean.toFixed(4)} ± ${s.spread.toFixed(4)}`;
};
for (const [task, { describe, runs }] of Object.entries(results)) {
  process.stdout.write(
    `\n${task}: ${describe}\n\n| method | seeds | target accuracy | target macro-F1 | Δ macro-F1 vs source-only | final domain accuracy |\n|---|---|---:|---:|---:|---:|\n`,
  );
  const baseF1 = runs['source-only'] ? stat(Object.values(runs['source-only']).map((s) => s.macro_f1)).mean : undefined;
  for (const [method, bySeed] of Object.entries(runs)) {
    const scores = Object.values(bySeed);
    const f1 = stat(scores.map((s) => s.macro_f1)).mean;
    const dom = scores.map((s) => s.domain_accuracy).filter((x): x is number => x !== undefined);
    process.stdout.write(
      `| ${method} | ${Object.keys(bySeed).join(',')} | ${f(scores.map((s) => s.accuracy))} | ${f(scores.map((s) => s.macro_f1))} | ${baseF1 === undefined ? '' : (f1 - baseF1 >= 0 ? '+' : '') + (f1 - baseF1).toFixed(4)} | ${dom.length ? f(dom) : ''} |\n`,
    );
  }
}
