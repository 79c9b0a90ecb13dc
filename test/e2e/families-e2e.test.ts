/**
 * Text → ids → probabilities for the BERT family against Hugging Face (shared/fixtures/hf-e2e, see
 * its README.md): tokenizers 0.23.2 and transformers 5.17 on the texts of texts.json, pairs
 * included, truncated at the folders' model_max_length (64).
 * - Every family's `seq/` tokenizer (WordPiece for bert, distilbert, electra; byte-level BPE for
 *   roberta and modernbert; Metaspace Unigram for xlm-roberta, albert, deberta-v2) gives the
 *   fixture's ids and type ids exactly, and its special tokens by role.
 * - For the families that load (bert, distilbert, roberta, xlm-roberta, electra, deberta-v2, modernbert):
 *   `TextClassifier.predict` gives the fixture's probabilities within 1e-4, and so does
 *   `bertft predict --model <dir>` on JSON lines with `text_pair`.
 * - Word ids: the per-piece `isContinuation` agrees with the tokenizer's word ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextClassifier } from '../../src/classifier.js';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { runCli } from '../helpers/cli.js';
import { needsShared, sharedData, sharedPath } from '../helpers/shared.js';

const LOADABLE = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'deberta-v2', 'modernbert'] as const;
const TOKENIZER_ONLY = ['albert'] as const;
const ALL = [...LOADABLE, ...TOKENIZER_ONLY];

type Text = string | [string, string];

interface Row {
  ids: number[];
  type_ids: number[];
  tokens: string[];
  seq_probs: number[];
}

interface Expected {
  max_length: number;
  texts: Text[];
  rows: Row[];
}

const expected = (family: string) =>
  sharedData(() => JSON.parse(readFileSync(sharedPath('fixtures', 'hf-e2e', family, 'expected.json'), 'utf8')) as Expected)();
const seqDir = (family: string) => sharedPath('fixtures', 'hf-e2e', family, 'seq');
const split = (t: Text): [string, string | undefined] => (Array.isArray(t) ? t : [t, undefined]);

/** The tokenizer kind and special tokens (cls, sep, pad, mask, unk) each fixture's folder gives. */
const KINDS: Record<(typeof ALL)[number], [string, string[]]> = {
  bert: ['wordpiece', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
  distilbert: ['wordpiece', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
  electra: ['wordpiece', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
  roberta: ['bpe', ['<s>', '</s>', '<pad>', '<mask>', '<unk>']],
  'xlm-roberta': ['unigram', ['<s>', '</s>', '<pad>', '<mask>', '<unk>']],
  albert: ['unigram', ['[CLS]', '[SEP]', '<pad>', '[MASK]', '<unk>']],
  'deberta-v2': ['unigram', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
  modernbert: ['bpe', ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]']],
};

function specialTokens(tok: BertTokenizer): (string | undefined)[] {
  return [tok.clsId, tok.sepId, tok.padId, tok.maskId!, tok.unkId].map((id) => tok.idToToken(id));
}

for (const family of ALL) {
  test(`${family}: token ids, type ids and special tokens of every text equal tokenizers'`, needsShared(), async () => {
    const e = expected(family);
    const tok = await BertTokenizer.fromDir(seqDir(family));
    assert.equal(tok.kind, KINDS[family][0]);
    assert.deepEqual(specialTokens(tok), KINDS[family][1]);
    for (const [i, t] of e.texts.entries()) {
      const [a, b] = split(t);
      const got = await tok.encode(a, b, { maxLength: e.max_length });
      assert.deepEqual(got.ids, e.rows[i]!.ids, `${family} text ${i}`);
      assert.deepEqual(got.typeIds, e.rows[i]!.type_ids, `${family} text ${i}: type ids`);
    }
    // The batch path (what training and predict use) gives the same rows.
    const texts = e.texts.map((t) => split(t)[0]);
    const pairs = e.texts.map((t) => split(t)[1] ?? '');
    const singles = await tok.encodeBatch(texts, undefined, { maxLength: e.max_length });
    e.texts.forEach((t, i) => {
      if (Array.isArray(t)) return;
      const row = Array.from(singles.inputIds.subarray(i * singles.seqLength, i * singles.seqLength + singles.lengths[i]!));
      assert.deepEqual(row, e.rows[i]!.ids, `${family} batch row ${i}`);
    });
    const paired = await tok.encodeBatch(texts, pairs, { maxLength: e.max_length });
    e.texts.forEach((t, i) => {
      if (!Array.isArray(t)) return;
      const row = Array.from(paired.inputIds.subarray(i * paired.seqLength, i * paired.seqLength + paired.lengths[i]!));
      assert.deepEqual(row, e.rows[i]!.ids, `${family} batch pair ${i}`);
    });
  });
}

for (const family of ALL) {
  test(`${family}: isContinuation agrees with the tokenizer's word ids`, needsShared(), async () => {
    const e = expected(family);
    const tok = await BertTokenizer.fromDir(seqDir(family));
    let tokens = 0;
    const disagree: string[] = [];
    for (const t of e.texts) {
      const [a, b] = split(t);
      const enc = await tok.encode(a, b, { maxLength: 512, words: true });
      const wordIds = enc.wordIds!;
      const fromWords = BertTokenizer.continuations(wordIds);
      enc.ids.forEach((id, k) => {
        if (wordIds[k] === null || k === 0 || wordIds[k - 1] === null) return; // a segment's first piece starts a word
        tokens += 1;
        if (tok.isContinuation(id) !== fromWords[k]) disagree.push(`${tok.idToToken(enc.ids[k - 1]!)}|${tok.idToToken(id)}`);
      });
    }
    // WordPiece and Metaspace mark every boundary on the piece; byte-level BPE splits some words
    // (a run of punctuation, CJK punctuation after CJK letters) where only the pieces before say so.
    const allowed = tok.kind === 'bpe' ? Math.ceil(tokens * 0.02) : 0;
    assert.ok(disagree.length <= allowed, `${family}: ${disagree.length} of ${tokens} disagree: ${disagree.join(' ')}`);
  });
}

for (const family of LOADABLE) {
  test(`${family}: TextClassifier.predict gives transformers' probabilities within 1e-4, pairs included`, needsShared(), async () => {
    const e = expected(family);
    const classifier = await TextClassifier.fromPretrained(seqDir(family));
    assert.equal(classifier.maxLength, e.max_length, 'truncates at model_max_length, as truncation=True does');
    const texts = e.texts.map((t) => split(t)[0]);
    const pairs = e.texts.map((t) => split(t)[1]);
    // One call: a row without a second text is a single text.
    const predictions = await classifier.predict(texts, { pairs });
    let worst = 0;
    e.texts.forEach((t, i) => {
      const p = predictions[i]!;
      assert.equal(p.text_pair, Array.isArray(t) ? t[1] : undefined);
      classifier.labels.forEach((l, c) => (worst = Math.max(worst, Math.abs(p.scores[l]! - e.rows[i]!.seq_probs[c]!))));
    });
    assert.ok(worst < 1e-4, `${family}: max probability difference ${worst}`);
    // Through the classifier's own tokenizer (type ids follow the model's token-type table).
    const tok = classifier.folder.tokenizer;
    const types = classifier.folder.config.typeVocabSize;
    for (const [i, t] of e.texts.entries()) {
      const enc = await tok.encode(...split(t), { maxLength: e.max_length });
      assert.deepEqual(enc.ids, e.rows[i]!.ids);
      // DistilBERT and DeBERTa-v3 have no token-type table: their type ids are never read.
      const noTypes = family === 'distilbert' || family === 'deberta-v2';
      assert.ok(noTypes || enc.typeIds.every((id) => id < types), `${family}: type ids within the model's ${types} types`);
    }
    await classifier.dispose();
  });
}

test('bertft predict --model on JSON lines with text_pair gives transformers’ probabilities', needsShared(), () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-families-e2e-'));
  for (const family of LOADABLE) {
    const e = expected(family);
    const file = join(dir, `${family}.jsonl`);
    writeFileSync(file, `${e.texts.map((t) => JSON.stringify(Array.isArray(t) ? { text: t[0], text_pair: t[1] } : { text: t })).join('\n')}\n`);
    const r = runCli(['predict', '--model', seqDir(family), '--quiet', file]);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; text_pair?: string; scores: Record<string, number> });
    assert.equal(out.length, e.texts.length);
    out.forEach((p, i) => {
      assert.deepEqual([p.text, p.text_pair], split(e.texts[i]!));
      const worst = Math.max(...['negative', 'neutral', 'positive'].map((l, c) => Math.abs(p.scores[l]! - e.rows[i]!.seq_probs[c]!)));
      assert.ok(worst < 1e-4, `${family} CLI text ${i}: ${worst}`);
    });
  }
});
