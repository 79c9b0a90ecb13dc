/**
 * bertft vs PyTorch on this machine, side by side in one run (npm run bench):
 *   1. fine-tuning examples/s, batch 32 × 128, BERT-Tiny / Mini / Small shapes (random weights);
 *      BERT-Base (12 × 768) on request (--shapes ...,base), at batch 8 × 128 (--base-batch);
 *   2. inference (feature extraction) examples/s, same shapes;
 *   3. end-to-end fine-tuning on 8,000 SST-2 sentences (1 epoch, max length 128, random init), Tiny
 *      and Mini (--e2e-shapes): wall time of training alone, of training + evaluation on the 872
 *      dev sentences, and the peak resident memory of each side's process (bench/speed/e2e-child.ts runs
 *      bertft's in a process of its own);
 *   4. masked-LM pre-training tokens/s, batch 128 × 128, BERT-Tiny and Mini shapes (bench/speed/mlm.ts: the
 *      same masked batches on both sides, 15% masking, head on the masked rows only, dropout 0,
 *      AdamW + clipping; the step alone is timed, masking is done beforehand);
 *   5. token-classification training examples/s, batch 32 × 128, BERT-Tiny and Mini shapes, 9 labels
 *      (bench/speed/token.ts: the ONNX engine with the token objective against PyTorch's BertForTokenClassification,
 *      the same ids and ~70 % labelled positions on both sides, dropout 0.1, AdamW + clipping);
 *   6. DistilBERT-base and ModernBERT-base shapes (--family-shapes; bench/speed/families.ts): a
 *      sequence-classification training step and inference (batch forward with the head, no gradients)
 *      at batch 8 × 128 (--family-batch), the same ids on both sides, the families' published dropout,
 *      --family-warmup untimed then the median of --family-steps timed steps; PyTorch's side is
 *      bert_bench.py's re-implementation of the two families (Debian has no python3-transformers).
 * Each bertft engine is printed with its ratio to PyTorch (≥ 1 means bertft is faster). Throughputs
 * are the median step after two warm-up steps on both sides (bench/speed/torch/bert_bench.py does the same).
 *
 *   npm run bench [-- --shapes tiny,mini --tfjs-shapes tiny --skip-e2e --e2e-shapes tiny,mini --steps 5]
 *                 [--base-batch 8] [--mlm-shapes tiny,mini --mlm-batch 128 --threads N] [--token-shapes tiny,mini --token-labels 9]
 *                 [--family-shapes distilbert-base,modernbert-base --family-batch 8 --family-warmup 2 --family-steps 3]
 * A list option set to `none` skips those rows: `--shapes none --skip-e2e` runs the masked-LM rows alone.
 * The family rows alone: npm run bench -- --shapes none --skip-e2e --mlm-shapes none --token-shapes none
 * --threads (masked-LM, token-classification and family rows): intra-op threads of onnxruntime and PyTorch alike (default: every core).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { initTfjs } from '../../src/engine/tfjs/backend.js';
import { createForwardRunner } from '../../src/inference/forward.js';
import type { EngineChoice } from '../../src/engine/select.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { namedShape } from './shapes.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import type { TrainingEngine } from '../../src/engine/types.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { rawFromBertConfig, writeConfig } from '../../src/checkpoint/config.js';
import { saveBertWeights } from '../../src/checkpoint/bert-weights.js';
import { readExamples } from '../../src/data/index.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';
import { ensureTorch, runTorch, writeE2eIds } from './pytorch.js';
import { bertftMlmThroughput, mlmBatches, writeMlmBatches, type MlmThroughput } from './mlm.js';
import { bertftTokenThroughput, tokenBatch, writeTokenBatch, type TokenThroughput } from './token.js';
import { bertftFamilyInfer, bertftFamilyTrain, FAMILY_SHAPE_NAMES, familyBatch, familyShape, writeFamilyBatch, type FamilyTiming } from './families.js';
import { syntheticClassificationBatch, syntheticTokens } from './synthetic-step.js';

const args = parseArgs('npm run bench [-- options]   (node --import tsx bench/speed/run.ts [options])', {
  '--shapes': { type: 'list', default: ['tiny', 'mini', 'small'], help: 'fine-tuning and inference rows (add base for BERT-Base); none skips them' },
  // TF.js (wasm) needs minutes per BERT-Small step; by default it is timed on the two smaller shapes only.
  '--tfjs-shapes': { type: 'list', default: ['tiny', 'mini'], help: 'shapes the TF.js engine is timed on' },
  '--steps': { type: 'number', default: 5, help: 'timed steps per row' },
  // BERT-Base needs seconds per step on two cores: its rows use a smaller batch (same on both sides).
  '--base-batch': { type: 'number', default: 8, help: "BERT-Base rows' batch size" },
  '--e2e-shapes': { type: 'list', default: ['tiny', 'mini'], help: 'end-to-end fine-tuning rows (8,000 SST-2 sentences)' },
  '--skip-e2e': { type: 'flag', help: 'no end-to-end rows' },
  // Masked-LM pre-training at `bertft pretrain`'s default batch (128 × 128).
  '--mlm-shapes': { type: 'list', default: ['tiny', 'mini'], help: 'masked-LM pre-training rows' },
  '--mlm-batch': { type: 'number', default: 128, help: 'masked-LM batch size' },
  // Token classification (fineTuneTokens' objective) at the sequence rows' batch, 32 × 128.
  '--token-shapes': { type: 'list', default: ['tiny', 'mini'], help: 'token-classification training rows' },
  '--token-labels': { type: 'number', default: 9, help: 'token-classification rows: number of labels' },
  // Other families' base shapes: seconds per step on two cores, hence the small batch and few steps.
  '--family-shapes': {
    type: 'list',
    default: [...FAMILY_SHAPE_NAMES],
    help: `other families' base shapes (${FAMILY_SHAPE_NAMES.join(', ')}): training and inference rows; none skips them`,
  },
  '--family-batch': { type: 'number', default: 8, help: 'family rows: batch size (sequence length 128)' },
  '--family-warmup': { type: 'number', default: 2, help: 'family rows: untimed steps first, each side' },
  '--family-steps': { type: 'number', default: 3, help: 'family rows: timed steps (the median is reported)' },
  '--threads': {
    type: 'number',
    default: availableParallelism(),
    help: 'masked-LM, token-classification and family rows: intra-op threads of onnxruntime and PyTorch alike; default: every core',
  },
});
const { steps, mlmBatch, threads, tokenLabels, familyBatch: FAMILY_BATCH, familyWarmup, familySteps } = args;
// A list set to "none" skips its rows (see the comment at the top and docs/benchmarks.md).
const rowsOf = (list: string[]) => list.filter((s) => s !== 'none');
const shapes = rowsOf(args.shapes);
const tfjsShapes = rowsOf(args.tfjsShapes);
const mlmShapes = rowsOf(args.mlmShapes);
const tokenShapes = rowsOf(args.tokenShapes);
const familyShapes = rowsOf(args.familyShapes);
for (const name of familyShapes) familyShape(name); // an unknown name fails now, not after the other rows
const e2eShapes = args.skipE2e ? [] : rowsOf(args.e2eShapes);
const batchOf = (shape: string) => (shape === 'base' ? args.baseBatch : 32);

/** The ONNX training engine (one session.run per optimiser step). */
function onnxEngine(cfg: BertConfig, weights: Map<string, HostTensor>): TrainingEngine {
  return new OnnxTrainingEngine({
    config: cfg,
    weights,
    objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
  });
}

/** Median step time after two warm-up steps, as bench/speed/torch/bert_bench.py measures PyTorch. */
function median(times: number[]): number {
  return [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
}

async function trainThroughput(engine: TrainingEngine, names: string[], B = 32): Promise<number> {
  engine.setTrainable(new Set(names));
  const batch = syntheticClassificationBatch(B, 128);
  const settingsOf = () => ({ lrScale: 1, weightDecay: 0.01 });
  // The first steps build the graph and session and fault in the parameter and moment buffers.
  for (let w = 0; w < 2; w++) await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: w });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i + 2 });
    times.push(performance.now() - t0);
  }
  return B / (median(times) / 1000);
}

async function inferThroughput(cfg: BertConfig, weights: Map<string, HostTensor>, engine: EngineChoice, B = 32): Promise<number> {
  const runner = await createForwardRunner(cfg, weights, { pooling: 'mean', engine });
  const batch = syntheticTokens(B, 128);
  for (let w = 0; w < 2; w++) await runner.run(batch);
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, steps * 2); i++) {
    const t0 = performance.now();
    await runner.run(batch);
    times.push(performance.now() - t0);
  }
  await runner.dispose();
  return B / (median(times) / 1000);
}

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => {
  const r = cells.map((c) => (typeof c === 'number' ? c.toFixed(c >= 100 ? 0 : 2) : c));
  rows.push(r);
  process.stdout.write(`${r.join('\t')}\n`);
};

process.stdout.write(`${ensureTorch()}\n`);
// PyTorch and onnxruntime first, TF.js last: once TF.js's wasm backend has run, its worker threads
// share the two cores with whatever runs next in this process.
interface ShapeResult {
  torchTrain: number;
  onnxTrain: number;
  torchInfer: number;
  onnxInfer: number;
  tfjsTrain?: number;
  tfjsInfer?: number;
}
const results = new Map<string, ShapeResult>();
const weightsOf = (cfg: BertConfig) => new Map([...initBertWeights(cfg, 1), ...initClassifierHead(cfg, 2, 2)]);
for (const name of shapes) {
  const cfg = namedShape(name);
  const weights = weightsOf(cfg);
  const B = String(batchOf(name));
  const torchTrain = Number((await runTorch(['train-throughput', '--shape', name, '--batch', B, '--steps', String(steps)])).examples_per_s);
  const onnx = onnxEngine(cfg, weights);
  const onnxTrain = await trainThroughput(onnx, [...weights.keys()], batchOf(name));
  onnx.dispose();
  const torchInfer = Number((await runTorch(['infer-throughput', '--shape', name, '--batch', B, '--steps', String(steps * 2)])).examples_per_s);
  const onnxInfer = await inferThroughput(cfg, weights, 'onnxruntime', batchOf(name));
  results.set(name, { torchTrain, onnxTrain, torchInfer, onnxInfer });
  process.stderr.write(
    `${name}: torch train ${torchTrain.toFixed(1)}, onnx train ${onnxTrain.toFixed(1)}, torch infer ${torchInfer.toFixed(1)}, onnx infer ${onnxInfer.toFixed(1)} ex/s\n`,
  );
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
  const torch = await runTorch([
    'mlm',
    '--shape',
    name,
    '--batch',
    String(mlmBatch),
    '--seq',
    String(MLM_SEQ),
    '--steps',
    String(steps),
    '--warmup',
    '2',
    '--dropout',
    '0',
    '--threads',
    String(threads),
    '--mlm-batches',
    file,
  ]);
  const bertft = await bertftMlmThroughput(cfg, batches, { warmup: 2, threads });
  mlmResults.set(name, { torch, bertft });
  process.stderr.write(
    `${name} masked LM ${mlmBatch}×${MLM_SEQ}: torch ${Number(torch.tokens_per_s).toFixed(0)} tokens/s (${Number(torch.ms_per_step).toFixed(0)} ms/step, ` +
      `loss ${Number(torch.first_loss).toFixed(3)} → ${Number(torch.final_loss).toFixed(3)}), bertft ${bertft.tokensPerS.toFixed(0)} tokens/s (${bertft.msPerStep.toFixed(0)} ms/step, ` +
      `loss ${bertft.firstLoss.toFixed(3)} → ${bertft.finalLoss.toFixed(3)}); ${bertft.maskedPerStep.toFixed(0)} masked tokens/step, ${threads} threads\n`,
  );
}

// Token classification, also before TF.js. Both sides train on the same batch (written for
// bert_bench.py): the same ids and the same labelled positions, so the same loss work per step.
const TOKEN_BATCH = 32;
const TOKEN_SEQ = 128;
const tokenResults = new Map<string, { torch: Record<string, unknown>; bertft: TokenThroughput }>();
if (tokenShapes.length > 0) {
  const bench = tokenBatch(TOKEN_BATCH, TOKEN_SEQ, tokenLabels);
  const file = resolve('out/bench', `token-batch-${TOKEN_BATCH}x${TOKEN_SEQ}-${tokenLabels}.json`);
  writeTokenBatch(bench, file);
  for (const name of tokenShapes) {
    const cfg = namedShape(name);
    const torch = await runTorch([
      'train-throughput',
      '--task',
      'token',
      '--shape',
      name,
      '--batch',
      String(TOKEN_BATCH),
      '--seq',
      String(TOKEN_SEQ),
      '--num-labels',
      String(tokenLabels),
      '--token-batch',
      file,
      '--steps',
      String(steps),
      '--warmup',
      '2',
      '--lr',
      '1e-4',
      '--threads',
      String(threads),
    ]);
    const bertft = await bertftTokenThroughput(cfg, bench, { warmup: 2, steps, threads });
    tokenResults.set(name, { torch, bertft });
    process.stderr.write(
      `${name} token classification ${TOKEN_BATCH}×${TOKEN_SEQ}, ${tokenLabels} labels: torch ${Number(torch.ms_per_step).toFixed(0)} ms/step ` +
        `(best ${Number(torch.ms_per_step_min).toFixed(0)}), bertft ${bertft.msPerStep.toFixed(0)} ms/step (best ${bertft.msPerStepMin.toFixed(0)}, ` +
        `loss ${bertft.firstLoss.toFixed(3)} → ${bertft.finalLoss.toFixed(3)}); ${bertft.labelledPerStep} labelled tokens/step ` +
        `(torch ${String(torch.labelled_per_step)}), ${threads} threads\n`,
    );
  }
}

// DistilBERT-base and ModernBERT-base shapes, also before TF.js: a training step and a batch forward on
// both sides, the same ids (written for bert_bench.py --ids-batch).
const FAMILY_SEQ = 128;
const familyResults = new Map<string, { torchTrain: Record<string, unknown>; torchInfer: Record<string, unknown>; train: FamilyTiming; infer: FamilyTiming }>();
if (familyShapes.length > 0) {
  const bench = familyBatch(FAMILY_BATCH, FAMILY_SEQ);
  const file = resolve('out/bench', `family-batch-${FAMILY_BATCH}x${FAMILY_SEQ}.json`);
  writeFamilyBatch(bench, file);
  const timing = { warmup: familyWarmup, steps: familySteps, threads };
  for (const name of familyShapes) {
    const { cfg, pooling, label } = familyShape(name);
    const torchArgs = (mode: string) => [
      mode,
      '--shape',
      name,
      '--batch',
      String(FAMILY_BATCH),
      '--seq',
      String(FAMILY_SEQ),
      '--ids-batch',
      file,
      '--steps',
      String(familySteps),
      '--warmup',
      String(familyWarmup),
      '--lr',
      '1e-4',
      '--threads',
      String(threads),
    ];
    process.stderr.write(`${label}, ${FAMILY_BATCH}×${FAMILY_SEQ}, ${pooling} pooling: timing…\n`);
    const torchTrain = await runTorch(torchArgs('train-throughput'));
    const train = await bertftFamilyTrain(cfg, pooling, bench.batch, timing);
    const torchInfer = await runTorch(torchArgs('infer-throughput'));
    const infer = await bertftFamilyInfer(cfg, pooling, bench.batch, timing);
    familyResults.set(name, { torchTrain, torchInfer, train, infer });
    const ms = (x: unknown) => Number(x).toFixed(0);
    process.stderr.write(
      `${name}: train torch ${ms(torchTrain.ms_per_step)} ms/step (best ${ms(torchTrain.ms_per_step_min)}), bertft ${ms(train.msPerStep)} (best ${ms(train.msPerStepMin)}, ` +
        `loss ${train.firstLoss?.toFixed(3)} → ${train.finalLoss?.toFixed(3)}) → ${(Number(torchTrain.ms_per_step) / train.msPerStep).toFixed(2)}×; ` +
        `inference torch ${ms(torchInfer.ms_per_step)} ms, bertft ${ms(infer.msPerStep)} → ${(Number(torchInfer.ms_per_step) / infer.msPerStep).toFixed(2)}×; ` +
        `${threads} threads, load ${Number(torchInfer.load_avg_1m).toFixed(1)}\n`,
    );
  }
}

/** A random-initialised model folder of a bench shape (config, weights, the shared tokenizer linked in). */
async function randomModelDir(name: string, tokenizerDir: string): Promise<string> {
  const dir = resolve('out/bench', `random-${name}`);
  const cfg = namedShape(name);
  mkdirSync(dir, { recursive: true });
  await writeConfig(dir, rawFromBertConfig(cfg, { architectures: ['BertModel'] }));
  await saveBertWeights(dir, initBertWeights(cfg, 0, true));
  // Linked, not copied: the tokenizer files stay in ../shared.
  for (const f of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (existsSync(join(tokenizerDir, f)) && !existsSync(join(dir, f))) symlinkSync(join(tokenizerDir, f), join(dir, f));
  }
  return dir;
}

/** bench/speed/e2e-child.ts in a fresh process: {wall_s, peak_rss_mb, steps, eval_accuracy?}. */
function bertftE2e(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'e2e-child.ts'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`bench/speed/e2e-child.ts ${args.join(' ')} failed (exit ${r.status}): ${r.stdout.slice(-300)}`);
  return JSON.parse(line) as Record<string, number>;
}

const e2eRows: (string | number)[][] = [];
if (e2eShapes.length > 0) {
  // 8,000 SST-2 sentences (and the 872 dev sentences), tokenized by bertft's tokenizer for PyTorch.
  const dir = resolve('out/bench');
  mkdirSync(dir, { recursive: true });
  const tokenizerDir = join(SHARED_DIR, 'models', 'bert-tiny-imdb-mlm');
  const examples = readExamples(join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-train.tsv')).examples.slice(0, 8000);
  const devFile = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv');
  const dev = readExamples(devFile).examples;
  const trainFile = join(dir, 'sst2-8k.tsv');
  writeFileSync(trainFile, `${examples.map((e) => `${e.text}\t${e.label}`).join('\n')}\n`);
  await writeE2eIds(examples, tokenizerDir, 128, join(dir, 'sst2-8k-ids.json'));
  await writeE2eIds(dev, tokenizerDir, 128, join(dir, 'sst2-dev-ids.json'));
  for (const name of e2eShapes) {
    // bert-tiny-imdb-mlm is BERT-Tiny shaped; --init random ignores its weights either way.
    const model = name === 'tiny' ? tokenizerDir : await randomModelDir(name, tokenizerDir);
    const torch = await runTorch(['train-e2e', '--ids', join(dir, 'sst2-8k-ids.json'), '--eval-ids', join(dir, 'sst2-dev-ids.json'), '--shape', name]);
    const common = ['--model', model, '--train', trainFile, '--lr', String(torch.lr)];
    const plain = bertftE2e([...common, '--output', join(dir, `e2e-${name}`)]);
    const withEval = bertftE2e([...common, '--validation', devFile, '--output', join(dir, `e2e-${name}-eval`)]);
    const torchWall = Number(torch.wall_s);
    const torchWithEval = torchWall + Number(torch.eval_s);
    process.stderr.write(
      `${name} e2e: torch ${torchWall.toFixed(2)} s (+ eval ${Number(torch.eval_s).toFixed(2)} s, acc ${Number(torch.eval_accuracy).toFixed(3)}, peak ${Number(torch.peak_rss_mb).toFixed(0)} MB); ` +
        `bertft ${plain.wall_s!.toFixed(2)} s (peak ${plain.peak_rss_mb!.toFixed(0)} MB), with eval ${withEval.wall_s!.toFixed(2)} s (acc ${withEval.eval_accuracy?.toFixed(3)})\n`,
    );
    // Wall times and memory: the ratio is PyTorch's ÷ bertft's, so ≥ 1 still means bertft is better.
    e2eRows.push(['e2e train wall s (8k SST-2)', name, torchWall, 'n/a', '–', plain.wall_s!, torchWall / plain.wall_s!]);
    e2eRows.push(['e2e train+eval wall s (8k SST-2, 872 dev)', name, torchWithEval, 'n/a', '–', withEval.wall_s!, torchWithEval / withEval.wall_s!]);
    e2eRows.push(['e2e peak RSS MB', name, Number(torch.peak_rss_mb), 'n/a', '–', plain.peak_rss_mb!, Number(torch.peak_rss_mb) / plain.peak_rss_mb!]);
  }
}

if (shapes.length > 0) await initTfjs('auto');
for (const name of shapes) {
  const cfg = namedShape(name);
  const weights = weightsOf(cfg);
  const r = results.get(name)!;
  if (tfjsShapes.includes(name)) {
    const tfjs = new TfjsTrainingEngine({
      config: cfg,
      weights,
      objective: { kind: 'classification', pooling: 'pooler', problem: 'single_label_classification', numOutputs: 2 },
    });
    r.tfjsTrain = await trainThroughput(tfjs, [...weights.keys()], batchOf(name));
    tfjs.dispose();
  }
  // TF.js inference on BERT-Base would take minutes; the other shapes are always timed.
  if (name !== 'base' || tfjsShapes.includes(name)) r.tfjsInfer = await inferThroughput(cfg, weights, 'tfjs', batchOf(name));
}

row('measurement', 'shape', 'pytorch', 'bertft tfjs', 'tfjs ÷ torch', 'bertft onnxruntime', 'onnx ÷ torch');
for (const [name, r] of results) {
  const t = r.tfjsTrain;
  const i = r.tfjsInfer;
  const shape = `${name} (${batchOf(name)}×128)`;
  row('train ex/s', shape, r.torchTrain, t === undefined ? 'skipped' : t, t === undefined ? '–' : t / r.torchTrain, r.onnxTrain, r.onnxTrain / r.torchTrain);
  row(
    'inference ex/s',
    shape,
    r.torchInfer,
    i === undefined ? 'skipped' : i,
    i === undefined ? '–' : i / r.torchInfer,
    r.onnxInfer,
    r.onnxInfer / r.torchInfer,
  );
}
for (const e of e2eRows) row(...e);
for (const [name, { torch, bertft }] of mlmResults) {
  const t = Number(torch.tokens_per_s);
  row(`MLM pre-train tokens/s (${mlmBatch}×${MLM_SEQ})`, name, t, 'n/a', '–', bertft.tokensPerS, bertft.tokensPerS / t);
}
// examples/s ratio = PyTorch's ms per step ÷ bertft's.
for (const [name, { torch, bertft }] of tokenResults) {
  const t = Number(torch.examples_per_s);
  row(`token-cls train ex/s (${tokenLabels} labels)`, `${name} (${TOKEN_BATCH}×${TOKEN_SEQ})`, t, 'n/a', '–', bertft.examplesPerS, bertft.examplesPerS / t);
}
for (const [name, { torchTrain, torchInfer, train, infer }] of familyResults) {
  const shape = `${name} (${FAMILY_BATCH}×${FAMILY_SEQ})`;
  const t = Number(torchTrain.examples_per_s);
  const i = Number(torchInfer.examples_per_s);
  row('family train ex/s', shape, t, 'n/a', '–', train.examplesPerS, train.examplesPerS / t);
  row('family inference ex/s', shape, i, 'n/a', '–', infer.examplesPerS, infer.examplesPerS / i);
}
process.stdout.write(
  '\n| ' +
    rows[0]!.join(' | ') +
    ' |\n|' +
    rows[0]!.map(() => '---').join('|') +
    '|\n' +
    rows
      .slice(1)
      .map((r) => `| ${r.join(' | ')} |`)
      .join('\n') +
    '\n',
);
if (familyResults.size > 0) {
  // The acceptance line: bertft ÷ PyTorch on the family shapes (≥ 1.00× means bertft is at least as fast).
  process.stdout.write(
    `\nDistilBERT/ModernBERT vs PyTorch, ${threads} threads, median of ${familySteps} step(s) after ${familyWarmup} warm-up (≥ 1.00× = bertft at least as fast):\n`,
  );
  for (const [name, { torchTrain, torchInfer, train, infer }] of familyResults) {
    const ratio = (torchMs: unknown, ms: number) =>
      `${(Number(torchMs) / ms).toFixed(2)}× (torch ${Number(torchMs).toFixed(0)} ms, bertft ${ms.toFixed(0)} ms)`;
    process.stdout.write(
      `  ${name.padEnd(16)} train ${ratio(torchTrain.ms_per_step, train.msPerStep)}   inference ${ratio(torchInfer.ms_per_step, infer.msPerStep)}\n`,
    );
  }
  const load = Math.max(...[...familyResults.values()].flatMap((r) => [Number(r.torchTrain.load_avg_1m), Number(r.torchInfer.load_avg_1m)]));
  // A quiet machine shows about the benchmark's own threads (≤ the cores); much more means other work shared them.
  const cores = availableParallelism();
  const busy = load > cores + 1 ? `: other work shared the ${cores} cores, so these ratios do not count` : '';
  process.stdout.write(`  (highest 1-minute load average during PyTorch's runs: ${load.toFixed(1)} on ${cores} cores${busy})\n`);
}
