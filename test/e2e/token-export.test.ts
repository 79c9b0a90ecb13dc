/**
 * `bertft export` of a token classifier (`<Family>ForTokenClassification`): transformers.js's
 * `pipeline('token-classification', dir)` over the export gives, token for token, the label and
 * score of bertft's own forward (onnxruntime, the folder's tokenizer, softmax + argmax per token).
 *
 * How transformers.js (v4.3) numbers its output: with `aggregation_strategy: 'none'` it returns one
 * entry per word piece, not per word; `index` is the piece's position in `input_ids`, counting the
 * leading [CLS] as 0 (so the first word's first piece is index 1), and `word` is that one piece
 * decoded on its own (`##ing` keeps its `##`). It drops every piece that decodes to '' with
 * `skip_special_tokens`: [CLS], [SEP], padding, and also [UNK] (a special token of tokenizer.json),
 * so an unknown piece inside a text gets no entry. A word's label is its first piece's: the entry
 * whose index is the word's first token in bertft's `encode(text, { words: true })`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { readTokenClassifierConfig } from '../../src/checkpoint/token-classifier-config.js';
import { OnnxEncoderRunner } from '../../src/engine/onnx/runner.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { classifierWidth } from '../../src/heads/classification.js';
import { loadPretrained } from '../../src/pretrained.js';
import { fineTuneTokens } from '../../src/training/token-fine-tune.js';
import { needsShared, sharedPath } from '../helpers/shared.js';

const TOLERANCE = 1e-4;
const SENTENCES = 200;

const work = mkdtempSync(join(tmpdir(), 'bertft-token-export-'));
after(() => rmSync(work, { recursive: true, force: true }));

before(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});

/** One transformers.js token-classification entry (aggregation_strategy 'none'). */
interface Entity {
  entity: string;
  score: number;
  index: number;
  word: string;
}

/** A token as bertft scores it: its id, word, best label and that label's probability. */
interface Scored {
  index: number;
  id: number;
  word: number | null;
  label: string;
  score: number;
}

/** The first `n` sentences of a CoNLL file (word<TAB>tag lines, blank lines between sentences), words joined by single spaces. */
function conllTexts(file: string, n: number): string[] {
  const texts: string[] = [];
  let words: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (texts.length === n) break;
    const word = line.trim() === '' || line.startsWith('-DOCSTART-') ? '' : line.split('\t')[0]!;
    if (word !== '') words.push(word);
    else if (words.length > 0) {
      texts.push(words.join(' '));
      words = [];
    }
  }
  if (words.length > 0 && texts.length < n) texts.push(words.join(' '));
  return texts;
}

function softmax(z: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Index and value of the largest entry (the first on ties, as transformers.js's `max`). */
function argmax(values: readonly number[]): [number, number] {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return [best, values[best]!];
}

/**
 * bertft's own forward on each text, one text per batch (no padding): the folder's tokenizer cut at
 * the trained max_length, the token classifier on onnxruntime, softmax + argmax per token; special
 * tokens (the [CLS] … [SEP] the post-processor adds) are left out of `tokens`.
 */
async function bertftTokens(dir: string, texts: string[]): Promise<{ rows: Scored[][]; unkId: number; sepId: number }> {
  const { config, raw, weights, tokenClassifier, tokenizer } = await loadPretrained(dir, { offline: true });
  assert.ok(tokenClassifier, `${dir} loads as a token classifier`);
  const width = classifierWidth(tokenClassifier)!;
  const { labels, maxLength } = readTokenClassifierConfig(raw, config, width);
  const template = await tokenizer.singleSequenceTemplate();
  const runner = await OnnxEncoderRunner.create(config, weights, { tokenClassifier });
  const rows: Scored[][] = [];
  for (const text of texts) {
    const { ids, typeIds, wordIds } = await tokenizer.encode(text, undefined, { maxLength, words: true });
    const S = ids.length;
    const logits = await runner.run({
      batchSize: 1,
      seqLength: S,
      inputIds: Int32Array.from(ids),
      attentionMask: new Int32Array(S).fill(1),
      tokenTypeIds: Int32Array.from(typeIds),
    });
    const row: Scored[] = [];
    for (let j = template.prefixIds.length; j < S - template.suffixIds.length; j++) {
      const [best, score] = argmax(softmax(logits.subarray(j * width, (j + 1) * width)));
      row.push({ index: j, id: ids[j]!, word: wordIds![j] ?? null, label: labels[best]!, score });
    }
    rows.push(row);
  }
  await runner.dispose();
  return { rows, unkId: tokenizer.unkId, sepId: tokenizer.sepId };
}

/** Compares transformers.js's entries with bertft's tokens of one text; returns the largest score difference. */
function compareRow(i: number, theirs: Entity[], ours: Scored[], unkId: number): number {
  // transformers.js reports every piece but [UNK] (see the header).
  const reported = ours.filter((t) => t.id !== unkId);
  assert.deepEqual(
    theirs.map((e) => e.index),
    reported.map((t) => t.index),
    `text ${i}: transformers.js reports the non-special pieces, numbered by their position in input_ids`,
  );
  let worst = 0;
  theirs.forEach((e, k) => {
    const want = reported[k]!;
    assert.equal(e.entity, want.label, `text ${i} token ${e.index} (${e.word})`);
    const diff = Math.abs(e.score - want.score);
    worst = Math.max(worst, diff);
    assert.ok(diff < TOLERANCE, `text ${i} token ${e.index} (${e.word}): transformers.js ${e.score} vs bertft ${want.score}`);
  });
  return worst;
}

test(
  `token-classification export: transformers.js gives bertft's label and score (within ${TOLERANCE}) for every token of ${SENTENCES} WikiANN test sentences`,
  needsShared({ timeout: 300_000 }),
  async () => {
    const data = sharedPath('token-datasets', 'wikiann_en');
    const model = join(work, 'ner');
    await fineTuneTokens({ train: join(data, 'train.conll'), validation: join(data, 'dev.conll'), limit: 1000, output: model, epochs: 1, seed: 0 });
    const out = join(work, 'ner-onnx');
    const result = await exportModel(model, out, { quantize: true });
    assert.equal(result.task, 'token-classification', 'the default task of a …ForTokenClassification folder');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx'])
      assert.ok(existsSync(join(out, f)), f);
    const source = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.architectures, ['BertForTokenClassification']);
    assert.deepEqual(cfg.id2label, source.id2label, 'id2label survives: it names the entities');
    const maxLength = (source.bertft as { max_length: number }).max_length;
    // One below the trained length: the graph appends the [SEP] of a text transformers.js cut (sep-guard.ts appendSepToCutRows).
    assert.equal((JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number }).model_max_length, maxLength - 1);

    const texts = conllTexts(join(data, 'test.conll'), SENTENCES);
    assert.equal(texts.length, SENTENCES);
    const { rows: ours, unkId, sepId } = await bertftTokens(model, texts);

    const tagger = await pipeline('token-classification', out, { dtype: 'fp32' });
    // The very ids bertft ran, so `index` means the same position on both sides. A text longer
    // than max_length is cut by transformers.js after the specials were added, at max_length - 1:
    // `[CLS] w1 … w126`, where bertft has `[CLS] w1 … w126 [SEP]` (the graph appends that [SEP]).
    const cut = ours.map((row, i) => {
      const ids = (tagger.tokenizer(texts[i]!, { truncation: true }).input_ids.tolist() as bigint[][])[0]!.map(Number);
      const closed = ids.at(-1) === sepId;
      assert.deepEqual(
        ids.slice(1, closed ? -1 : undefined),
        row.map((t) => t.id),
        `text ${i}: transformers.js tokenizes as bertft`,
      );
      return !closed;
    });
    const cutCount = cut.filter(Boolean).length;
    assert.ok(cutCount >= 1, 'some test sentence is longer than max_length, so the separator guard is exercised');
    // All texts in one call: transformers.js pads them, so its masking is exercised too.
    const theirs = (await tagger(texts, { ignore_labels: [] })) as unknown as Entity[][];
    await tagger.dispose();
    let worst = 0;
    theirs.forEach((row, i) => {
      worst = Math.max(worst, compareRow(i, row, ours[i]!, unkId));
    });
    const tokens = ours.flat();
    const labels = new Set(tokens.map((t) => t.label));
    assert.ok(labels.size > 2, `the classifier must tag more than O: ${[...labels].join(', ')}`);
    // Words: a word's label is its first piece's, found in transformers.js's output by index.
    const wordStarts = ours.flatMap((row) => row.filter((t, k) => t.word !== null && (k === 0 || row[k - 1]!.word !== t.word)));
    const reported = new Set(theirs.flatMap((row, i) => row.map((e) => `${i}:${e.index}`)));
    const words = ours.map((row) => row.filter((t, k) => t.word !== null && (k === 0 || row[k - 1]!.word !== t.word)));
    const unlabelled = words.flatMap((row, i) => row.filter((t) => !reported.has(`${i}:${t.index}`)));
    assert.ok(
      unlabelled.every((t) => t.id === unkId),
      'every word has its first piece in the output, unless that piece is [UNK]',
    );
    console.log(
      `max score difference over ${tokens.length} tokens (${wordStarts.length} words, ${unlabelled.length} starting with [UNK], texts cut at ${maxLength}: ${cutCount}): ${worst.toExponential(2)}; labels ${[...labels].join(' ')}`,
    );

    // Texts far past max_length (30 sentences each): every one is cut, and every piece transformers.js keeps still agrees.
    const more = conllTexts(join(data, 'test.conll'), SENTENCES + 300).slice(SENTENCES);
    const long = Array.from({ length: 10 }, (_, k) => more.slice(30 * k, 30 * k + 30).join(' '));
    const { rows: oursLong } = await bertftTokens(model, long);
    assert.ok(
      oursLong.every((row) => row.length === maxLength - 2),
      'every long text fills the window',
    );
    const tagger2 = await pipeline('token-classification', out, { dtype: 'fp32' });
    const theirsLong = (await tagger2(long, { ignore_labels: [] })) as unknown as Entity[][];
    await tagger2.dispose();
    theirsLong.forEach((row, i) => {
      worst = Math.max(worst, compareRow(i, row, oursLong[i]!, unkId));
    });
    console.log(`with 10 texts cut at ${maxLength}: max score difference ${worst.toExponential(2)}`);

    // The int8 file loads as dtype q8 and keeps the clear winners.
    const q8 = await pipeline('token-classification', out, { dtype: 'q8' });
    const quantized = (await q8(texts.slice(0, 20), { ignore_labels: [] })) as unknown as Entity[][];
    await q8.dispose();
    let moved = 0;
    quantized.forEach((row, i) => {
      row.forEach((e, k) => {
        const fp32 = theirs[i]![k]!;
        assert.equal(e.index, fp32.index);
        if (fp32.score > 0.9) assert.equal(e.entity, fp32.entity, `q8 text ${i} token ${e.index}`);
        if (e.entity === fp32.entity) moved = Math.max(moved, Math.abs(e.score - fp32.score));
      });
    });
    assert.ok(moved > 0 && moved < 0.1, `q8 scores move by ${moved}`);
  },
);

test(
  'a Hugging Face RobertaForTokenClassification exports; transformers.js gives the labels and scores of HF Python',
  needsShared({ timeout: 60_000 }),
  async () => {
    const dir = sharedPath('fixtures', 'hf-e2e', 'roberta');
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      texts: (string | string[])[];
      rows: { ids: number[]; tok_logits: number[][]; tok_labels: string[] }[];
    };
    const out = join(work, 'roberta-tok-onnx');
    assert.equal((await exportModel(join(dir, 'tok'), out)).task, 'token-classification');
    const tagger = await pipeline('token-classification', out, { dtype: 'fp32' });
    // Single texts only; the long one (index 7) is cut at 64 pieces by Python and at 63 by
    // transformers.js, whose graph appends the </s>: the same pieces, scored alike.
    const picked = expected.texts.flatMap((t, i) => (typeof t === 'string' ? [i] : []));
    assert.ok(picked.includes(7));
    let worst = 0;
    for (const i of picked) {
      const row = expected.rows[i]!;
      const theirs = (await tagger(expected.texts[i] as string, { ignore_labels: [] })) as unknown as Entity[];
      assert.ok(theirs.length > 0);
      for (const e of theirs) {
        assert.equal(e.entity, row.tok_labels[e.index], `text ${i} token ${e.index} (${e.word})`);
        const want = Math.max(...softmax(row.tok_logits[e.index]!));
        worst = Math.max(worst, Math.abs(e.score - want));
        assert.ok(Math.abs(e.score - want) < TOLERANCE, `text ${i} token ${e.index}: ${e.score} vs ${want}`);
      }
      assert.equal(theirs.at(-1)!.index, row.ids.length - 2, `text ${i}: every piece up to the closing </s> is reported, and no more`);
    }
    await tagger.dispose();
    console.log(`roberta: max score difference ${worst.toExponential(2)} over ${picked.length} texts`);
  },
);
