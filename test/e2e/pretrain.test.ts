/**
 * Masked-LM pre-training (src/pretraining):
 * - masking: deterministic per seed; specials and padding never selected; 15% selection and the
 *   80/10/10 split within binomial tolerances; whole-word masking; at least one masked position;
 * - corpus: packed blocks ([CLS] … [SEP], documents joined by [SEP], nothing lost but the tail),
 *   line-by-line, CSV/JSONL text columns, the tokenization cache, empty files;
 * - `bertft pretrain` end to end on a hidden-32 model: SIGKILL mid-run, then the same command
 *   resumes and ends exactly like an uninterrupted run; the output folder loads with
 *   loadBertWeights (masked-LM head by HF names); bad input exits non-zero with one line.
 *
 * The CLI runs from the TypeScript sources through tsx (dist/ may predate the command).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadBertWeights, readBertConfig } from '../../src/checkpoint/index.js';
import { readSafetensors } from '../../src/checkpoint/safetensors.js';
import { BertftError } from '../../src/errors.js';
import type { TokenBatch } from '../../src/tokenization/index.js';
import { flatTargetIndex, MASKED_LM_PARAMS } from '../../src/heads/masked-lm.js';
import { Rng } from '../../src/data/random.js';
import { buildCorpus, corpusBatch, readDocuments } from '../../src/pretraining/corpus.js';
import { maskBatch, maskSeed, type MaskingOptions } from '../../src/pretraining/masking.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { killAtCheckpoint } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR, REPO_ROOT } from '../helpers/shared.js';
import { sentences } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-pretrain-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** bert-base-uncased's WordPiece tokenizer: the embedded model's folder has it. */
const TOKENIZER = EMBEDDED_MODEL_DIR;
/** Plain English lines, generated (test/helpers/texts.ts): documents for the corpus and pre-training runs. */
const textLines = sentences(1060, 7);

// ---------------------------------------------------------------------------------------------
// Masking

const PAD = 0;
const CLS = 1;
const SEP = 2;
const MASK_ID = 3;
const V = 1000;
const SPECIALS = new Set([PAD, CLS, SEP, MASK_ID]);
/** Synthetic vocabulary: ids ≥ 500 are `##` continuation pieces. */
const isCont = (id: number) => id >= 500;
const opts = (over: Partial<MaskingOptions> = {}): MaskingOptions => ({
  rate: 0.15,
  wholeWord: false,
  maskId: MASK_ID,
  vocabSize: V,
  specialIds: SPECIALS,
  isContinuation: isCont,
  ...over,
});

/** rows × seq: [CLS] pieces [SEP] then padding; padded slots hold `padFill` (a non-special id tests the attention mask). */
function syntheticBatch(rows: number, seq: number, seed: number, padFill = PAD): TokenBatch {
  const rng = new Rng(seed);
  const n = rows * seq;
  const inputIds = new Int32Array(n).fill(padFill);
  const attentionMask = new Int32Array(n);
  for (let r = 0; r < rows; r++) {
    const len = 3 + Math.floor(rng.next() * (seq - 2));
    for (let c = 0; c < len; c++) {
      const i = r * seq + c;
      attentionMask[i] = 1;
      // A word-initial piece (4..499) then, with probability 0.4 each, continuation pieces.
      inputIds[i] = c === 0 ? CLS : c === len - 1 ? SEP : c > 1 && rng.next() < 0.4 ? 500 + Math.floor(rng.next() * 500) : 4 + Math.floor(rng.next() * 496);
    }
  }
  return { batchSize: rows, seqLength: seq, inputIds, attentionMask, tokenTypeIds: new Int32Array(n) };
}

test('masking: the same seed masks identically, another seed differently; the batch is not changed', () => {
  const batch = syntheticBatch(8, 32, 1);
  const before = Int32Array.from(batch.inputIds);
  const a = maskBatch(batch, opts(), 42);
  const b = maskBatch(batch, opts(), 42);
  assert.deepEqual(a, b);
  assert.notDeepEqual(maskBatch(batch, opts(), 43).masked.positions, a.masked.positions);
  assert.deepEqual(batch.inputIds, before, 'maskBatch must copy, not mask in place');
  // Seeds of (seed, step, micro-batch) are distinct over a grid, so no two batches share masks.
  const seeds = new Set<number>();
  for (let s = 0; s < 4; s++) for (let step = -1; step < 200; step++) for (let m = 0; m < 4; m++) seeds.add(maskSeed(s, step, m));
  assert.equal(seeds.size, 4 * 201 * 4);
  assert.equal(maskSeed(3, 17, 1), maskSeed(3, 17, 1));
});

test('masking: ~15% of real non-special tokens selected, split 80/10/10, specials and padding never selected', () => {
  // Padded slots hold id 77, an ordinary token: only the attention mask says they are padding.
  const batch = syntheticBatch(256, 128, 2, 77);
  const { tokens, masked } = maskBatch(batch, opts(), 7);
  const ids = batch.inputIds;
  let maskable = 0;
  for (let i = 0; i < ids.length; i++) if (batch.attentionMask[i] === 1 && !SPECIALS.has(ids[i]!)) maskable++;
  const selected = new Set(masked.positions);
  assert.equal(selected.size, masked.positions.length, 'positions are unique');
  assert.ok(
    masked.positions.every((p, k) => k === 0 || p > masked.positions[k - 1]!),
    'positions ascend',
  );
  let toMask = 0;
  let kept = 0;
  let random = 0;
  masked.positions.forEach((p, k) => {
    assert.equal(batch.attentionMask[p], 1, `padding position ${p} selected`);
    assert.ok(!SPECIALS.has(ids[p]!), `special token ${ids[p]} at ${p} selected`);
    assert.equal(masked.labels[k], ids[p], 'the label is the original token');
    const now = tokens.inputIds[p]!;
    assert.ok(now >= 0 && now < V);
    if (now === MASK_ID) toMask++;
    else if (now === ids[p]) kept++;
    else random++;
  });
  assert.deepEqual(masked.targetIndex, flatTargetIndex(masked.labels, V));
  for (let i = 0; i < ids.length; i++) if (!selected.has(i)) assert.equal(tokens.inputIds[i], ids[i], `unselected position ${i} changed`);
  // Binomial tolerances of 5 standard deviations (a random replacement equal to the original, 1/V, is negligible).
  const K = masked.positions.length;
  const within = (count: number, n: number, p: number, what: string) =>
    assert.ok(Math.abs(count - n * p) <= 5 * Math.sqrt(n * p * (1 - p)), `${what}: ${count} of ${n}, expected ${(n * p).toFixed(0)}`);
  assert.ok(maskable > 15000, `only ${maskable} maskable tokens`);
  within(K, maskable, 0.15, 'selected');
  within(toMask, K, 0.8, '[MASK]');
  within(random, K, 0.1, 'random');
  within(kept, K, 0.1, 'kept');
});

test('whole-word masking selects a word with all its ## pieces, at the 15% word rate', () => {
  const batch = syntheticBatch(128, 64, 3);
  const { masked } = maskBatch(batch, opts({ wholeWord: true }), 11);
  const selected = new Set(masked.positions);
  const ids = batch.inputIds;
  let words = 0;
  let chosen = 0;
  let multiPiece = 0;
  for (let r = 0; r < batch.batchSize; r++) {
    for (let c = 0; c < batch.seqLength; ) {
      const i = r * batch.seqLength + c;
      if (batch.attentionMask[i] !== 1 || SPECIALS.has(ids[i]!)) {
        c++;
        continue;
      }
      let end = c + 1;
      while (end < batch.seqLength && batch.attentionMask[r * batch.seqLength + end] === 1 && isCont(ids[r * batch.seqLength + end]!)) end++;
      const states = new Set<boolean>();
      for (let k = c; k < end; k++) states.add(selected.has(r * batch.seqLength + k));
      assert.equal(states.size, 1, `row ${r}: word at ${c}..${end - 1} partly selected`);
      words++;
      if (states.has(true)) {
        chosen++;
        if (end - c > 1) multiPiece++;
      }
      c = end;
    }
  }
  assert.ok(multiPiece > 20, `only ${multiPiece} multi-piece words selected; the check is weak`);
  assert.ok(Math.abs(chosen - 0.15 * words) <= 5 * Math.sqrt(words * 0.15 * 0.85), `${chosen} of ${words} words selected`);
  // Without whole-word masking the pieces of a word are drawn independently: some word is split.
  const plain = new Set(maskBatch(batch, opts(), 11).masked.positions);
  let split = false;
  for (let i = 1; i < ids.length && !split; i++)
    if (isCont(ids[i]!) && batch.attentionMask[i] === 1 && plain.has(i) !== plain.has(i - 1) && !SPECIALS.has(ids[i - 1]!)) split = true;
  assert.ok(split, 'token-level masking should split some word');
});

test('whole-word masking with the real WordPiece tokenizer groups ## pieces', async () => {
  const tok = await BertTokenizer.fromDir(TOKENIZER);
  const texts = ['unbelievably tokenization of hyperparameters is incomprehensible', 'the antidisestablishmentarianism debate'];
  const pieces = await tok.idsOf(texts);
  const seq = Math.max(...pieces.map((p) => p.length)) + 2;
  const inputIds = new Int32Array(texts.length * seq).fill(tok.padId);
  const attentionMask = new Int32Array(texts.length * seq);
  pieces.forEach((p, r) => {
    inputIds.set([tok.clsId, ...p, tok.sepId], r * seq);
    attentionMask.fill(1, r * seq, r * seq + p.length + 2);
  });
  assert.ok(
    pieces.flat().some((p) => [...p].some((id) => tok.isContinuation(id))),
    'the texts should have ## pieces',
  );
  const batch: TokenBatch = { batchSize: texts.length, seqLength: seq, inputIds, attentionMask, tokenTypeIds: new Int32Array(inputIds.length) };
  const o: MaskingOptions = {
    rate: 0.5,
    wholeWord: true,
    maskId: tok.maskId!,
    vocabSize: tok.vocabSize,
    specialIds: new Set([tok.clsId, tok.sepId, tok.padId, tok.maskId!]),
    isContinuation: (id) => tok.isContinuation(id),
  };
  for (let seed = 0; seed < 20; seed++) {
    const sel = new Set(maskBatch(batch, o, seed).masked.positions);
    for (let i = 1; i < inputIds.length; i++) {
      if (attentionMask[i] === 1 && tok.isContinuation(inputIds[i]!))
        assert.equal(sel.has(i), sel.has(i - 1), `seed ${seed}: ${tok.idToToken(inputIds[i]!)} split from the piece before it`);
    }
  }
});

test('masking: at least one position when any token is maskable; none when nothing is', () => {
  // One row, one maskable token among specials and padding, a rate that practically never selects.
  const one: TokenBatch = {
    batchSize: 2,
    seqLength: 5,
    inputIds: Int32Array.from([CLS, 42, SEP, PAD, PAD, CLS, SEP, PAD, PAD, PAD]),
    attentionMask: Int32Array.from([1, 1, 1, 0, 0, 1, 1, 0, 0, 0]),
    tokenTypeIds: new Int32Array(10),
  };
  for (let seed = 0; seed < 50; seed++) {
    const { masked } = maskBatch(one, opts({ rate: 1e-9 }), seed);
    assert.deepEqual([...masked.positions], [1], `seed ${seed}`);
    assert.deepEqual([...masked.labels], [42]);
  }
  const many = syntheticBatch(4, 16, 9);
  for (let seed = 0; seed < 20; seed++) assert.ok(maskBatch(many, opts({ rate: 1e-9, wholeWord: seed % 2 === 1 }), seed).masked.positions.length >= 1);
  const none: TokenBatch = {
    batchSize: 1,
    seqLength: 4,
    inputIds: Int32Array.from([CLS, SEP, 50, 60]),
    attentionMask: Int32Array.from([1, 1, 0, 0]),
    tokenTypeIds: new Int32Array(4),
  };
  const { tokens, masked } = maskBatch(none, opts(), 1);
  assert.equal(masked.positions.length, 0);
  assert.deepEqual(tokens.inputIds, none.inputIds);
});

// ---------------------------------------------------------------------------------------------
// Corpus

/** One-line BertftError whose message names `file`. */
async function rejectsNaming(fn: () => unknown, file: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e: unknown) => {
      assert.ok(e instanceof BertftError, `expected a BertftError, got ${String(e)}`);
      assert.ok(e.message.includes(file), `message does not name ${file}: ${e.message}`);
      assert.equal(e.message.split('\n').length, 1, e.message);
      return true;
    },
  );
}

test('corpus: packed blocks are full, start with [CLS], end with [SEP], and lose only the tail', async () => {
  const tok = await BertTokenizer.fromDir(TOKENIZER);
  const docs = textLines.slice(0, 60);
  const file = join(dir, 'packed.txt');
  // Blank and whitespace-only lines are not documents.
  writeFileSync(file, `${docs.slice(0, 30).join('\n')}\n\n   \n${docs.slice(30).join('\n')}\n`);
  assert.deepEqual(readDocuments([file]), docs);
  const maxLength = 16;
  const corpus = await buildCorpus([file], tok, { maxLength });
  const pieces = await tok.idsOf(docs);
  const stream: number[] = [];
  for (const p of pieces) stream.push(...p, tok.sepId);
  const body = maxLength - 2;
  assert.equal(corpus.documents, docs.length);
  assert.equal(
    corpus.wordPieces,
    pieces.reduce((s, p) => s + p.length, 0),
  );
  assert.equal(corpus.size, Math.floor(stream.length / body));
  assert.ok(stream.length - corpus.size * body < body, 'only a tail shorter than one block is dropped');
  const bodies: number[] = [];
  for (let r = 0; r < corpus.size; r++) {
    const row = corpus.ids.subarray(corpus.offsets[r]!, corpus.offsets[r + 1]!);
    assert.equal(row.length, maxLength, `row ${r} is not a full block`);
    assert.equal(row[0], tok.clsId);
    assert.equal(row[maxLength - 1], tok.sepId);
    assert.ok(!row.subarray(1).includes(tok.clsId), `row ${r}: [CLS] inside a block`);
    bodies.push(...row.subarray(1, maxLength - 1));
  }
  // The blocks' bodies, in order, are the document stream (doc [SEP] doc [SEP] …): nothing lost or repeated.
  assert.deepEqual(bodies, stream.slice(0, corpus.size * body));
  // corpusBatch: rows as a batch, attention everywhere (full blocks).
  const b = corpusBatch(corpus, [2, 0], tok.padId);
  assert.equal(b.seqLength, maxLength);
  assert.deepEqual([...b.inputIds.subarray(0, maxLength)], [...corpus.ids.subarray(2 * maxLength, 3 * maxLength)]);
  assert.ok(b.attentionMask.every((m) => m === 1));
});

test('corpus: line-by-line gives one [CLS] doc [SEP] row per document, truncated, padded in batches', async () => {
  const tok = await BertTokenizer.fromDir(TOKENIZER);
  const docs = textLines.slice(100, 140);
  const file = join(dir, 'lines.txt');
  writeFileSync(file, `${docs.join('\n')}\n`);
  const maxLength = 12;
  const corpus = await buildCorpus([file], tok, { maxLength, lineByLine: true });
  const pieces = await tok.idsOf(docs);
  assert.equal(corpus.size, docs.length);
  pieces.forEach((p, r) => {
    const row = [...corpus.ids.subarray(corpus.offsets[r]!, corpus.offsets[r + 1]!)];
    assert.deepEqual(row, [tok.clsId, ...p.subarray(0, maxLength - 2), tok.sepId], `document ${r}`);
  });
  assert.ok(pieces.some((p) => p.length > maxLength - 2) && pieces.some((p) => p.length < maxLength - 2), 'both truncated and short documents');
  const short = pieces.findIndex((p) => p.length < maxLength - 2);
  const long = pieces.findIndex((p) => p.length > maxLength - 2);
  const b = corpusBatch(corpus, [long, short], tok.padId);
  assert.equal(b.seqLength, maxLength);
  const len = pieces[short]!.length + 2;
  assert.deepEqual(
    [...b.attentionMask.subarray(maxLength, 2 * maxLength)],
    Array.from({ length: maxLength }, (_, i) => (i < len ? 1 : 0)),
  );
  assert.ok(b.inputIds.subarray(maxLength + len, 2 * maxLength).every((id) => id === tok.padId));
});

test('corpus: CSV and JSONL text columns; the tokenization cache round-trips', async () => {
  const tok = await BertTokenizer.fromDir(TOKENIZER);
  const csv = join(dir, 'docs.csv');
  writeFileSync(csv, 'id,body,label\n1,"Hello, world: a first document",a\n2,second one here,b\n3,"with ""quotes"" inside",a\n');
  assert.deepEqual(readDocuments([csv], 'body'), ['Hello, world: a first document', 'second one here', 'with "quotes" inside']);
  const jsonl = join(dir, 'docs.jsonl');
  writeFileSync(jsonl, `${['first review<br />text', 'second review', 'third review'].map((t, i) => JSON.stringify({ review: t, stars: i })).join('\n')}\n`);
  assert.deepEqual(readDocuments([jsonl], 'review'), ['first review text', 'second review', 'third review']);
  // Tokenized once, then read back from the cache, identical.
  const cacheDir = join(dir, 'cache');
  const a = await buildCorpus([jsonl], tok, { textColumn: 'review', lineByLine: true, maxLength: 16, cacheDir });
  assert.equal(a.size, 3);
  assert.ok(
    readdirSync(cacheDir).some((f) => f.startsWith('.corpus-')),
    'a cache file is written',
  );
  const b = await buildCorpus([jsonl], tok, { textColumn: 'review', lineByLine: true, maxLength: 16, cacheDir });
  assert.deepEqual([...b.ids], [...a.ids]);
  assert.deepEqual([...b.offsets], [...a.offsets]);
  assert.equal(b.documents, a.documents);
  assert.equal(b.wordPieces, a.wordPieces);
  const c = await buildCorpus([csv], tok, { textColumn: 'body', lineByLine: true, maxLength: 16, cacheDir });
  assert.equal(c.size, 3);
  assert.deepEqual([...c.ids.subarray(c.offsets[1]!, c.offsets[2]!)], [tok.clsId, ...(await tok.idsOf(['second one here']))[0]!, tok.sepId]);
});

test('corpus: an empty file, a missing file or too little text is a one-line BertftError naming the file', async () => {
  const tok = await BertTokenizer.fromDir(TOKENIZER);
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  const blank = join(dir, 'blank.txt');
  writeFileSync(blank, '\n  \n\t\n');
  const emptyCsv = join(dir, 'empty.csv');
  writeFileSync(emptyCsv, 'id,body\n');
  const missing = join(dir, 'missing.txt');
  await rejectsNaming(() => readDocuments([empty]), empty);
  await rejectsNaming(() => readDocuments([blank]), blank);
  await rejectsNaming(() => readDocuments([emptyCsv], 'body'), emptyCsv);
  await rejectsNaming(() => buildCorpus([empty], tok, { maxLength: 16 }), empty);
  await rejectsNaming(() => buildCorpus([empty], tok, { maxLength: 16, cacheDir: join(dir, 'cache2') }), empty);
  await rejectsNaming(() => buildCorpus([missing], tok, { maxLength: 16 }), missing);
  await rejectsNaming(() => buildCorpus([missing], tok, { maxLength: 16, cacheDir: join(dir, 'cache2') }), missing);
  const tiny = join(dir, 'tiny.txt');
  writeFileSync(tiny, 'hi\n');
  await rejectsNaming(() => buildCorpus([tiny], tok, { maxLength: 64 }), tiny);
});

// ---------------------------------------------------------------------------------------------
// The command

const MAIN_URL = pathToFileURL(join(REPO_ROOT, 'src', 'cli', 'main.ts')).href;
const CLI_PREFIX = [
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  `const { main } = await import(${JSON.stringify(MAIN_URL)}); await main(['node', 'bertft', ...process.argv.slice(1)]);`,
];
const cliEnv = { ...process.env, HF_HUB_OFFLINE: '1', BERTFT_CACHE: join(dir, 'hf-cache') };

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_PREFIX, ...args], { encoding: 'utf8', cwd: REPO_ROOT, env: cliEnv, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONFIG = join(dir, 'config.json');
writeFileSync(
  CONFIG,
  JSON.stringify({
    model_type: 'bert',
    vocab_size: 30522,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 64,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    initializer_range: 0.02,
  }),
);
const CORPUS = join(dir, 'corpus.txt');
writeFileSync(CORPUS, `${textLines.slice(0, 400).join('\n')}\n`);
const EVAL = join(dir, 'eval.txt');
writeFileSync(EVAL, `${textLines.slice(1000, 1060).join('\n')}\n`);
const STEPS = 24;
const RUN = [
  'pretrain',
  '--config',
  CONFIG,
  '--tokenizer',
  TOKENIZER,
  '--text',
  CORPUS,
  '--eval-text',
  EVAL,
  '--max-length',
  '32',
  '--batch-size',
  '8',
  '--gradient-accumulation',
  '2',
  '--max-steps',
  String(STEPS),
  '--eval-every',
  '12',
  '--save-every',
  '0.004',
  '--seed',
  '5',
  '--threads',
  '1',
  '--dropout',
  '0.1',
  '--whole-word-masking',
];

function finalLine(stdout: string): { steps: number; train_loss: number; eval: { loss: number; accuracy: number } } {
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

test('bertft pretrain: SIGKILL mid-run, then the same command resumes and ends exactly like an uninterrupted run; the output loads', async () => {
  const straight = join(dir, 'straight');
  const s = cli([...RUN, '--output', straight]);
  assert.equal(s.status, 0, s.stderr);
  const want = finalLine(s.stdout);
  assert.equal(want.steps, STEPS);
  assert.ok(Number.isFinite(want.train_loss) && want.train_loss > 0);

  const killed = join(dir, 'killed');
  const child = spawn(process.execPath, [...CLI_PREFIX, ...RUN, '--output', killed], { cwd: REPO_ROOT, env: cliEnv, stdio: 'ignore' });
  const killedAt = await killAtCheckpoint(child, join(killed, 'checkpoint-last', 'trainer_state.json'), 'step', 4, 10, 3000);
  assert.ok(killedAt >= 4 && killedAt < STEPS, `killed at step ${killedAt}`);
  assert.ok(!existsSync(join(killed, 'pretraining_results.json')), 'the killed run did not finish');

  const resumed = cli([...RUN, '--output', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const m = /resuming from .* at step (\d+)/.exec(resumed.stderr);
  assert.ok(m && Number(m[1]) >= killedAt, `no resume message:\n${resumed.stderr}`);
  const got = finalLine(resumed.stdout);
  assert.equal(got.steps, STEPS);
  assert.ok(Math.abs(got.train_loss - want.train_loss) <= 1e-6, `final loss ${got.train_loss} vs uninterrupted ${want.train_loss}`);
  assert.deepEqual(got.eval, want.eval);
  const ra = JSON.parse(readFileSync(join(straight, 'pretraining_results.json'), 'utf8'));
  const rb = JSON.parse(readFileSync(join(killed, 'pretraining_results.json'), 'utf8'));
  assert.deepEqual(rb.history, ra.history);
  assert.deepEqual(rb.evals, ra.evals);
  assert.equal(ra.evals.length, 3, 'evaluations at steps 0, 12, 24');
  assert.ok(ra.evals.at(-1).loss < ra.evals[0].loss, 'pre-training lowers the held-out loss');
  const wa = (await readSafetensors(join(straight, 'model.safetensors'))).tensors;
  const wb = (await readSafetensors(join(killed, 'model.safetensors'))).tensors;
  for (const [name, t] of wa) assert.deepEqual(wb.get(name)!.data, t.data, `${name} differs after resuming`);

  // The output folder is a Hugging Face BertForMaskedLM.
  const cfg = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForMaskedLM']);
  assert.equal(cfg.hidden_size, 32);
  for (const f of ['vocab.txt', 'tokenizer.json']) assert.ok(existsSync(join(straight, f)), f);
  assert.ok(
    [...wa.keys()].every((n) => n.startsWith('bert.') || n.startsWith('cls.predictions.')),
    [...wa.keys()].join(', '),
  );
  for (const n of MASKED_LM_PARAMS) assert.ok(wa.has(n), `${n} saved by its HF name`);
  const { config } = await readBertConfig(straight);
  const loaded = await loadBertWeights(straight, config);
  assert.ok(loaded.mlmHead, 'the masked-LM head loads');
  assert.deepEqual(loaded.ignored, []);
  for (const n of MASKED_LM_PARAMS) assert.deepEqual(loaded.mlmHead.get(n)!.data, wa.get(n)!.data, n);
  // The decoder is tied: it is the word-embedding matrix.
  assert.deepEqual(loaded.mlmHead.get('cls.predictions.decoder.weight')!.data, loaded.weights.get('embeddings.word_embeddings.weight')!.data);
  assert.deepEqual(loaded.weights.get('embeddings.word_embeddings.weight')!.data, wa.get('bert.embeddings.word_embeddings.weight')!.data);
});

test('bertft pretrain: bad input exits non-zero with one line and no stack trace', () => {
  const out = join(dir, 'bad');
  const base = ['--tokenizer', TOKENIZER, '--output', out, '--max-length', '32', '--batch-size', '8', '--quiet'];
  const cases: [string[], number, RegExp][] = [
    [['pretrain', '--config', CONFIG, ...base, '--text', join(dir, 'nowhere.txt'), '--max-steps', '2'], 1, /nowhere\.txt/],
    [
      ['pretrain', '--config', CONFIG, '--model', join(dir, 'straight'), ...base, '--text', CORPUS, '--max-steps', '2'],
      2,
      /--model.*--config|--config.*--model/,
    ],
    [['pretrain', '--config', 'tiny', '--text', CORPUS, '--output', out, '--max-steps', '2', '--quiet'], 2, /--tokenizer/],
    [['pretrain', '--config', CONFIG, ...base, '--text', CORPUS, '--max-steps', '2', '--minutes', '1'], 2, /--max-steps.*--minutes/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = cli(args);
    assert.equal(r.status, code, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |looks like a bug/, r.stderr);
  }
});

test('bertft pretrain: a finished run resumed with a longer --max-steps continues from its checkpoint; other changed settings are refused', () => {
  const out = join(dir, 'extended');
  const short = [...RUN.map((a) => (a === String(STEPS) ? '6' : a)), '--output', out];
  const first = cli(short);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(finalLine(first.stdout).steps, 6);
  const longer = cli([...RUN.map((a) => (a === String(STEPS) ? '10' : a)), '--output', out]);
  assert.equal(longer.status, 0, longer.stderr);
  assert.match(longer.stderr, /resuming from .* at step 6/);
  assert.match(longer.stderr, /length changes from 6 steps to 10 steps/);
  assert.equal(finalLine(longer.stdout).steps, 10);
  const other = cli([...RUN.map((a) => (a === String(STEPS) ? '10' : a === '5' ? '6' : a)), '--output', out]);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /written by a run with other settings/);
});

test('bertft pretrain --freeze-word-embeddings: the word-piece table (and the tied decoder) stay as they were; the rest trains', async () => {
  const out = join(dir, 'frozen-embeddings');
  const r = cli([
    'pretrain',
    '--model',
    EMBEDDED_MODEL_DIR,
    '--text',
    CORPUS,
    '--max-length',
    '32',
    '--batch-size',
    '8',
    '--max-steps',
    '4',
    '--learning-rate',
    '1e-3',
    '--freeze-word-embeddings',
    '--quiet',
    '--output',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const before = (await readSafetensors(join(EMBEDDED_MODEL_DIR, 'model.safetensors'))).tensors;
  const after = (await readSafetensors(join(out, 'model.safetensors'))).tensors;
  const table = 'bert.embeddings.word_embeddings.weight';
  assert.deepEqual(after.get(table)!.data, before.get(table)!.data, 'the word embeddings are unchanged');
  for (const name of ['bert.encoder.layer.0.attention.self.query.weight', 'bert.embeddings.position_embeddings.weight', 'cls.predictions.bias']) {
    const [a, b] = [after.get(name)!.data, before.get(name)!.data];
    assert.ok(
      a.some((v, i) => v !== b[i]),
      `${name} trained`,
    );
  }
  const results = JSON.parse(readFileSync(join(out, 'pretraining_results.json'), 'utf8'));
  assert.equal(results.hyperparameters.freeze_word_embeddings, true);
});
