/**
 * `bertft train` / `predict` / `evaluate` end to end on the embedded pretrained model
 * (models/bert-tiny-en) with a small generated sentiment set in SST-2's format: the saved folder
 * is a Hugging Face BertForSequenceClassification whose logits an independent float64
 * implementation (test/reference) reproduces from the weight names alone; a run killed with SIGKILL
 * mid-epoch resumes to the same final metrics; frozen features are cached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, killAtCheckpoint, runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { sentimentLines } from '../helpers/texts.js';
import { refBertForward, refClassifierLogits } from '../reference/bert64.js';
import { loadRefCheckpoint } from '../reference/safetensors64.js';
import { RefWordPiece } from '../reference/wordpiece.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-train-'));
const cache = join(dir, 'cache');
const trainLines = sentimentLines(192, 1);
const devLines = sentimentLines(108, 2);
const TRAIN = join(dir, 'train.tsv');
const DEV = join(dir, 'dev.tsv');
writeFileSync(TRAIN, `${trainLines.slice(0, 192).join('\n')}\n`);
writeFileSync(DEV, `${devLines.slice(0, 64).join('\n')}\n`);
const COMMON = ['--model', EMBEDDED_MODEL_DIR, '--train', TRAIN, '--validation', DEV, '--max-length', '32', '--batch-size', '16', '--seed', '3', '--quiet'];
const env = { BERTFT_CACHE: cache };

function results(out: string): Record<string, any> {
  return JSON.parse(readFileSync(join(out, 'training_results.json'), 'utf8'));
}

/** Logits of the saved folder from the float64 reference, which knows only HF weight names. */
function referenceLogits(folder: string, texts: string[], pooling: 'pooler' | 'mean'): number[][] {
  const { config, weights } = loadRefCheckpoint(folder);
  const wp = new RefWordPiece(join(folder, 'vocab.txt'), { lowerCase: true });
  return texts.map((t) => {
    const ids = wp.encode(t, undefined, 32).ids;
    const out = refBertForward(config, weights, [ids], [ids.map(() => 0)], [ids.map(() => 1)]);
    return Array.from(refClassifierLogits(pooling === 'pooler' ? out.pooled : out.mean, 1, weights));
  });
}

function predictLogits(folder: string, texts: string[]): number[][] {
  const file = join(dir, 'predict.txt');
  writeFileSync(file, `${texts.join('\n')}\n`);
  const r = runCli(['predict', '--model', folder, '--quiet', file], { env });
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  const labels: string[] = Object.keys(cfg.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => cfg.id2label[k]);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const p = JSON.parse(l);
      // Softmax scores determine logits up to a constant: compare log-ratios against the first class.
      return labels.map((lab) => Math.log(p.scores[lab]) - Math.log(p.scores[labels[0]!]));
    });
}

const SAMPLE = devLines.slice(100, 108).map((l) => l.split('\t')[0]!.trim());

test('full fine-tuning writes an HF folder that an independent implementation reproduces', () => {
  const out = join(dir, 'full');
  const r = runCli(['train', ...COMMON, '--output', out, '--epochs', '2'], { env });
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'training_results.json']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(out, 'checkpoint-last')), 'a finished run deletes its resumable checkpoint');
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: '0', 1: '1' });
  assert.equal(cfg.problem_type, 'single_label_classification');
  assert.equal(cfg.num_labels, 2);
  const res = results(out);
  assert.equal(res.history.length, 2);
  assert.equal(res.strategy, 'full');
  assert.ok(res.final_eval.accuracy > 0 && res.final_eval.confusion_matrix.length === 2);
  // The default pooling is the one the base model's config.json names (the embedded model's `mean`), else BERT's pooler.
  const named = JSON.parse(readFileSync(join(EMBEDDED_MODEL_DIR, 'config.json'), 'utf8')).classifier_pooling;
  assert.equal(cfg.bertft.pooling, named ?? 'pooler');
  assert.equal(cfg.classifier_pooling, named, 'recorded for the folder too');
  const ref = referenceLogits(out, SAMPLE, cfg.bertft.pooling);
  const ours = predictLogits(out, SAMPLE);
  let worst = 0;
  ref.forEach((row, i) => row.forEach((z, c) => (worst = Math.max(worst, Math.abs(z - row[0]! - ours[i]![c]!)))));
  assert.ok(worst < 1e-4, `logit differences up to ${worst}`);
  const ev = runCli(['evaluate', '--model', out, '--data', DEV, '--json'], { env });
  assert.equal(ev.status, 0, ev.stderr);
  const metrics = JSON.parse(ev.stdout);
  assert.equal(metrics.examples, 64);
  assert.ok(Math.abs(metrics.accuracy - res.final_eval.accuracy) < 1e-9, 'evaluate agrees with the best epoch recorded by train');
});

test('frozen: features are cached and reused, mean pooling recorded, head-only weights differ', () => {
  const out1 = join(dir, 'frozen1');
  const r1 = runCli(['train', ...COMMON.filter((a) => a !== '--quiet'), '--output', out1, '--strategy', 'frozen', '--epochs', '3'], { env });
  assert.equal(r1.status, 0, r1.stderr);
  assert.match(r1.stderr, /train features: computed and cached/);
  const out2 = join(dir, 'frozen2');
  const r2 = runCli(['train', ...COMMON.filter((a) => a !== '--quiet'), '--output', out2, '--strategy', 'frozen', '--epochs', '3'], { env });
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stderr, /train features: reused from cache/);
  assert.deepEqual(
    results(out1).history.map((h: any) => h.eval_loss),
    results(out2).history.map((h: any) => h.eval_loss),
  );
  const cfg = JSON.parse(readFileSync(join(out1, 'config.json'), 'utf8'));
  assert.equal(cfg.bertft.pooling, 'mean');
  const ref = referenceLogits(out1, SAMPLE, 'mean');
  const ours = predictLogits(out1, SAMPLE);
  let worst = 0;
  ref.forEach((row, i) => row.forEach((z, c) => (worst = Math.max(worst, Math.abs(z - row[0]! - ours[i]![c]!)))));
  assert.ok(worst < 1e-4, `logit differences up to ${worst}`);
});

test('with balanced class weights, train and evaluate report the same eval_loss: the weighted loss that was trained', () => {
  // Every '1' and a quarter of the '0's, so the balanced weights are far from 1.
  let zeros = 0;
  const imbalanced = join(dir, 'imbalanced.tsv');
  writeFileSync(
    imbalanced,
    `${trainLines
      .slice(0, 192)
      .filter((l) => l.split('\t')[1]!.trim() === '1' || zeros++ % 4 === 0)
      .join('\n')}\n`,
  );
  const out = join(dir, 'weighted');
  const r = runCli(['train', ...COMMON.map((a) => (a === TRAIN ? imbalanced : a)), '--output', out, '--class-weights', 'balanced', '--max-steps', '4'], {
    env,
  });
  assert.equal(r.status, 0, r.stderr);
  const trained = results(out).final_eval.eval_loss as number;
  const weights = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).bertft.class_weights as number[];
  assert.ok(weights[0]! > 2 && weights[1]! < 0.7, `class weights ${weights.join(', ')}`);
  const ev = runCli(['evaluate', '--model', out, '--data', DEV, '--json'], { env });
  assert.equal(ev.status, 0, ev.stderr);
  const evaluated = JSON.parse(ev.stdout).eval_loss as number;
  assert.ok(Math.abs(evaluated - trained) < 1e-5, `evaluate ${evaluated} vs train ${trained}`);
  // Both are the weighted cross-entropy, not the plain one: recomputed from predict's probabilities.
  const dev = devLines.slice(0, 64).map((l) => l.split('\t'));
  const file = join(dir, 'dev-texts.txt');
  writeFileSync(file, `${dev.map(([t]) => t!.trim()).join('\n')}\n`);
  const p = runCli(['predict', '--model', out, '--quiet', file], { env });
  assert.equal(p.status, 0, p.stderr);
  const nll = p.stdout
    .trim()
    .split('\n')
    .map((l, i) => ({ y: Number(dev[i]![1]!.trim()), loss: -Math.log(JSON.parse(l).scores[dev[i]![1]!.trim()]) }));
  const weighted = nll.reduce((s, e) => s + weights[e.y]! * e.loss, 0) / nll.length;
  const plain = nll.reduce((s, e) => s + e.loss, 0) / nll.length;
  assert.ok(Math.abs(weighted - evaluated) < 1e-4, `weighted ${weighted} vs evaluate ${evaluated}`);
  assert.ok(Math.abs(plain - evaluated) > 1e-2, `the plain loss ${plain} would be another number`);
});

/** Runs `train --resume` on an interrupted output folder and checks it ends like the uninterrupted run. */
function resumeAndCompare(args: string[], interrupted: string, straight: string): void {
  const resumed = runCli(['train', ...args, '--output', interrupted, '--resume', '--keep-checkpoints'], { env });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from step \d+/);
  assert.ok(existsSync(join(interrupted, 'checkpoint-last', 'trainer_state.json')), '--keep-checkpoints keeps it after the run');
  const a = results(straight);
  const b = results(interrupted);
  assert.deepEqual(
    b.history.map((h: any) => [h.step, h.eval_loss, h.eval_metrics]),
    a.history.map((h: any) => [h.step, h.eval_loss, h.eval_metrics]),
  );
  assert.deepEqual(b.final_eval, a.final_eval);
  // Not only the same metrics: the same bits (same seed, same steps, same weights written).
  assert.ok(
    readFileSync(join(interrupted, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors'))),
    'model.safetensors is bit-identical to the uninterrupted run',
  );
}

test('SIGKILL mid-epoch, then --resume: same final metrics and bit-identical weights as an uninterrupted run', async () => {
  const args = [...COMMON, '--epochs', '2', '--checkpoint-minutes', '0'];
  const straight = join(dir, 'straight');
  assert.equal(runCli(['train', ...args, '--output', straight], { env }).status, 0);
  const killed = join(dir, 'killed');
  const child = spawn(process.execPath, [BIN, 'train', ...args, '--output', killed], { env: { ...process.env, ...env, HF_HUB_OFFLINE: '1' }, stdio: 'ignore' });
  const stepsPerEpoch = 192 / 16;
  const killedAt = await killAtCheckpoint(child, join(killed, 'checkpoint-last', 'trainer_state.json'), 'globalStep', 3, 50, 1200);
  assert.ok(killedAt >= 3 && killedAt < 2 * stepsPerEpoch, `killed at step ${killedAt}`);
  assert.ok(!existsSync(join(killed, 'training_results.json')), 'the killed run did not finish');
  resumeAndCompare(
    args.filter((a) => a !== '--quiet'),
    killed,
    straight,
  );
});

test('Ctrl-C (SIGINT) mid-training saves a resumable checkpoint, exits 130, and --resume finishes like an uninterrupted run', async () => {
  const args = [...COMMON.filter((a) => a !== '--quiet'), '--epochs', '2', '--checkpoint-minutes', '0'];
  const straight = join(dir, 'straight');
  if (!existsSync(join(straight, 'training_results.json'))) assert.equal(runCli(['train', ...args, '--output', straight], { env }).status, 0);
  const stopped = join(dir, 'ctrl-c');
  const child = spawn(process.execPath, [BIN, 'train', ...args, '--output', stopped], {
    env: { ...process.env, ...env, HF_HUB_OFFLINE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stateFile = join(stopped, 'checkpoint-last', 'trainer_state.json');
  for (let i = 0; i < 1200 && !existsSync(stateFile); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /stopping after this step and saving a resumable checkpoint/);
  assert.match(stderr, /interrupted: checkpoint saved in .*checkpoint-last; run the same command with --resume/);
  assert.ok(!existsSync(join(stopped, 'training_results.json')), 'the interrupted run did not finish');
  resumeAndCompare(args, stopped, straight);
});

test('bad input: one line, exit codes 2 (usage) and 1 (failure)', () => {
  // A folder with a PyTorch pickle and no tokenizer: the weights format is what gets explained.
  const binOnly = join(dir, 'bin-only');
  mkdirSync(binOnly, { recursive: true });
  writeFileSync(
    join(binOnly, 'config.json'),
    '{"model_type":"bert","vocab_size":10,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":1,"intermediate_size":4}',
  );
  writeFileSync(join(binOnly, 'pytorch_model.bin'), 'pickle');
  const cases: [string[], number, RegExp][] = [
    [['train', ...COMMON, '--output', join(dir, 'x'), '--strategy', 'half'], 2, /--strategy must be one of/],
    [['train', ...COMMON, '--output', join(dir, 'x'), '--learning-rate', 'fast'], 2, /--learning-rate must be a number/],
    [['train', ...COMMON, '--output', join(dir, 'x'), '--text-column', 'review'], 2, /review/],
    [['train', '--model', EMBEDDED_MODEL_DIR, '--train', join(dir, 'none.tsv'), '--output', join(dir, 'x')], 1, /none\.tsv/],
    [['predict', '--model', EMBEDDED_MODEL_DIR, TRAIN], 1, /no classification head/],
    [['embed', '--model', binOnly, TRAIN], 1, /pytorch_model\.bin: bertft reads safetensors only.*save_pretrained/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = runCli(args, { env });
    assert.equal(r.status, code, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
