/**
 * One end-to-end fine-tuning run in a process of its own, for bench/speed/run.ts: the whole of
 * `bertft train` but the process start (reading, tokenizing, building the graphs, training,
 * evaluating when --validation is given, writing the folder), timed, with the process's peak
 * resident memory. Prints one JSON line: {wall_s, peak_rss_mb, steps, eval_accuracy?}.
 *
 *   node --import tsx bench/speed/e2e-child.ts --model DIR --train FILE --output DIR
 *        [--validation FILE] [--lr 1e-4]
 *
 * Its own process, so the peak RSS is that of a training run alone (as PyTorch's ru_maxrss in
 * bench/speed/torch/bert_bench.py), not of whatever the benchmark ran before.
 */
import { readFileSync } from 'node:fs';
import { fineTune } from '../../src/training/fine-tune.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/speed/e2e-child.ts --model DIR --train FILE --output DIR [options]', {
  '--model': { type: 'string', value: 'DIR', help: 'model folder (its weights are ignored: init random); required' },
  '--train': { type: 'string', value: 'FILE', help: 'training file; required' },
  '--output': { type: 'string', value: 'DIR', help: 'output folder; required' },
  '--validation': { type: 'string', value: 'FILE', optional: true, help: 'evaluate on this file after the epoch (default: no evaluation)' },
  '--lr': { type: 'number', value: 'X', default: 1e-4, help: "learning rate (the PyTorch side's)" },
});

/** VmHWM: the peak resident set of this process, in MiB. */
function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

const t0 = performance.now();
const results = await fineTune({
  model: args.model,
  train: args.train,
  output: args.output,
  ...(args.validation !== undefined ? { validation: args.validation } : { validationSplit: 0 }),
  init: 'random',
  epochs: 1,
  maxLength: 128,
  batchSize: 32,
  // The PyTorch side's learning rate and schedule; one epoch, so early stopping never acts.
  learningRate: args.lr,
  earlyStoppingPatience: 0,
  seed: 0,
  engine: 'onnxruntime',
});
const wall = (performance.now() - t0) / 1000;
const acc = (results.final_eval as { accuracy?: number } | null)?.accuracy;
const steps = (results.steps as unknown[]).length;
process.stdout.write(`${JSON.stringify({ wall_s: wall, peak_rss_mb: peakRssMb(), steps, ...(acc === undefined ? {} : { eval_accuracy: acc }) })}\n`);
