/**
 * One end-to-end fine-tuning run in a process of its own, for bench/run.ts: the whole of
 * `bertft train` but the process start (reading, tokenizing, building the graphs, training,
 * evaluating when --validation is given, writing the folder), timed, with the process's peak
 * resident memory. Prints one JSON line: {wall_s, peak_rss_mb, steps, eval_accuracy?}.
 *
 *   node --import tsx bench/e2e-child.ts --model DIR --train FILE --output DIR
 *        [--validation FILE] [--lr 1e-4] [--threads N]
 *
 * Its own process, so the peak RSS is that of a training run alone (as PyTorch's ru_maxrss in
 * bench/torch/bert_bench.py), not of whatever the benchmark ran before.
 */
import { readFileSync } from 'node:fs';
import { fineTune } from '../src/training/fine-tune.js';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const need = (name: string): string => {
  const v = opt(name);
  if (v === undefined) {
    process.stderr.write(`bench/e2e-child.ts: ${name} is required\n`);
    process.exit(2);
  }
  return v;
};

/** VmHWM: the peak resident set of this process, in MiB. */
function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

const t0 = performance.now();
const results = await fineTune({
  model: need('--model'),
  train: need('--train'),
  output: need('--output'),
  ...(opt('--validation') ? { validation: opt('--validation') } : { validationSplit: 0 }),
  init: 'random',
  epochs: 1,
  maxLength: 128,
  batchSize: 32,
  // The PyTorch side's learning rate and schedule; one epoch, so early stopping never acts.
  learningRate: Number(opt('--lr') ?? '1e-4'),
  earlyStoppingPatience: 0,
  seed: 0,
  engine: 'onnxruntime',
});
const wall = (performance.now() - t0) / 1000;
const acc = (results.final_eval as { accuracy?: number } | null)?.accuracy;
const steps = (results.steps as unknown[]).length;
process.stdout.write(`${JSON.stringify({ wall_s: wall, peak_rss_mb: peakRssMb(), steps, ...(acc === undefined ? {} : { eval_accuracy: acc }) })}\n`);
