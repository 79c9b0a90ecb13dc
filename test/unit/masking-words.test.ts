/**
 * Whole-word masking finds words by the tokenizer's word ids (src/pretraining/corpus.ts keeps one
 * continuation flag a piece; src/pretraining/masking.ts draws per word from them):
 * - WordPiece (the embedded model's bert-base-uncased tokenizer): the flags are the `##` rule, so
 *   masks are identical to the piece rule's for the same seed, packed and line by line;
 * - byte-level BPE (RoBERTa): where the piece rule is wrong (a digit after letters, `!` after `?`)
 *   the masks follow the word ids: a word is selected whole, and neighbouring words independently;
 * - the corpus cache keeps the flags, and a cache of another layout is rebuilt, not misread.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCorpus, corpusBatch, type Corpus } from '../../src/pretraining/corpus.js';
import { maskBatch, maskSeed, type MaskingOptions, type WordBatch } from '../../src/pretraining/masking.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { EMBEDDED_MODEL_DIR, needsShared, sharedPath } from '../helpers/shared.js';
import { LONG_REVIEW, REVIEW, sentences } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-wwm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = [
  ...sentences(120, 3),
  REVIEW,
  LONG_REVIEW,
  'unbelievably, tokenization of hyperparameters is incomprehensible',
  'the antidisestablishmentarianism debate',
  "the cinematographer's overwrought melodramatics and unconvincing prestidigitation",
  'microeconomics, photosynthesis and thermodynamics were untranslatable to the screenwriters',
];

function maskingOf(tok: BertTokenizer, rate: number, withPieceRule: boolean): MaskingOptions {
  return {
    rate,
    wholeWord: true,
    maskId: tok.maskId!,
    vocabSize: tok.vocabSize,
    specialIds: new Set([tok.clsId, tok.sepId, tok.padId, tok.maskId!]),
    ...(withPieceRule ? { isContinuation: (id: number) => tok.isContinuation(id) } : {}),
  };
}

/** The batch without its word flags: what masking saw before word ids. */
function withoutFlags(batch: WordBatch): WordBatch {
  const { continues: _flags, ...rest } = batch;
  return rest;
}

async function corpusOf(tok: BertTokenizer, texts: string[], lineByLine: boolean, name: string): Promise<Corpus> {
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, `${texts.join('\n')}\n`);
  return buildCorpus([file], tok, { maxLength: 32, lineByLine });
}

for (const lineByLine of [false, true]) {
  test(`WordPiece (${lineByLine ? 'line by line' : 'packed'}): word-id flags are the ## rule, and the masks are identical for every seed`, async () => {
    const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
    assert.equal(tok.kind, 'wordpiece');
    const corpus = await corpusOf(tok, TEXTS, lineByLine, `wordpiece-${lineByLine}`);
    assert.equal(corpus.continues.length, corpus.ids.length);
    const fromPieces = Uint8Array.from(corpus.ids, (id) => (tok.isContinuation(id) ? 1 : 0));
    assert.deepEqual(corpus.continues, fromPieces);
    assert.ok(corpus.continues.reduce((s, f) => s + f, 0) > 40, 'the texts should have ## pieces');
    // Packed blocks may start inside a word: that piece keeps its flag and is drawn as a word of its own, as before.
    if (!lineByLine)
      assert.ok(Array.from({ length: corpus.size }, (_, r) => corpus.continues[corpus.offsets[r]! + 1]).includes(1), 'some block starts with a ## piece');
    const byPieces = maskingOf(tok, 0.15, true);
    const byWords = maskingOf(tok, 0.15, false);
    let batches = 0;
    for (let step = 0; step < 8; step++) {
      for (let start = 0; start < corpus.size; start += 16) {
        const rows = Array.from({ length: Math.min(16, corpus.size - start) }, (_, k) => start + k);
        const batch = corpusBatch(corpus, rows, tok.padId);
        assert.ok(batch.continues);
        const seed = maskSeed(5, step, start);
        const a = maskBatch(withoutFlags(batch), byPieces, seed);
        const b = maskBatch(batch, byWords, seed);
        // Both the flags alone and flags with the piece rule present (flags win) give the piece rule's masks.
        const c = maskBatch(batch, byPieces, seed);
        for (const m of [b, c]) {
          assert.deepEqual(m.masked.positions, a.masked.positions, `step ${step}, rows from ${start}`);
          assert.deepEqual(m.masked.labels, a.masked.labels);
          assert.deepEqual(m.tokens.inputIds, a.tokens.inputIds);
        }
        assert.equal('continues' in b.tokens, false, 'the masked tokens carry no flags');
        batches++;
      }
    }
    assert.ok(batches >= 16);
  });
}

test('byte-level BPE: masks follow the word ids where the piece rule is wrong (digits after letters, ! after ?)', needsShared(), async () => {
  const tok = await BertTokenizer.fromDir(sharedPath('fixtures', 'hf-e2e', 'roberta', 'seq'));
  assert.equal(tok.kind, 'bpe');
  const texts = ['abc123def', 'wait... what?!'];
  // What the tokenizer's word ids say, and where the piece rule disagrees.
  const disagree: string[] = [];
  for (const text of texts) {
    const enc = await tok.encodeWithOffsets(text);
    const fromWords = BertTokenizer.continuations(enc.wordIds);
    const [p] = await tok.piecesOf([text]);
    assert.deepEqual([...p!.continues], fromWords.filter((_, k) => !enc.special[k]).map(Number));
    enc.ids.forEach((id, k) => {
      if (k > 1 && !enc.special[k] && tok.isContinuation(id) !== fromWords[k]) disagree.push(`${enc.tokens[k - 1]}|${enc.tokens[k]}`);
    });
  }
  // "abc123def" is three words (abc, 123, def); "?!" is one: the piece rule joins c|1 and 3|d and splits ?|!.
  assert.ok(disagree.includes('c|1') && disagree.includes('3|d') && disagree.includes('?|!'), disagree.join(' '));

  const corpus = await corpusOf(tok, texts, true, 'bpe');
  const words = (row: number): number[][] => {
    // Groups of corpus positions that form one word by the flags (specials excluded).
    const out: number[][] = [];
    for (let i = corpus.offsets[row]! + 1; i < corpus.offsets[row + 1]! - 1; i++) {
      if (corpus.continues[i] === 1 && out.length > 0) out.at(-1)!.push(i - corpus.offsets[row]!);
      else out.push([i - corpus.offsets[row]!]);
    }
    return out;
  };
  const row0 = words(0).map((w) => w.map((k) => tok.idToToken(corpus.ids[corpus.offsets[0]! + k]!)).join(''));
  assert.deepEqual(row0, ['abc', '123', 'def']);
  const row1 = words(1).map((w) => w.map((k) => tok.idToToken(corpus.ids[corpus.offsets[1]! + k]!)).join(''));
  assert.deepEqual(row1, ['wait', '...', 'Ġwhat', '?!']);

  const batch = corpusBatch(corpus, [0, 1], tok.padId);
  const byWords = maskingOf(tok, 0.5, false);
  const byPieces = maskingOf(tok, 0.5, true);
  const seq = batch.seqLength;
  // c|1 in row 0 and ?|! in row 1, as batch positions.
  const c = words(0)[0]!.at(-1)!;
  const one = words(0)[1]![0]!;
  const question = seq + words(1)[3]![0]!;
  let abcWithout123 = 0;
  let pieceRuleSplitQuestion = 0;
  for (let seed = 0; seed < 64; seed++) {
    const sel = new Set(maskBatch(batch, byWords, seed).masked.positions);
    for (const [r, ws] of [words(0), words(1)].entries())
      for (const w of ws) assert.equal(new Set(w.map((k) => sel.has(r * seq + k))).size, 1, `seed ${seed}: a word partly selected`);
    if (sel.has(c) !== sel.has(one)) abcWithout123++;
    const old = new Set(maskBatch(withoutFlags(batch), byPieces, seed).masked.positions);
    assert.equal(old.has(c), old.has(one), 'the piece rule joins abc and 123');
    if (old.has(question) !== old.has(question + 1)) pieceRuleSplitQuestion++;
  }
  assert.ok(abcWithout123 > 10, `abc and 123 are drawn independently by word ids (${abcWithout123} of 64 seeds differ)`);
  assert.ok(pieceRuleSplitQuestion > 10, `the piece rule splits ?! (${pieceRuleSplitQuestion} of 64 seeds)`);
});

test('corpus cache: flags round-trip; a cache file of another layout is rebuilt, not misread', async () => {
  const tok = await BertTokenizer.fromDir(EMBEDDED_MODEL_DIR);
  const file = join(dir, 'cached.txt');
  writeFileSync(file, `${TEXTS.slice(0, 60).join('\n')}\n`);
  const cacheDir = join(dir, 'cache');
  const fresh = await buildCorpus([file], tok, { maxLength: 32, cacheDir });
  const cached = readdirSync(cacheDir).filter((f) => f.startsWith('.corpus-'));
  assert.equal(cached.length, 1);
  const cacheFile = join(cacheDir, cached[0]!);
  const written = readFileSync(cacheFile);
  const again = await buildCorpus([file], tok, { maxLength: 32, cacheDir });
  assert.deepEqual(again.ids, fresh.ids);
  assert.deepEqual(again.continues, fresh.continues);
  assert.deepEqual(again.offsets, fresh.offsets);
  assert.equal(again.wordPieces, fresh.wordPieces);
  // The first layout (int32 documents, offsets, ids; no flags) under this name: rebuilt and rewritten.
  const head = new Int32Array(written.buffer.slice(written.byteOffset, written.byteOffset + 12));
  const [, documents, pieces] = head;
  const old = new Int32Array(1 + documents! + 1 + pieces!);
  old[0] = documents!;
  old.set(new Int32Array(written.buffer.slice(written.byteOffset + 12, written.byteOffset + 12 + 4 * (documents! + 1 + pieces!))), 1);
  writeFileSync(cacheFile, new Uint8Array(old.buffer));
  const rebuilt = await buildCorpus([file], tok, { maxLength: 32, cacheDir });
  assert.deepEqual(rebuilt.ids, fresh.ids);
  assert.deepEqual(rebuilt.continues, fresh.continues);
  assert.deepEqual(readFileSync(cacheFile), written);
});
