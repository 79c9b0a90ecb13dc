/**
 * bertft vs PyTorch on this machine, side by side in one run (npm run bench):
 *   1. fine-tuning examples/s, batch 32 × 128, BERT-Tiny / Mini / Small shapes (random weights);
 *   2. inference (feature extraction) examples/s, same shapes;
 *   3. end-to-end training wall time on 8,000 SST-2 sentences (1 epoch, max length 128, random init);
 *   4. masked-LM pre-training tokens/s, batch 128 × 128, BERT-Tiny and Mini shapes (bench/mlm.ts: the
 *      same masked batches on both sides, 15% masking, head on the masked rows only, dropout 0,
 *      AdamW + clipping; the step alone is timed, masking is done beforehand).
 * Each bertft engine is printed with its ratio to PyTorch (≥ 1 means bertft is faster). Throughputs
 * are the median step after two warm-up steps on both sides (bench/torch/bert_bench.py does the same).
 *
 *   npm run bench [-- --shapes tiny,mini --tfjs-shapes tiny --skip-e2e --steps 5]
 *                 [--mlm-shapes tiny,mini --mlm-batch 128 --threads N]
 * A list option set to `none` skips those rows: `--shapes none --skip-e2e` runs the masked-LM rows alone.
 * --threads (masked-LM rows): intra-op threads of onnxruntime and PyTorch alike (default: every core).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { initTfjs } from '../src/engine/tfjs/backend.js';
import { createForwardRunner, type EngineChoice } from '../src/inference/forward.js';
import type { BertConfig } from '../src/models/bert/config.js';
import { namedShape } from './shapes.js';
import { initBertWeights, initClassifier } from '../src/models/bert/init.js';
import type { ClassifierEngine } from '../src/training/engine.js';
import { TfjsClassifierEngine } from '../src/training/tfjs-engine.js';
import { OnnxClassifierEngine } from '../src/engine/onnx/training/onnx-engine.js';
import type { HostTensor } from '../src/models/host-tensor.js';
import { fineTune } from '../src/training/fine-tune.js';
import { readExamples } from '../src/data/index.js';
import { ensureTorch, runTorch, writeE2eIds } from './pytorch.js';
import { bertftMlmThroughput, mlmBatches, writeMlmBatches, type MlmThroughput } from './mlm.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write('npm run bench [-- --shapes tiny,mini,small --tfjs-shapes tiny,mini --skip-e2e --steps 5 --mlm-shapes tiny,mini --mlm-batch 128 --threads N]\n' +
    '  a list set to "none" skips its rows; see the comment at the top of bench/run.ts and docs/benchmarks.md\n');
  process.exit(0);
}
const list = (v: string) => v.split(',').filter((s) => s !== '' && s !== 'none');
const shapes = list(opt('--shapes', 'tiny,mini,small'));
const steps = Number(opt('--steps', '5'));
// TF.js (wasm) needs minutes per BERT-Small step; by default it is timed on the two smaller shapes only.
const tfjsShapes = list(opt('--tfjs-shapes', 'tiny,mini'));
// Masked-LM pre-training at `bertft pretrain`'s default batch (128 × 128).
const mlmShapes = list(opt('--mlm-shapes', 'tiny,mini'));
const mlmBatch = Number(opt('--mlm-batch', '128'));
const threads = Number(opt('--threads', String(availableParallelism())));
const SHARED = process.env.BERTFT_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');


function randomBatch(B: number, S: number) {
  const inputIds = Int32Array.from({ length: B * S }, (_, i) => 1000 + ((i * 7919) % 29000));
  return { batchSize: B, seqLength: S, inputIds, attentionMask: new Int32Array(B * S).fill(1), tokenTypeIds: new Int32Array(B * S) };
}

/** The ONNX training engine (one session.run per optimiser step). */
function onnxEngine(cfg: BertConfig, weights: Map<string, HostTensor>): ClassifierEngine {
  return new OnnxClassifierEngine({ config: cfg, weights, pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 });
}

/** Median step time after two warm-up steps, as bench/torch/bert_bench.py measures PyTorch. */
function median(times: number[]): number {
  return [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
}

async function trainThroughput(engine: ClassifierEngine, names: string[]): Promise<number> {
  engine.setTrainable(new Set(names));
  const batch = { tokens: randomBatch(32, 128), targets: Float32Array.from({ length: 64 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)) };
  const settingsOf = () => ({ lrScale: 1, weightDecay: 0.01 });
  // The first steps build the graph and session and fault in the parameter and moment buffers.
  for (let w = 0; w < 2; w++) await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: w });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i + 2 });
    times.push(performance.now() - t0);
  }
  return 32 / (median(times) / 1000);
}

async function inferThroughput(cfg: BertConfig, weights: Map<string, HostTensor>, engine: EngineChoice): Promise<number> {
  const runner = await createForwardRunner(cfg, weights, { pooling: 'mean', engine });
  const batch = randomBatch(32, 128);
  for (let w = 0; w < 2; w++) await runner.run(batch);
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, steps * 2); i++) {
    const t0 = performance.now();
    await runner.run(batch);
    times.push(performance.now() - t0);
  }
  await runner.dispose();
  return 32 / (median(times) / 1000);
}

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => {
  const r = cells.map((c) => (typeof c === 'number' ? c.toFixed(c >= 100 ? 0 : 2) : c));
  rows.push(r);
  process.stdout.write(r.join('\t') + '\n');
};

process.stdout.write(`${ensureTorch()}\n`);
// PyTorch and onnxruntime first, TF.js last: once TF.js's wasm backend has run, its worker threads
// share the two cores with whatever runs next in this process.
interface ShapeResult { torchTrain: number; onnxTrain: number; torchInfer: number; onnxInfer: number; tfjsTrain?: number; tfjsInfer?: number }
const results = new Map<string, ShapeResult>();
const weightsOf = (cfg: BertConfig) => new Map([...initBertWeights(cfg, 1), ...initClassifier(cfg, 2, 2)]);
for (const name of shapes) {
  const cfg = namedShape(name);
  const weights = weightsOf(cfg);
  const torchTrain = Number((await runTorch(['train-throughput', '--shape', name, '--steps', String(steps)])).examples_per_s);
  const onnx = onnxEngine(cfg, weights);
  const onnxTrain = await trainThroughput(onnx, [...weights.keys()]);
  onnx.dispose();
  const torchInfer = Number((await runTorch(['infer-throughput', '--shape', name, '--steps', String(steps * 2)])).examples_per_s);
  const onnxInfer = await inferThroughput(cfg, weights, 'onnxruntime');
  results.set(name, { torchTrain, onnxTrain, torchInfer, onnxInfer });
  process.stderr.write(`${name}: torch train ${torchTrain.toFixed(1)}, onnx train ${onnxTrain.toFixed(1)}, torch infer ${torchInfer.toFixed(1)}, onnx infer ${onnxInfer.toFixed(1)} ex/s\n`);
}

// Masked-LM pre-training, before TF.js is initialised (see above). Both sides train on the same
// masked batches (written for bert_bench.py), so the decoder sees the same masked count per step.
const MLM_SEQ = 128;
const mlmResults = new Map<string, { torch: Record<string, unknown>; bertft: MlmThroughput }>();
for (const name of mlmShapes) {
  const cfg = namedShape(name);
  const batches = mlmBatches(cfg, mlmBatch, MLM_SEQ, 2 + steps);
  const file = resolve('out/bench', `mlm-batches-${mlmBatch}x${MLM_SEQ}-${steps}.json`);
  writeMlmBatches(batches, file);
  const torch = await runTorch(['mlm', '--shape', name, '--batch', String(mlmBatch), '--seq', String(MLM_SEQ), '--steps', String(steps), '--warmup', '2',
    '--dropout', '0', '--threads', String(threads), '--mlm-batches', file]);
  const bertft = await bertftMlmThroughput(cfg, batches, { warmup: 2, threads });
  mlmResults.set(name, { torch, bertft });
  process.stderr.write(`${name} masked LM ${mlmBatch}×${MLM_SEQ}: torch ${Number(torch.tokens_per_s).toFixed(0)} tokens/s (${Number(torch.ms_per_step).toFixed(0)} ms/step, ` +
    `loss ${Number(torch.first_loss).toFixed(3)} → ${Number(torch.final_loss).toFixed(3)}), bertft ${bertft.tokensPerS.toFixed(0)} tokens/s (${bertft.msPerStep.toFixed(0)} ms/step, ` +
    `loss ${bertft.firstLoss.toFixed(3)} → ${bertft.finalLoss.toFixed(3)}); ${bertft.maskedPerStep.toFixed(0)} masked tokens/step, ${threads} threads\n`);
}

let e2eRow: (string | number)[] | undefined;
if (!argv.includes('--skip-e2e')) {
  // 8,000 SST-2 sentences, tokenized by bertft's tokenizer for both sides.
  const dir = resolve('out/bench');
  mkdirSync(dir, { recursive: true });
  const examples = readExamples(join(SHARED, 'datasets', 'sst2', 'sentiment-train.tsv')).examples.slice(0, 8000);
  const trainFile = join(dir, 'sst2-8k.tsv');
  writeFileSync(trainFile, examples.map((e) => `${e.text}\t${e.label}`).join('\n') + '\n');
  await writeE2eIds(examples.map((e) => e.text), examples.map((e) => String(e.label)), join(SHARED, 'models', 'bert-tiny-imdb-mlm'), 128, join(dir, 'sst2-8k-ids.json'));
  const torchE2e = Number((await runTorch(['train-e2e', '--ids', join(dir, 'sst2-8k-ids.json'), '--shape', 'tiny'])).wall_s);
  const t0 = performance.now();
  // The whole of `bertft train` but the process start: reading, tokenizing, training, writing the folder.
  await fineTune({ model: join(SHARED, 'models', 'bert-tiny-imdb-mlm'), train: trainFile, output: join(dir, 'e2e-model'), init: 'random', epochs: 1, maxLength: 128, batchSize: 32, validationSplit: 0, seed: 0, engine: 'onnxruntime' });
  const bertftE2e = (performance.now() - t0) / 1000;
  // Wall times: the ratio is PyTorch's time ÷ bertft's, so ≥ 1 still means bertft is faster.
  e2eRow = ['e2e train wall s (8k SST-2, tiny)', 'tiny', torchE2e, 'n/a', '–', bertftE2e, torchE2e / bertftE2e];
}

if (shapes.length > 0) await initTfjs('auto');
for (const name of shapes) {
  const cfg = namedShape(name);
  const weights = weightsOf(cfg);
  const r = results.get(name)!;
  if (tfjsShapes.includes(name)) {
    const tfjs = new TfjsClassifierEngine({ config: cfg, weights, pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 });
    r.tfjsTrain = await trainThroughput(tfjs, [...weights.keys()]);
    tfjs.dispose();
  }
  r.tfjsInfer = await inferThroughput(cfg, weights, 'tfjs');
}

row('measurement', 'shape', 'pytorch', 'bertft tfjs', 'tfjs ÷ torch', 'bertft onnxruntime', 'onnx ÷ torch');
for (const [name, r] of results) {
  const t = r.tfjsTrain;
  row('train ex/s', name, r.torchTrain, t === undefined ? 'skipped' : t, t === undefined ? '–' : t / r.torchTrain, r.onnxTrain, r.onnxTrain / r.torchTrain);
  row('inference ex/s', name, r.torchInfer, r.tfjsInfer!, r.tfjsInfer! / r.torchInfer, r.onnxInfer, r.onnxInfer / r.torchInfer);
}
if (e2eRow) row(...e2eRow);
for (const [name, { torch, bertft }] of mlmResults) {
  const t = Number(torch.tokens_per_s);
  row(`MLM pre-train tokens/s (${mlmBatch}×${MLM_SEQ})`, name, t, 'n/a', '–', bertft.tokensPerS, bertft.tokensPerS / t);
}
process.stdout.write('\n| ' + rows[0]!.join(' | ') + ' |\n|' + rows[0]!.map(() => '---').join('|') + '|\n' + rows.slice(1).map((r) => '| ' + r.join(' | ') + ' |').join('\n') + '\n');
