/**
 * `gpu.ts e2e`: one epoch of `bertft train` (fineTune, the function the command runs) on SST-2 sentences from a
 * random-initialised BERT-shaped model, evaluated on the dev set, timed from the call to its return. The data and
 * tokenizer come from a folder (gpu-pack.sh packs them for the device machine, which has no network and no repo):
 *
 *   DATA/sst2-train.tsv   the first 8,000 lines of SST-2 train      DATA/sentiment-dev.tsv   the 872 dev sentences
 *   DATA/tokenizer/       vocab.txt, tokenizer.json, … (bert-base-uncased's vocabulary)
 *
 * The model folder (config of the shape, random weights, the tokenizer) is written first, untimed: fineTune reads
 * a folder, and `init: 'random'` replaces its weights with BERT's N(0, 0.02) init, as HF's does.
 * bench/speed/torch/gpu_e2e.py is the PyTorch side: the same files, batches, schedule and optimiser.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rawFromBertConfig, writeConfig } from '../../../src/checkpoint/config.js';
import { saveBertWeights } from '../../../src/checkpoint/bert-weights.js';
import type { DeviceChoice } from '../../../src/engine/types.js';
import { initBertWeights } from '../../../src/models/bert/init.js';
import { fineTune } from '../../../src/training/fine-tune.js';
import type { FinalEval } from '../../../src/report/types.js';
import { parseArgs } from '../../lib/args.js';
import { namedShape } from '../shapes.js';
import type { E2eRow } from './rows.js';

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

function options(argv: string[]) {
  return parseArgs(
    'gpu.ts e2e --data DIR [options]   (bundled: .device/run.sh e2e --data DIR [options])',
    {
      '--data': { type: 'string', value: 'DIR', help: 'sst2-train.tsv, sentiment-dev.tsv and tokenizer/ (gpu-pack.sh packs them); required' },
      '--shape': { type: 'string', default: 'base', help: 'model shape (bench/speed/shapes.ts)' },
      '--device': { type: 'string', default: 'webgpu', help: 'cpu, webgpu or auto' },
      '--limit': { type: 'number', default: 8000, help: 'training sentences (the first N of the file)' },
      '--dev-limit': { type: 'number', default: 0, help: 'dev sentences (0: all)' },
      '--lr': { type: 'number', optional: true, value: 'X', help: 'peak LR (default 1e-4 up to hidden 256, else 3e-5; gpu_e2e.py has the same rule)' },
      '--budget-s': { type: 'number', default: 0, help: 'stop training after this many seconds (0: none); the row then says interrupted' },
      '--work': { type: 'string', default: join(tmpdir(), 'bertft-gpu-e2e'), help: 'scratch folder (model and output; removed first)' },
    },
    argv,
  );
}

/** A model folder fineTune can read: the shape's config, random weights (ignored with init random), the tokenizer. */
async function modelFolder(dir: string, shape: string, tokenizerDir: string): Promise<void> {
  const cfg = namedShape(shape);
  mkdirSync(dir, { recursive: true });
  await writeConfig(dir, rawFromBertConfig(cfg, { architectures: ['BertModel'] }));
  await saveBertWeights(dir, initBertWeights(cfg, 0, true));
  for (const f of TOKENIZER_FILES) if (existsSync(join(tokenizerDir, f))) copyFileSync(join(tokenizerDir, f), join(dir, f));
}

/** A dev file of the first N lines (N = 0: the file itself). */
function devFile(data: string, limit: number, work: string): string {
  const file = join(data, 'sentiment-dev.tsv');
  if (limit <= 0) return file;
  const out = join(work, 'dev.tsv');
  writeFileSync(out, `${readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, limit).join('\n')}\n`);
  return out;
}

export async function e2eMain(argv: string[]): Promise<void> {
  const o = options(argv);
  const data = resolve(o.data);
  const cfg = namedShape(o.shape);
  const lr = o.lr ?? (cfg.hiddenSize <= 256 ? 1e-4 : 3e-5);
  rmSync(o.work, { recursive: true, force: true });
  const modelDir = join(o.work, `random-${o.shape}`);
  await modelFolder(modelDir, o.shape, join(data, 'tokenizer'));
  const validation = devFile(data, o.devLimit, o.work);
  const abort = new AbortController();
  const timer = o.budgetS > 0 ? setTimeout(() => abort.abort(), o.budgetS * 1000) : undefined;
  timer?.unref();
  process.stderr.write(`gpu e2e: ${o.shape} on ${o.device}, ${o.limit} sentences, lr ${lr} …\n`);
  const t0 = performance.now();
  const results = await fineTune(
    {
      model: modelDir,
      train: join(data, 'sst2-train.tsv'),
      validation,
      output: join(o.work, 'out'),
      limit: o.limit,
      init: 'random',
      epochs: 1,
      maxLength: 128,
      batchSize: 32,
      learningRate: lr,
      // One epoch: early stopping never acts, and no resumable checkpoints mid-epoch (a Base one is ~1.3 GB written).
      earlyStoppingPatience: 0,
      checkpointMinutes: 1e6,
      seed: 0,
      engine: 'onnxruntime',
      device: o.device as DeviceChoice,
      signal: abort.signal,
    },
    { onLog: (m) => process.stderr.write(`${m}\n`) },
  );
  const wallS = (performance.now() - t0) / 1000;
  clearTimeout(timer);
  const steps = results.steps as Array<{ loss: number }>;
  const last = steps.slice(-20);
  const final = results.final_eval as FinalEval | null;
  const row: E2eRow = {
    kind: 'bertft-e2e',
    shape: o.shape,
    device: String(o.device),
    examples: results.train_examples,
    steps: steps.length,
    batch: 32,
    lr,
    wallS: round(wallS),
    trainS: round(results.train_runtime_s),
    examplesPerS: round(results.train_examples_per_s),
    finalLoss: round(steps[steps.length - 1]?.loss ?? Number.NaN, 4),
    lastLossMean: round(last.reduce((s, x) => s + x.loss, 0) / Math.max(1, last.length), 4),
    devAccuracy: final?.accuracy !== undefined ? round(final.accuracy, 4) : null,
    devLoss: final ? round(final.eval_loss, 4) : null,
    ...(results.interrupted ? { interrupted: true } : {}),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
