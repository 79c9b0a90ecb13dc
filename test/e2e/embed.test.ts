/**
 * `bertft embed` end to end on the embedded pretrained model (models/bert-tiny-en), against routes
 * that share no code with src/: token ids from the plain-TypeScript WordPiece in test/reference/wordpiece.ts, and
 * embeddings from the float64 forward pass in test/reference/bert64.ts reading model.safetensors
 * with its own parser. Each reference text runs alone (no padding), while the CLI batches texts
 * of different lengths together, so padding and masking are checked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { refBertForward, type RefPooling } from '../reference/bert64.js';
import { loadRefCheckpoint } from '../reference/safetensors64.js';
import { RefWordPiece } from '../reference/wordpiece.js';

const TOLERANCE = 1e-4; // max abs difference, float32 engine vs float64 reference
const MAX_LENGTH = 64;

const LONG = Array.from({ length: 120 }, (_, i) => `word${i} is, perhaps, the ${i % 7}th-best`).join(' ');
const TEXTS = [
  'Café crème brûlée, naïve façade — résumé of Zoë Ångström!',
  'Wait... what?! (really) [yes] {no} #1 @user: "quoted" & \'single\'',
  'It cost $1,234.56 on 2024-03-15; π ≈ 3.14159 and 6.02e23 atoms.',
  'See https://example.com/path?q=1&r=two#frag or www.test.org/index.html.',
  '我喜欢这部电影 and 日本語のテキスト plus 한국어 text',
  'a fine film',
  LONG,
  'Tabs\tand  double  spaces, emoji 🙂 and control\u0007chars',
];

interface EmbedLine {
  text: string;
  input_ids: number[];
  embedding: number[];
}

function embedWithCli(pooling: RefPooling, input: string, extra: string[] = []): EmbedLine[] {
  const r = runCli([
    'embed',
    '--model',
    EMBEDDED_MODEL_DIR,
    '--pooling',
    pooling,
    '--max-length',
    String(MAX_LENGTH),
    '--batch-size',
    '3',
    '--quiet',
    ...extra,
    input,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EmbedLine);
}

const dir = mkdtempSync(join(tmpdir(), 'bertft-embed-'));
const textFile = join(dir, 'texts.txt');
writeFileSync(textFile, `${TEXTS.join('\n')}\n`);
const ref = loadRefCheckpoint(EMBEDDED_MODEL_DIR);
const wordPiece = new RefWordPiece(join(EMBEDDED_MODEL_DIR, 'vocab.txt'), { lowerCase: true });
const refIds = TEXTS.map((t) => wordPiece.encode(t, undefined, MAX_LENGTH).ids);

function referenceVector(ids: number[], pooling: RefPooling): Float64Array {
  const out = refBertForward(ref.config, ref.weights, [ids], [ids.map(() => 0)], [ids.map(() => 1)]);
  return pooling === 'pooler' ? out.pooled : pooling === 'cls' ? out.cls : out.mean;
}

test('input_ids equal the reference WordPiece, truncated to --max-length', () => {
  const lines = embedWithCli('mean', textFile);
  assert.equal(lines.length, TEXTS.length);
  lines.forEach((line, i) => {
    assert.equal(line.text, TEXTS[i]);
    assert.deepEqual(line.input_ids, refIds[i], `text ${i}: ${TEXTS[i].slice(0, 40)}`);
  });
  assert.equal(lines[6].input_ids.length, MAX_LENGTH, 'the long text is cut to --max-length');
  assert.ok(lines[4].input_ids.includes(wordPiece.encode('我').ids[1]), 'CJK characters are split one per token');
});

for (const pooling of ['cls', 'pooler', 'mean'] as const) {
  test(`${pooling} embeddings equal the float64 reference within ${TOLERANCE}`, () => {
    const lines = embedWithCli(pooling, textFile);
    let worst = 0;
    lines.forEach((line, i) => {
      const expected = referenceVector(refIds[i], pooling);
      assert.equal(line.embedding.length, ref.config.hiddenSize);
      for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(line.embedding[j] - expected[j]));
    });
    assert.ok(worst < TOLERANCE, `max abs difference ${worst}`);
    // The three poolings are different vectors; a mix-up would pass the bound above only by accident.
    const others = (['cls', 'pooler', 'mean'] as const).filter((p) => p !== pooling);
    for (const other of others) {
      const v = referenceVector(refIds[0], other);
      const gap = Math.max(...Array.from(v, (x, j) => Math.abs(x - lines[0].embedding[j])));
      assert.ok(gap > 1e-2, `${pooling} differs from ${other}`);
    }
  });
}

test('a .jsonl input with a text field and stdin give the same rows', () => {
  const jsonl = join(dir, 'texts.jsonl');
  writeFileSync(
    jsonl,
    `${TEXTS.slice(0, 3)
      .map((text, i) => JSON.stringify({ id: i, text }))
      .join('\n')}\n`,
  );
  const fromJsonl = embedWithCli('cls', jsonl);
  assert.deepEqual(
    fromJsonl.map((l) => l.input_ids),
    refIds.slice(0, 3),
  );
  const r = runCli(['embed', '--model', EMBEDDED_MODEL_DIR, '--pooling', 'cls', '--quiet', '-'], { input: `${TEXTS[5]}\n` });
  assert.equal(r.status, 0, r.stderr);
  const fromStdin = JSON.parse(r.stdout) as EmbedLine;
  assert.deepEqual(fromStdin.input_ids, refIds[5]);
});

test('user mistakes: one line, no stack trace, exit 2 for usage and 1 for failures', () => {
  const badPooling = runCli(['embed', '--model', EMBEDDED_MODEL_DIR, '--pooling', 'max', textFile]);
  assert.equal(badPooling.status, 2);
  assert.match(badPooling.stderr, /--pooling/);
  const noModel = runCli(['embed', '--model', join(dir, 'nope'), textFile]);
  assert.equal(noModel.status, 1);
  assert.match(noModel.stderr, /nope/);
  const noFile = runCli(['embed', '--model', EMBEDDED_MODEL_DIR, join(dir, 'missing.txt')]);
  assert.equal(noFile.status, 1);
  assert.match(noFile.stderr, /missing\.txt/);
  const tooLong = runCli(['embed', '--model', EMBEDDED_MODEL_DIR, '--max-length', '100000', textFile]);
  assert.equal(tooLong.status, 2);
  for (const r of [badPooling, noModel, noFile, tooLong]) {
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('bertft info reports engine, backend, threads, versions and the cache', () => {
  const r = runCli(['info', '--json'], { env: { HF_HUB_CACHE: join(dir, 'hub-cache') } });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(info.cache, join(dir, 'hub-cache'));
  assert.ok(['wasm', 'cpu', 'tensorflow'].includes(String(info.backend)));
  assert.equal(typeof info.threads, 'number');
  assert.match(String((info.versions as Record<string, string>).tokenizers), /^\d+\.\d+/);
});
