/**
 * Inference speed of bertft against transformers.js on the same exported model, in one run:
 *
 *   predict  TextClassifier.predict (library)      vs  pipeline('text-classification') (transformers.js)
 *   embed    Encoder.embed, mean pooling (library)  vs  pipeline('feature-extraction', { pooling: 'mean' })
 *   CLI      `bertft predict` / `bertft embed` as new processes (start-up included)
 *            vs a node script that loads the pipeline and classifies the same file
 *
 * over SST-2 dev (872 short sentences, /work/shared/datasets/sst2) and IMDB test reviews (long;
 * 500 spread over the file), both sides truncating at the model's trained max_length (the export
 * writes it as model_max_length). transformers.js gets the texts in input order in batches of
 * --batch-size, as a script would call it; bertft gets the whole list. Both use onnxruntime-node
 * with its default threads (every core). In-process rows are the median of --repeat runs after a
 * warm-up, the model already loaded; CLI rows are the median wall time of --cli-repeat processes.
 * The two sides always run alternately, so a change in the (shared) machine's load hits both.
 *
 *   node --import tsx bench/speed/predict-vs-transformersjs.ts --model DIR [--imdb 500] [--batch-size 32]
 *     [--repeat 3] [--cli-repeat 3] [--no-cli] [--no-build] [--q8] [--accuracy-models D0,D1,D2]
 *
 * --q8 adds the int8 rows (bertft --quantize vs transformers.js dtype q8, model_quantized.onnx);
 * --accuracy-models prints SST-2 dev accuracy of each folder in fp32 and int8 (the accuracy cost).
 * DIR is a classifier folder written by `bertft train`. The CLI rows run bin/bertft.js, so the
 * script first rebuilds dist/ (`npm run build`; --no-build skips that).
 * Ratios are transformers.js time ÷ bertft time: above 1 means bertft is faster.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { TextClassifier } from '../../src/classifier.js';
import { Encoder } from '../../src/encoder.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { INFERENCE_BATCH, planBatches } from '../../src/inference/batch-plan.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { tokenizeAll } from '../../src/training/tokenized.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/speed/predict-vs-transformersjs.ts --model DIR [options]', {
  '--model': { type: 'string', value: 'DIR', help: 'a fine-tuned classifier folder; required' },
  '--imdb': { type: 'number', default: 500, help: 'IMDB test reviews (the long texts)' },
  '--batch-size': { type: 'number', default: 32, help: 'batch size on both sides' },
  '--repeat': { type: 'number', default: 3, help: 'timed repeats in process' },
  '--cli-repeat': { type: 'number', default: 3, help: 'timed repeats of the command-line runs' },
  '--no-cli': { type: 'flag', help: 'skip the command-line comparison' },
  '--no-build': { type: 'flag', help: 'do not run npm run build before the command-line runs' },
  '--q8': { type: 'flag', help: 'also compare int8 (quantize) with float32' },
  '--accuracy-models': { type: 'list', optional: true, help: "SST-2 dev accuracy of these folders, float32 and int8 (int8's accuracy cost)" },
});
const { imdb: imdbCount, batchSize, repeat, cliRepeat, q8: withQ8 } = args;
const modelDir = resolve(args.model);

const sst2 = readFileSync(join(SHARED_DIR, 'datasets/sst2/sentiment-dev.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => l.split('\t')[0]!.trim());
const imdbAll = readFileSync(join(SHARED_DIR, 'datasets/imdb/test.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);
// The file is sorted by label; every k-th review gives both labels and the usual length spread.
const step = Math.max(1, Math.floor(imdbAll.length / imdbCount));
const imdb = imdbAll.filter((_, i) => i % step === 0).slice(0, imdbCount);
const sets: [string, string[]][] = [
  [`SST-2 dev (${sst2.length} short)`, sst2],
  [`IMDB test (${imdb.length} long)`, imdb],
];

const work = mkdtempSync(join(tmpdir(), 'bertft-bench-tjs-'));
const clfDir = join(work, 'clf-onnx');
const encDir = join(work, 'enc-onnx');
await exportModel(modelDir, clfDir, { quantize: withQ8 });
await exportModel(modelDir, encDir, { task: 'feature-extraction', quantize: withQ8 });
const maxLength = (JSON.parse(readFileSync(join(clfDir, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number }).model_max_length;
env.allowRemoteModels = false;
env.allowLocalModels = true;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/**
 * Median seconds of `a` and of `b`, run alternately (a, b, a, b, …) after one warm-up each, so a
 * change in the machine's load hits both sides alike (the development machine is shared).
 */
async function timedPair(a: () => Promise<unknown>, b: () => Promise<unknown>, runs: number): Promise<[number, number]> {
  await a(); // warm-up: first-run allocations and kernel choices
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    await a();
    ta.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await b();
    tb.push((performance.now() - t0) / 1000);
  }
  return [median(ta), median(tb)];
}
async function inBatches<T>(texts: string[], fn: (batch: string[]) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < texts.length; i += batchSize) out.push(await fn(texts.slice(i, i + batchSize)));
  return out;
}

// The work each side asks of onnxruntime: padded tokens (rows × longest row, summed over batches).
const tokenizer = await BertTokenizer.fromDir(modelDir);
const padding: string[] = [];
for (const [name, texts] of sets) {
  const { lengths } = await tokenizeAll(tokenizer, texts, undefined, maxLength);
  const real = lengths.reduce((a, b) => a + b, 0);
  const ours = planBatches(lengths, { maxRows: batchSize }).reduce((t, b) => t + b.length * Math.max(...b.map((i) => lengths[i]!)), 0);
  let theirs = 0;
  for (let i = 0; i < lengths.length; i += batchSize) theirs += Math.min(batchSize, lengths.length - i) * Math.max(...lengths.slice(i, i + batchSize));
  padding.push(`| ${name} | ${real} | ${ours} (${(ours / real).toFixed(2)}×) | ${theirs} (${(theirs / real).toFixed(2)}×) |`);
}

type Row = { what: string; set: string; bertft: number; tjs: number };
const rows: Row[] = [];
const dtypes: ('fp32' | 'q8')[] = withQ8 ? ['fp32', 'q8'] : ['fp32'];

for (const dtype of dtypes) {
  const q = dtype === 'q8';
  const clf = await TextClassifier.fromPretrained(modelDir, { offline: true, quantize: q });
  const enc = await Encoder.fromPretrained(modelDir, { offline: true, quantize: q });
  const classify = await pipeline('text-classification', clfDir, { dtype });
  const extract = await pipeline('feature-extraction', encDir, { dtype });
  for (const [name, texts] of sets) {
    // Sanity: the same labels from both sides (scores agree to ~1e-5 in fp32; test/engine/predict-agreement.test.ts).
    const ours = await clf.predict(texts, { batchSize });
    const theirs = (await inBatches(texts, (b) => classify(b))).flat() as { label: string; score: number }[];
    const same = ours.filter((p, i) => p.label === theirs[i]!.label).length;
    process.stderr.write(`${dtype} ${name}: same top label for ${same}/${texts.length} texts\n`);
    const [p1, p2] = await timedPair(
      () => clf.predict(texts, { batchSize }),
      () => inBatches(texts, (b) => classify(b)),
      repeat,
    );
    rows.push({ what: `predict, library (${dtype})`, set: name, bertft: p1, tjs: p2 });
    const [e1, e2] = await timedPair(
      () => enc.embed(texts, { batchSize, maxLength, pooling: 'mean' }),
      () => inBatches(texts, (b) => extract(b, { pooling: 'mean' })),
      repeat,
    );
    rows.push({ what: `embed mean, library (${dtype})`, set: name, bertft: e1, tjs: e2 });
  }
  await clf.dispose();
  await enc.dispose();
  await classify.dispose();
  await extract.dispose();
}

if (!args.noCli) {
  if (!args.noBuild) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const script = join(work, 'tjs.mjs');
  // What a user of transformers.js would write: load the pipeline, read the file, classify in batches.
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { env, pipeline } from ${JSON.stringify(import.meta.resolve('@huggingface/transformers'))};
env.allowRemoteModels = false;
const [task, dir, file, batch, dtype] = process.argv.slice(2);
const texts = readFileSync(file, 'utf8').split('\\n').filter((l) => l.trim() !== '');
const p = await pipeline(task, dir, { dtype });
const out = [];
for (let i = 0; i < texts.length; i += Number(batch)) {
  const r = await p(texts.slice(i, i + Number(batch)), task === 'feature-extraction' ? { pooling: 'mean' } : {});
  out.push(task === 'feature-extraction' ? r.tolist() : r);
}
process.stdout.write(String(out.length) + '\\n');
`,
  );
  const once = (cmd: string[]): number => {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, cmd, { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (res.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${res.stderr}`);
    return (performance.now() - t0) / 1000;
  };
  // Median wall time of each command, the two run alternately.
  const wallPair = (a: string[], b: string[]): [number, number] => {
    const ta: number[] = [];
    const tb: number[] = [];
    for (let r = 0; r < cliRepeat; r++) {
      ta.push(once(a));
      tb.push(once(b));
    }
    return [median(ta), median(tb)];
  };
  const bin = resolve('bin', 'bertft.js');
  for (const dtype of dtypes) {
    const q = dtype === 'q8' ? ['--quantize'] : [];
    for (const [name, texts] of sets) {
      // One line per text: IMDB reviews contain <br /> but no newlines.
      const file = join(work, `texts-${rows.length}.txt`);
      writeFileSync(file, `${texts.map((t) => t.replace(/\s+/g, ' ')).join('\n')}\n`);
      const [p1, p2] = wallPair(
        [bin, 'predict', '-m', modelDir, file, '-q', '-o', '/dev/null', '--batch-size', String(batchSize), ...q],
        [script, 'text-classification', clfDir, file, String(batchSize), dtype],
      );
      rows.push({ what: `CLI predict, start-up included (${dtype})`, set: name, bertft: p1, tjs: p2 });
      const [e1, e2] = wallPair(
        [bin, 'embed', '-m', modelDir, file, '-q', '-o', '/dev/null', '--batch-size', String(batchSize), '--max-length', String(maxLength), ...q],
        [script, 'feature-extraction', encDir, file, String(batchSize), dtype],
      );
      rows.push({ what: `CLI embed mean, start-up included (${dtype})`, set: name, bertft: e1, tjs: e2 });
    }
  }
}

// int8's speed on bertft's side: the fp32 and the int8 graph, run alternately.
const int8Speed: string[] = [];
if (withQ8) {
  const fp32 = await TextClassifier.fromPretrained(modelDir, { offline: true });
  const q8 = await TextClassifier.fromPretrained(modelDir, { offline: true, quantize: true });
  for (const [name, texts] of sets) {
    const [a, b] = await timedPair(
      () => fp32.predict(texts, { batchSize }),
      () => q8.predict(texts, { batchSize }),
      repeat,
    );
    int8Speed.push(`| ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | **${(a / b).toFixed(2)}** |`);
  }
  await fp32.dispose();
  await q8.dispose();
}

// int8's accuracy cost: SST-2 dev accuracy of each --accuracy-models folder (e.g. seeds 0-2), fp32 and q8.
const accuracyModels = args.accuracyModels ?? [];
const accuracy: string[] = [];
if (accuracyModels.length > 0) {
  const dev = join(SHARED_DIR, 'datasets/sst2/sentiment-dev.tsv');
  const acc: Record<'fp32' | 'q8', number[]> = { fp32: [], q8: [] };
  for (const dir of accuracyModels) {
    for (const dtype of ['fp32', 'q8'] as const) {
      const clf = await TextClassifier.fromPretrained(resolve(dir), { offline: true, quantize: dtype === 'q8' });
      acc[dtype].push((await clf.evaluate(dev)).accuracy as number);
      await clf.dispose();
    }
  }
  const stat = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${(100 * mean).toFixed(2)} % (${xs.map((x) => (100 * x).toFixed(2)).join(', ')}; spread ${(100 * (Math.max(...xs) - Math.min(...xs))).toFixed(2)})`;
  };
  const diffs = acc.q8.map((a, i) => a - acc.fp32[i]!);
  accuracy.push(`| fp32 | ${stat(acc.fp32)} |`, `| q8 | ${stat(acc.q8)} |`, `| q8 − fp32 | ${diffs.map((d) => (100 * d).toFixed(2)).join(', ')} points |`);
}

rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `\nbertft vs transformers.js, same export, max_length ${maxLength}, batch ${batchSize}; seconds (median); ratio = transformers.js ÷ bertft\n\n`,
);
process.stdout.write('| measurement | texts | bertft s | transformers.js s | ratio |\n|---|---|---:|---:|---:|\n');
for (const r of rows) process.stdout.write(`| ${r.what} | ${r.set} | ${r.bertft.toFixed(3)} | ${r.tjs.toFixed(3)} | **${(r.tjs / r.bertft).toFixed(2)}** |\n`);
process.stdout.write(
  `\nTokens run through the model (bertft: sorted, ≤ ${batchSize} rows and ≤ ${INFERENCE_BATCH.maxTokens} padded tokens per batch; transformers.js: input order, ${batchSize} per batch)\n\n`,
);
process.stdout.write(`| texts | real tokens | bertft padded | transformers.js padded |\n|---|---:|---:|---:|\n${padding.join('\n')}\n`);
if (int8Speed.length > 0)
  process.stdout.write(
    `\nbertft predict (library), fp32 vs int8 (--quantize), run alternately; ratio = fp32 ÷ int8\n\n| texts | fp32 s | int8 s | ratio |\n|---|---:|---:|---:|\n${int8Speed.join('\n')}\n`,
  );
if (accuracy.length > 0)
  process.stdout.write(
    `\nSST-2 dev accuracy over ${accuracyModels.length} models, mean (each; spread)\n\n| graph | accuracy |\n|---|---|\n${accuracy.join('\n')}\n`,
  );
