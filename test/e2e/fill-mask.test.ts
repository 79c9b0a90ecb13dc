/**
 * Masked-LM inference and fill-mask, checked against routes that share no code with src/: the
 * float64 BERT + masked-LM head of test/reference/bert64.ts (reading model.safetensors with its
 * own parser), the plain-TypeScript WordPiece of test/reference/wordpiece.ts, and transformers.js'
 * own fill-mask pipeline on the `bertft export` of the model.
 *
 * Two models: a small random BertForMaskedLM written here in the Hugging Face layout (weights
 * large enough that logits spread over several units, so the 1e-4 tolerance means something),
 * and the real pre-trained embedded model models/bert-tiny-en (30,522-token vocabulary; its weights
 * get replaced, so only agreement between the routes is checked, never its particular predictions).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { MLM_HEAD_NAMES, loadBertWeights, readBertConfig, writeSafetensors } from '../../src/checkpoint/index.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { createSession, int64Tensor, loadOrt } from '../../src/engine/onnx/session.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';
import { traceMaskedLm } from '../../src/engine/onnx/trace.js';
import { BertftError, UsageError } from '../../src/errors.js';
import {
  FillMaskTextError,
  MaskedLanguageModel,
  decodeWordPieces,
  fillMask,
  type FillMaskPrediction,
  type FillMaskResult,
} from '../../src/inference/fill-mask.js';
import { createMaskedLmRunner, resolveMaskedLmHead } from '../../src/inference/masked-lm.js';
import { bertParamNames } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import { runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { randomRefWeights, refBertForward, refMaskedLmLogits, type RefConfig, type RefWeights } from '../reference/bert64.js';
import { loadRefCheckpoint } from '../reference/safetensors64.js';
import { RefWordPiece } from '../reference/wordpiece.js';

/** Max abs difference of logits (float32 engine vs float64 reference), and of fill-mask probabilities. */
const TOLERANCE = 1e-4;

const work = mkdtempSync(join(tmpdir(), 'bertft-fill-mask-'));
after(() => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// A small random BertForMaskedLM in the Hugging Face layout

const WORDS = [
  'the',
  'a',
  'movie',
  'film',
  'was',
  'is',
  'good',
  'bad',
  'great',
  'i',
  'it',
  'this',
  'love',
  'hate',
  'play',
  '##ing',
  '##ed',
  '##s',
  '.',
  ',',
  '!',
  "'",
  's',
  't',
  'n',
];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS];
const small: RefConfig = {
  vocabSize: VOCAB.length,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 64,
  maxPositions: 24,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
};
const smallRaw = {
  architectures: ['BertForMaskedLM'],
  model_type: 'bert',
  vocab_size: small.vocabSize,
  hidden_size: small.hiddenSize,
  num_hidden_layers: small.numLayers,
  num_attention_heads: small.numHeads,
  intermediate_size: small.intermediateSize,
  max_position_embeddings: small.maxPositions,
  type_vocab_size: small.typeVocabSize,
  layer_norm_eps: small.layerNormEps,
  hidden_act: 'gelu',
  pad_token_id: 0,
  tie_word_embeddings: true,
};

/** std 0.3: big enough for logits of several units (N(0, 0.02) would give logits ≈ 0.1, where 1e-4 is loose). */
const smallRef = randomRefWeights(small, 7, { std: 0.3, maskedLm: true });
/** Float32 copies in bertft's naming (no `bert.` prefix), BertForMaskedLM has no pooler and no classifier. */
const f32 = (t: { shape: number[]; data: Float64Array }): HostTensor => ({ shape: [...t.shape], data: Float32Array.from(t.data) });
const isEncoder = (n: string) => !n.startsWith('pooler.') && !n.startsWith('classifier.') && !n.startsWith('cls.');
const smallWeights = new Map([...smallRef].filter(([n]) => isEncoder(n)).map(([n, t]) => [n, f32(t)]));
const smallHead = new Map([...smallRef].filter(([n]) => n.startsWith('cls.predictions.')).map(([n, t]) => [n, f32(t)]));

/** Writes config.json, vocab.txt, tokenizer_config.json and model.safetensors in the BertForMaskedLM layout: bert.* + cls.predictions.*, decoder not stored. */
async function writeSmallFolder(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, HostTensor>();
  for (const [n, t] of smallWeights) tensors.set(`bert.${n}`, t);
  for (const [n, t] of smallHead) tensors.set(n, t);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(smallRaw, null, 2));
  writeFileSync(join(dir, 'vocab.txt'), `${VOCAB.join('\n')}\n`);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, tokenizer_class: 'BertTokenizer' }));
}

const smallDir = join(work, 'small-mlm');
/** The same encoder without a head (a BertModel folder). */
const noHeadDir = join(work, 'no-head');

before(async () => {
  await writeSmallFolder(smallDir);
  mkdirSync(noHeadDir);
  await writeSafetensors(join(noHeadDir, 'model.safetensors'), smallWeights);
  writeFileSync(join(noHeadDir, 'config.json'), JSON.stringify({ ...smallRaw, architectures: ['BertModel'] }));
  writeFileSync(join(noHeadDir, 'vocab.txt'), `${VOCAB.join('\n')}\n`);
});

/** Three rows of different lengths, padded to 9, some with token type 1: padding and types are exercised. */
const ROWS = [
  [2, 16, 4, 7, 13, 10, 22, 3],
  [2, 14, 4, 24, 3, 6, 25, 4, 3],
  [2, 4, 3],
];
const TYPES = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 1, 1, 1, 1],
  [0, 0, 0],
];

function padded(rows: number[][], width: number, fill = 0): Int32Array {
  const out = new Int32Array(rows.length * width).fill(fill);
  rows.forEach((r, b) => out.set(r, b * width));
  return out;
}

const S = Math.max(...ROWS.map((r) => r.length));
const BATCH = {
  batchSize: ROWS.length,
  seqLength: S,
  inputIds: padded(ROWS, S),
  tokenTypeIds: padded(TYPES, S),
  attentionMask: padded(
    ROWS.map((r) => r.map(() => 1)),
    S,
  ),
};

/** Reference logits [len, V] of one row run alone (no padding), from weights as read back from the folder. */
function refRowLogits(cfg: RefConfig, w: RefWeights, ids: number[], types: number[]): Float64Array {
  const out = refBertForward(cfg, w, [ids], [types], [ids.map(() => 1)]);
  return refMaskedLmLogits(cfg, w, out.sequence, ids.length);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Logits [B, S, V] of the exported-style graph (logits at every position) on onnxruntime. */
async function sequenceLogits(config: BertConfig, weights: Map<string, HostTensor>, head: Map<string, HostTensor>): Promise<Float32Array> {
  const ort = await loadOrt();
  const session = await createSession(toModelBytes(traceMaskedLm(config, weights, head, { output: 'sequence' })), { threads: 1 });
  const dims = [BATCH.batchSize, BATCH.seqLength];
  const out = await session.run({
    input_ids: int64Tensor(ort, BATCH.inputIds, dims),
    attention_mask: int64Tensor(ort, BATCH.attentionMask, dims),
    token_type_ids: int64Tensor(ort, BATCH.tokenTypeIds, dims),
  });
  assert.deepEqual(out.logits.dims, [BATCH.batchSize, BATCH.seqLength, config.vocabSize]);
  const data = out.logits.data as Float32Array;
  await session.release();
  return data;
}

test('masked-LM logits at every position (ONNX graph) and at chosen rows (onnxruntime and TF.js runners) match the float64 reference', async (t) => {
  const { config } = await readBertConfig(smallDir);
  const loaded = await loadBertWeights(smallDir, config);
  assert.ok(loaded.mlmHead, 'the folder has a masked-LM head');
  const head = resolveMaskedLmHead(loaded.mlmHead, loaded.weights);
  const ref = loadRefCheckpoint(smallDir, { maskedLm: true });
  const V = small.vocabSize;
  const want = ROWS.map((ids, b) => refRowLogits(ref.config, ref.weights, ids, TYPES[b]));
  const spread = Math.max(...want.map((l) => Math.max(...Array.from(l, Math.abs))));
  assert.ok(spread > 2, `reference logits reach ${spread}: large enough for a 1e-4 tolerance to be strict`);

  const all = await sequenceLogits(config, loaded.weights, head);
  ROWS.forEach((ids, b) => {
    const got = all.subarray(b * S * V, (b * S + ids.length) * V);
    const d = maxDiff(got, want[b]);
    assert.ok(d < TOLERANCE, `row ${b}: every position, max |Δ| ${d}`);
    t.diagnostic(`row ${b}: every position, max |Δ| ${d.toExponential(2)} (logits up to ${spread.toFixed(2)})`);
  });

  // Rows b·S + s of the batch, in an order that is not sorted, with a repeat.
  const picks: [number, number][] = [
    [1, 7],
    [0, 2],
    [2, 1],
    [1, 1],
    [0, 2],
    [2, 0],
  ];
  const positions = Int32Array.from(picks.map(([b, s]) => b * S + s));
  const expected = picks.flatMap(([b, s]) => Array.from(want[b].subarray(s * V, (s + 1) * V)));
  for (const engine of ['onnxruntime', 'tfjs'] as const) {
    const runner = await createMaskedLmRunner(config, loaded.weights, head, { engine, backend: 'cpu', threads: 1 });
    assert.equal(runner.engine, engine);
    const got = await runner.run(BATCH, positions);
    await runner.dispose();
    const d = maxDiff(got, expected);
    assert.ok(d < TOLERANCE, `${engine}: chosen rows, max |Δ| ${d}`);
    t.diagnostic(`${engine}: chosen rows, max |Δ| ${d.toExponential(2)}`);
  }
});

test("a BertForMaskedLM-layout folder (bert.* + cls.predictions.*, no decoder) loads by HF names and gives the in-memory model's logits bit for bit", async () => {
  const { config } = await readBertConfig(smallDir);
  const loaded = await loadBertWeights(smallDir, config);
  assert.deepEqual([...loaded.weights.keys()], bertParamNames(config, false));
  assert.equal(loaded.hasPooler, false);
  assert.deepEqual(loaded.ignored, []);
  assert.deepEqual([...loaded.mlmHead!.keys()], [...MLM_HEAD_NAMES]);
  assert.equal(
    loaded.mlmHead!.get('cls.predictions.decoder.weight'),
    loaded.weights.get('embeddings.word_embeddings.weight'),
    'the decoder is the embedding tensor (tied)',
  );
  for (const [n, t] of smallWeights) assert.deepEqual(loaded.weights.get(n), t, n);
  for (const [n, t] of smallHead) assert.deepEqual(loaded.mlmHead!.get(n), t, n);

  const inMemoryHead = new Map([...smallHead, ['cls.predictions.decoder.weight', smallWeights.get('embeddings.word_embeddings.weight')!]]);
  const fromMemory = await sequenceLogits(config, smallWeights, inMemoryHead);
  const fromFolder = await sequenceLogits(config, loaded.weights, resolveMaskedLmHead(loaded.mlmHead!, loaded.weights, smallRaw));
  assert.deepEqual(fromFolder, fromMemory);

  // The same model with the decoder stored (as some exporters write it) and the bias under its
  // legacy name cls.predictions.decoder.bias: still tied, still the same logits.
  const stored = join(work, 'small-mlm-stored-decoder');
  mkdirSync(stored);
  const tensors = new Map<string, HostTensor>();
  for (const [n, t] of smallWeights) tensors.set(`bert.${n}`, t);
  for (const [n, t] of smallHead) tensors.set(n === 'cls.predictions.bias' ? 'cls.predictions.decoder.bias' : n, t);
  tensors.set('cls.predictions.decoder.weight', smallWeights.get('embeddings.word_embeddings.weight')!);
  await writeSafetensors(join(stored, 'model.safetensors'), tensors);
  writeFileSync(join(stored, 'config.json'), JSON.stringify(smallRaw));
  const again = await loadBertWeights(stored, config);
  assert.deepEqual(await sequenceLogits(config, again.weights, resolveMaskedLmHead(again.mlmHead!, again.weights, smallRaw)), fromMemory);

  // Untied (tie_word_embeddings: false) with a different stored decoder: that decoder is used.
  const untiedDecoder: HostTensor = {
    shape: [small.vocabSize, small.hiddenSize],
    data: smallWeights.get('embeddings.word_embeddings.weight')!.data.map((v) => -v),
  };
  const untiedHead = resolveMaskedLmHead(new Map([...loaded.mlmHead!, ['cls.predictions.decoder.weight', untiedDecoder]]), loaded.weights, {
    tie_word_embeddings: false,
  });
  assert.equal(untiedHead.get('cls.predictions.decoder.weight'), untiedDecoder);
  const untied = await sequenceLogits(config, loaded.weights, untiedHead);
  // Negating the decoder negates the logits up to the bias: logits + untied = 2·bias at every row.
  const bias = smallHead.get('cls.predictions.bias')!.data;
  let worst = 0;
  for (let i = 0; i < untied.length; i++) worst = Math.max(worst, Math.abs(untied[i] + fromMemory[i] - 2 * bias[i % small.vocabSize]));
  assert.ok(worst < 1e-5, `untied decoder: ${worst}`);
  // And the tied default ignores a stored decoder that differs, as transformers does.
  assert.equal(
    resolveMaskedLmHead(new Map([...loaded.mlmHead!, ['cls.predictions.decoder.weight', untiedDecoder]]), loaded.weights, smallRaw).get(
      'cls.predictions.decoder.weight',
    ),
    loaded.weights.get('embeddings.word_embeddings.weight'),
  );
});

// ---------------------------------------------------------------------------------------------
// fill-mask on the real pre-trained model

const TEXTS = ['the movie was [MASK].', 'i [MASK] this film, it was really [MASK]!', 'A fine [MASK] with great acting.', "It's the best [MASK] of the year"];
const TOP_K = 5;

/** Softmax in float64. */
function softmax(z: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]);
  const e = Float64Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** fillMask of TEXTS on the pre-trained model, computed once for the tests that compare with it. */
let tinyPromise: Promise<FillMaskResult[]> | undefined;
const tinyFill = () => (tinyPromise ??= fillMask(EMBEDDED_MODEL_DIR, TEXTS, { topK: TOP_K, engine: 'onnxruntime' }));

test('fillMask on the pre-trained model: top-k tokens and probabilities equal the float64 reference at every [MASK]', async (t) => {
  const tinyResults = await tinyFill();
  const ref = loadRefCheckpoint(EMBEDDED_MODEL_DIR, { maskedLm: true });
  const wordPiece = new RefWordPiece(join(EMBEDDED_MODEL_DIR, 'vocab.txt'), { lowerCase: true });
  const V = ref.config.vocabSize;
  assert.equal(tinyResults.length, TEXTS.length);
  let checked = 0;
  let worst = 0;
  TEXTS.forEach((text, i) => {
    const { ids } = wordPiece.encode(text);
    const maskAt = ids.flatMap((id, s) => (id === 103 ? [s] : []));
    assert.equal(tinyResults[i].text, text);
    assert.equal(tinyResults[i].masks.length, maskAt.length, `text ${i}: one list per [MASK]`);
    const out = refBertForward(ref.config, ref.weights, [ids], [ids.map(() => 0)], [ids.map(() => 1)]);
    maskAt.forEach((pos, m) => {
      const hidden = out.sequence.subarray(pos * ref.config.hiddenSize, (pos + 1) * ref.config.hiddenSize);
      const p = softmax(refMaskedLmLogits(ref.config, ref.weights, hidden, 1));
      const refTop = Array.from(p.keys())
        .sort((a, b) => p[b] - p[a])
        .slice(0, TOP_K);
      const got = tinyResults[i].masks[m];
      assert.equal(got.length, TOP_K);
      got.forEach((g, r) => {
        // Equal ids, unless two reference probabilities are closer than the tolerance (a legitimate swap).
        if (g.token !== refTop[r]) assert.ok(Math.abs(p[g.token] - p[refTop[r]]) < 1e-6, `text ${i} mask ${m} rank ${r}: ${g.token} vs ${refTop[r]}`);
        assert.ok(Math.abs(g.score - p[g.token]) < TOLERANCE, `text ${i} mask ${m} rank ${r}: score ${g.score} vs ${p[g.token]}`);
        worst = Math.max(worst, Math.abs(g.score - p[g.token]));
        assert.ok(Math.abs(Math.log(g.score / p[g.token])) < 1e-3, `text ${i} mask ${m} rank ${r}: relative score error`);
        if (r > 0) assert.ok(g.score <= got[r - 1].score, 'scores descend');
        checked++;
      });
      assert.ok(got[0].score > 1 / V, 'the top token beats a uniform guess');
    });
  });
  assert.equal(checked, 5 * TOP_K);
  t.diagnostic(`max |Δ score| ${worst.toExponential(2)} over ${checked} predictions`);

  // sequence: the text with that [MASK] filled (lower-cased, re-spaced by the WordPiece decoder); other masks stay.
  // (Checked on the best whole-word prediction: punctuation would be re-spaced by the decoder.)
  const word = (list: FillMaskPrediction[]) => list.find((x) => /^[a-z]+$/.test(x.token_str));
  const first = word(tinyResults[0].masks[0]);
  assert.ok(first, 'a whole word among the top 5');
  assert.equal(first.sequence, `the movie was ${first.token_str}.`);
  const [a, b] = tinyResults[1].masks.map(word);
  assert.ok(a && b);
  assert.equal(a.sequence, `i ${a.token_str} this film, it was really [MASK]!`);
  assert.equal(b.sequence, `i [MASK] this film, it was really ${b.token_str}!`);
});

test('decodeWordPieces joins ## pieces and cleans spaces as the BERT WordPiece decoder does', () => {
  assert.equal(decodeWordPieces(['i', 'love', 'play', '##ing', '.']), 'i love playing.');
  assert.equal(decodeWordPieces(['it', "'", 's', 'great', ',', 'isn', "'", 't', 'it', '?']), "it's great, isn't it?");
  assert.equal(decodeWordPieces(['##ing']), '##ing', 'a lone continuation piece keeps its ##, as transformers decodes it');
  assert.equal(decodeWordPieces([]), '');
});

test('fillMask on the random model: both engines give the reference top-k; bad inputs fail naming the text', async () => {
  const texts = ['the [MASK] was good .', 'i love this [MASK] , it [MASK] great !'];
  const ref = loadRefCheckpoint(smallDir, { maskedLm: true });
  const idsOf = (t: string) => [2, ...t.split(' ').map((w) => VOCAB.indexOf(w)), 3];
  for (const engine of ['tfjs', 'onnxruntime'] as const) {
    const results = await fillMask(smallDir, texts, { topK: 3, engine, backend: 'cpu' });
    texts.forEach((t, i) => {
      const ids = idsOf(t);
      const logits = refRowLogits(
        ref.config,
        ref.weights,
        ids,
        ids.map(() => 0),
      );
      const maskAt = ids.flatMap((id, s) => (id === 4 ? [s] : []));
      assert.equal(results[i].masks.length, maskAt.length);
      maskAt.forEach((pos, m) => {
        const p = softmax(logits.subarray(pos * small.vocabSize, (pos + 1) * small.vocabSize));
        const top = Array.from(p.keys())
          .sort((a, b) => p[b] - p[a])
          .slice(0, 3);
        assert.deepEqual(
          results[i].masks[m].map((x) => x.token),
          top,
          `${engine} text ${i} mask ${m}`,
        );
        results[i].masks[m].forEach((x) => assert.ok(Math.abs(x.score - p[x.token]) < TOLERANCE));
        assert.equal(results[i].masks[m][0].token_str, VOCAB[top[0]], 'a single token decodes to itself');
      });
    });
  }

  const model = await MaskedLanguageModel.fromPretrained(smallDir, { engine: 'onnxruntime' });

  await assert.rejects(
    model.fillMask(['the film was good .', 'no mask here'], {}),
    (e: unknown) => e instanceof FillMaskTextError && e.textIndex === 0 && e.message === 'text 1 has no [MASK] token to fill',
  );
  await assert.rejects(
    model.fillMask(['the film was good the film was good the film was good [MASK]'], { maxLength: 8 }),
    (e: unknown) => e instanceof FillMaskTextError && /past the first 8 tokens/.test(e.message),
  );
  await assert.rejects(model.fillMask(['[MASK]'], { topK: 0 }), UsageError);
  await assert.rejects(model.fillMask(['[MASK]'], { maxLength: 100 }), (e: unknown) => e instanceof UsageError && /24 usable positions/.test(e.message));
  const more = await model.fillMask(['[MASK]'], { topK: 1000 });
  assert.equal(more[0].masks[0].length, small.vocabSize, 'top-k is capped by the vocabulary');
  assert.ok(Math.abs(more[0].masks[0].reduce((s, x) => s + x.score, 0) - 1) < 1e-9, 'all probabilities sum to 1');
  await model.dispose();

  // A folder without a masked-LM head is refused by name.
  await assert.rejects(
    MaskedLanguageModel.fromPretrained(noHeadDir),
    (e: unknown) => e instanceof BertftError && /no masked-LM head \(cls\.predictions\.\*\)/.test(e.message),
  );
});

test("bertft export of a masked-LM folder: transformers.js fill-mask gives fillMask's top-k tokens, scores within 1e-4", async (t) => {
  const out = join(work, 'tiny-mlm-onnx');
  const tinyResults = await tinyFill();
  const result = await exportModel(EMBEDDED_MODEL_DIR, out);
  assert.equal(result.task, 'fill-mask', 'a folder with cls.predictions.* and no classifier exports as fill-mask');
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { architectures: string[] };
  assert.deepEqual(cfg.architectures, ['BertForMaskedLM']);

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const unmask = await pipeline('fill-mask', out);
  // transformers.js fills the first [MASK] of each text: compare texts with one.
  const single = TEXTS.map((t, i) => [t, i] as const).filter(([, i]) => tinyResults[i].masks.length === 1);
  assert.ok(single.length >= 3);
  // All texts in one call: transformers.js pads them, so masking is exercised on its side too.
  const got = (await unmask(
    single.map(([t]) => t),
    { top_k: TOP_K },
  )) as unknown as { token: number; token_str: string; score: number; sequence: string }[][];
  await unmask.dispose();
  let worst = 0;
  single.forEach(([, i], j) => {
    const want = tinyResults[i].masks[0];
    assert.deepEqual(
      got[j].map((x) => x.token),
      want.map((x) => x.token),
      `text ${i}: top-${TOP_K} tokens`,
    );
    got[j].forEach((x, r) => {
      assert.ok(Math.abs(x.score - want[r].score) < TOLERANCE, `text ${i} rank ${r}: ${x.score} vs ${want[r].score}`);
      worst = Math.max(worst, Math.abs(x.score - want[r].score));
      assert.equal(x.token_str, want[r].token_str);
      assert.equal(x.sequence, want[r].sequence);
    });
  });
  t.diagnostic(`transformers.js vs fillMask: max |Δ score| ${worst.toExponential(2)}`);

  await assert.rejects(
    exportModel(noHeadDir, join(work, 'no-head-onnx'), { task: 'fill-mask' }),
    (e: unknown) => e instanceof UsageError && /no masked-LM head/.test(e.message),
  );
});

test('bertft fill-mask: JSON lines equal the library, a text without [MASK] is named by its line, bad flags are usage errors', async () => {
  const tinyResults = await tinyFill();
  const input = join(work, 'texts.txt');
  writeFileSync(input, `${TEXTS[0]}\n\n${TEXTS[1]}\n`);
  const ok = runCli(['fill-mask', '--model', EMBEDDED_MODEL_DIR, '--top-k', String(TOP_K), '--quiet', input]);
  assert.equal(ok.status, 0, ok.stderr);
  const lines = ok.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FillMaskResult);
  assert.equal(lines.length, 2);
  [0, 1].forEach((i) => {
    assert.equal(lines[i].text, TEXTS[i]);
    assert.deepEqual(
      lines[i].masks.map((m) => m.map((x) => x.token)),
      tinyResults[i].masks.map((m) => m.map((x) => x.token)),
    );
    lines[i].masks.flat().forEach((x, j) => assert.ok(Math.abs(x.score - tinyResults[i].masks.flat()[j].score) < 1e-6));
  });

  writeFileSync(input, `${TEXTS[0]}\n\nno mask on this line\n`);
  const bad = runCli(['fill-mask', '--model', EMBEDDED_MODEL_DIR, '--quiet', input]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, `bertft: error: ${input}:3: has no [MASK] token to fill\n`);

  const stdin = runCli(['fill-mask', '--model', EMBEDDED_MODEL_DIR, '--quiet', '-k', '2'], { input: 'a [MASK] day\n' });
  assert.equal(stdin.status, 0, stdin.stderr);
  assert.equal((JSON.parse(stdin.stdout) as FillMaskResult).masks[0].length, 2);

  const flag = runCli(['fill-mask', '--model', EMBEDDED_MODEL_DIR, '--top-k', '0', input]);
  assert.equal(flag.status, 2);
  assert.equal(flag.stderr, 'bertft: error: --top-k must be a positive whole number, got "0"\n');

  const noHead = runCli(['fill-mask', '--model', noHeadDir, '--quiet'], { input: '[MASK]\n' });
  assert.equal(noHead.status, 1);
  assert.match(noHead.stderr, /^bertft: error: .*no masked-LM head.*\n$/);
});
