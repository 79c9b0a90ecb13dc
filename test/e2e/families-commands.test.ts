/**
 * Every command on the BERT family's other members (shared/fixtures/hf-e2e/<family>/seq, tiny
 * random models with real tokenizers, copied to a temporary folder): `bertft train` with
 * `--strategy full` on distilbert, roberta, xlm-roberta, electra and albert (frozen, top-k:1 and
 * gradual on roberta and albert), then `evaluate`, `predict` and `embed` on the result. The trained
 * folder keeps the family's `model_type`, `architectures` and Hugging Face parameter names, pools
 * as the family's head does, and reloads (after a save) with the same predictions. `--max-length`
 * past the usable positions is a one-line usage error and the default fits them; `info --model`
 * names the family. `pretrain
 * --max-steps 2` from each family's classifier writes a `<Family>ForMaskedLM` folder with the
 * family's names, and `fill-mask` on it gives what its `export --task fill-mask` gives in transformers.js.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextClassifier } from '../../src/classifier.js';
import { readSafetensorsHeader } from '../../src/checkpoint/index.js';
import { env, pipeline } from '@huggingface/transformers';
import { runCli } from '../helpers/cli.js';
import { needsShared, sharedPath } from '../helpers/shared.js';

const FAMILIES = ['distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;
type Family = (typeof FAMILIES)[number];
/** The pooling of each family's `<Family>ForSequenceClassification` head. */
const POOLING: Record<Family, string> = {
  distilbert: 'cls',
  roberta: 'cls',
  'xlm-roberta': 'cls',
  electra: 'cls',
  albert: 'pooler',
  'deberta-v2': 'pooler',
  modernbert: 'cls',
};
const KIND: Record<Family, string> = {
  distilbert: 'wordpiece',
  roberta: 'bpe',
  'xlm-roberta': 'unigram',
  electra: 'wordpiece',
  albert: 'unigram',
  'deberta-v2': 'unigram',
  modernbert: 'bpe',
};
const LABELS = ['negative', 'neutral', 'positive'];

const work = mkdtempSync(join(tmpdir(), 'bertft-families-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A private copy of a fixture folder (never written in shared/). */
function model(family: Family): string {
  const dir = join(work, `model-${family}`);
  cpSync(sharedPath('fixtures', 'hf-e2e', family, 'seq'), dir, { recursive: true });
  return dir;
}

/** 36 labelled lines made from texts.json, and 3 texts to predict. */
function data(): { train: string; texts: string } {
  const raw = JSON.parse(readFileSync(sharedPath('fixtures', 'hf-e2e', 'texts.json'), 'utf8')) as (string | [string, string])[];
  const texts = raw.map((t) => (Array.isArray(t) ? t.join(' ') : t));
  const train = join(work, 'train.jsonl');
  const rows = Array.from({ length: 36 }, (_, i) => JSON.stringify({ text: texts[i % texts.length], label: LABELS[i % 3] }));
  writeFileSync(train, `${rows.join('\n')}\n`);
  const predict = join(work, 'texts.txt');
  writeFileSync(predict, `${texts.slice(0, 3).join('\n')}\n`);
  return { train, texts: predict };
}

function ok(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, `bertft ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** A one-line error with exit code `code` whose message matches. */
function refuses(args: string[], code: number, message: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, code, `bertft ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
}

const tensorNames = async (dir: string) => [...(await readSafetensorsHeader(join(dir, 'model.safetensors'))).entries.keys()].sort();

function train(family: Family, strategy: string, d: { train: string }, source: string): string {
  const out = join(work, `${family}-${strategy.replace(':', '')}`);
  ok(['train', '--model', source, '--train', d.train, '--strategy', strategy, '--max-steps', '2', '--batch-size', '8', '--seed', '1', '-o', out, '--quiet']);
  return out;
}

for (const family of FAMILIES) {
  test(`${family}: train (full) → evaluate, predict, embed; the folder stays a ${family} and reloads`, needsShared({ timeout: 60_000 }), async () => {
    const d = data();
    const source = model(family);
    const out = train(family, 'full', d, source);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const original = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8'));
    assert.equal(config.model_type, original.model_type);
    assert.deepEqual(config.architectures, original.architectures);
    assert.equal(config.bertft.pooling, POOLING[family]);
    assert.equal(config.bertft.max_length, 64, 'the default max length (128) is capped by the usable positions');
    assert.deepEqual(await tensorNames(out), await tensorNames(source), 'Hugging Face parameter names');

    const metrics = JSON.parse(ok(['evaluate', '--model', out, '--data', d.train, '--json']));
    assert.equal(metrics.examples, 36);
    assert.ok(metrics.accuracy >= 0 && metrics.accuracy <= 1);
    const predicted = ok(['predict', '--model', out, d.texts])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(predicted.length, 3);
    assert.ok(predicted.every((p) => LABELS.includes(p.label)));
    const embedded = ok(['embed', '--model', out, d.texts]).trim().split('\n');
    assert.equal(embedded.length, 3);
    assert.equal(JSON.parse(embedded[0]!).embedding.length, original.hidden_size ?? original.dim);

    const texts = readFileSync(d.texts, 'utf8').trim().split('\n');
    const loaded = await TextClassifier.fromPretrained(out);
    const saved = join(work, `${family}-saved`);
    await loaded.save(saved);
    const reloaded = await TextClassifier.fromPretrained(saved);
    assert.deepEqual(Array.from(await reloaded.predictLogits(texts)), Array.from(await loaded.predictLogits(texts)));
    assert.deepEqual(
      predicted.map((p) => p.scores),
      (await loaded.predict(texts)).map((p) => p.scores),
    );
    assert.equal(JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')).model_type, original.model_type);
    await Promise.all([loaded.dispose(), reloaded.dispose()]);
  });
}

for (const family of ['roberta', 'albert'] as const) {
  test(`${family}: --strategy frozen, top-k:1 and gradual train and keep the family`, needsShared({ timeout: 60_000 }), async () => {
    const d = data();
    const source = model(family);
    for (const strategy of ['frozen', 'top-k:1', 'gradual']) {
      const out = train(family, strategy, d, source);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.equal(config.model_type, family, strategy);
      assert.equal(config.bertft.strategy, strategy);
      assert.deepEqual(await tensorNames(out), await tensorNames(source), `${strategy}: parameter names`);
    }
  });
}

test('roberta: --max-length past the usable positions is a one-line usage error', needsShared(), () => {
  const d = data();
  // 66 position rows, the first two (padding id 1 + 1) unused: 64 usable.
  refuses(
    ['train', '--model', model('roberta'), '--train', d.train, '--max-length', '65', '-o', join(work, 'too-long')],
    2,
    /--max-length 65 exceeds the model's 64 usable positions/,
  );
});

/** The masked-LM head's tensors in a `<Family>ForMaskedLM` folder (the tied decoder weight left out, as save_pretrained does). */
const MLM_HEAD: Record<Family, string[]> = {
  distilbert: ['vocab_layer_norm.bias', 'vocab_layer_norm.weight', 'vocab_projector.bias', 'vocab_transform.bias', 'vocab_transform.weight'],
  roberta: ['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight'],
  'xlm-roberta': ['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight'],
  electra: [
    'generator_lm_head.bias',
    'generator_predictions.LayerNorm.bias',
    'generator_predictions.LayerNorm.weight',
    'generator_predictions.dense.bias',
    'generator_predictions.dense.weight',
  ],
  albert: ['predictions.LayerNorm.bias', 'predictions.LayerNorm.weight', 'predictions.bias', 'predictions.dense.bias', 'predictions.dense.weight'],
  'deberta-v2': [
    'cls.predictions.bias',
    'cls.predictions.transform.LayerNorm.bias',
    'cls.predictions.transform.LayerNorm.weight',
    'cls.predictions.transform.dense.bias',
    'cls.predictions.transform.dense.weight',
  ],
  modernbert: ['decoder.bias', 'head.dense.weight', 'head.norm.weight'],
};

test(
  "pretrain --max-steps 2 from a sequence classifier writes the family's <Family>ForMaskedLM folder; fill-mask and its transformers.js export agree",
  needsShared({ timeout: 300_000 }),
  async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const d = data();
    for (const family of Object.keys(MLM_HEAD) as (keyof typeof MLM_HEAD)[]) {
      const source = model(family);
      const out = join(work, `${family}-pt`);
      ok(['pretrain', '-q', '--model', source, '--text', d.texts, '--max-steps', '2', '-o', out]);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      const seq = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as { architectures: string[] };
      assert.deepEqual(config.architectures, [seq.architectures[0]!.replace('ForSequenceClassification', 'ForMaskedLM')]);
      assert.equal(config.model_type, family);
      // The classifier's head (ModernBERT's `head.*` too, whose names the masked-LM transform reuses) is not the encoder.
      const encoder = (await tensorNames(source)).filter((n) => !/^((pre_)?classifier|head)\./.test(n));
      assert.deepEqual(await tensorNames(out), [...encoder, ...MLM_HEAD[family]].sort(), `${family}: the family's names`);
      const mask = (JSON.parse(readFileSync(join(source, 'tokenizer_config.json'), 'utf8')) as { mask_token: string }).mask_token;
      const filled = JSON.parse(ok(['fill-mask', '-q', '-k', '2', '--model', out, maskFile(family, mask)])) as { masks: Prediction[][] };
      assert.equal(filled.masks[0]!.length, 2);
      assert.match(filled.masks[0]![0]!.sequence, /movie was .+ good\.$/i, `${family}: the filled text`);
      assert.ok(!filled.masks[0]![0]!.sequence.includes(mask));
      // The fill-mask export in transformers.js: the same tokens, strings and scores.
      ok(['export', '--model', out, '--task', 'fill-mask', '-o', `${out}-onnx`]);
      const unmask = await pipeline('fill-mask', `${out}-onnx`, { dtype: 'fp32' });
      const got = (await unmask(`The movie was ${mask} good.`, { top_k: 2 })) as Prediction[];
      await unmask.dispose();
      for (const [i, want] of filled.masks[0]!.entries()) {
        assert.deepEqual([got[i]!.token, got[i]!.token_str, got[i]!.sequence], [want.token, want.token_str, want.sequence], `${family} prediction ${i}`);
        assert.ok(Math.abs(got[i]!.score - want.score) < 1e-6, `${family} prediction ${i}: ${got[i]!.score} vs ${want.score}`);
      }
    }
  },
);

/** One fill-mask prediction, as bertft and transformers' pipeline give it. */
interface Prediction {
  token: number;
  token_str: string;
  score: number;
  sequence: string;
}

/** A one-line text file with one mask token. */
function maskFile(family: string, mask: string): string {
  const file = join(work, `${family}-mask.txt`);
  writeFileSync(file, `The movie was ${mask} good.\n`);
  return file;
}

test('advise on ModernBERT no longer calls continued pre-training unavailable', needsShared(), () => {
  const d = data();
  const advice = ok(['advise', '--model', model('modernbert'), '--train', d.train]);
  assert.doesNotMatch(advice, /not available for model_type modernbert|masked-LM head is not supported/);
});

test('info --model shows the family, the parameter count and the tokenizer kind', needsShared(), () => {
  for (const family of ['roberta', 'albert'] as const) {
    const info = JSON.parse(ok(['info', '--json', '--model', model(family)])).model;
    assert.equal(info.family, family);
    assert.equal(info.tokenizer.kind, KIND[family]);
    assert.ok(info.parameters > info.encoder_parameters && info.encoder_parameters > 0);
    assert.match(ok(['info', '--model', model(family)]), new RegExp(`family +${family} .*\\n.*params +[\\d,]+ .*\\n.*\\ntokenizer ${KIND[family]}`));
  }
});

test('export: a RoBERTa and an ALBERT classifier run in transformers.js with the probabilities predict gives', needsShared({ timeout: 60_000 }), async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const texts = ['Terrible acting, worse plot. Avoid.', 'A quiet, lovely film.'];
  for (const family of ['roberta', 'albert'] as const) {
    const source = model(family);
    const out = join(work, `${family}-onnx`);
    ok(['export', '--model', source, '-o', out]);
    const classify = await pipeline('text-classification', out, { dtype: 'fp32' });
    const got = (await classify(texts, { top_k: null })) as { label: string; score: number }[][];
    const classifier = await TextClassifier.fromPretrained(source);
    const want = await classifier.predict(texts);
    for (const [i, row] of got.entries()) {
      for (const { label, score } of row)
        assert.ok(Math.abs(score - want[i]!.scores[label]!) < 1e-5, `${family} text ${i} ${label}: ${score} vs ${want[i]!.scores[label]}`);
    }
    await classifier.dispose();
    await classify.dispose();
  }
});

test('evaluate reads a missing pair as a single text, as predict does', needsShared(), async () => {
  const classifier = await TextClassifier.fromPretrained(sharedPath('fixtures', 'hf-e2e', 'roberta', 'seq'));
  const rows = [
    { text: 'The acting was fine.', textPair: 'The plot made no sense.', label: 'negative' },
    { text: 'A quiet, lovely film.', label: 'positive' },
    { text: 'Nothing happens.', label: 'neutral' },
  ];
  const examples = rows.map((r, i) => ({ ...r, file: 'rows', line: i + 1 }));
  const predicted = await classifier.predict(
    rows.map((r) => r.text),
    { pairs: rows.map((r) => r.textPair) },
  );
  const loss = -predicted.reduce((s, p, i) => s + Math.log(p.scores[rows[i]!.label]!), 0) / rows.length;
  const report = await classifier.evaluate(examples);
  assert.ok(Math.abs(report.eval_loss - loss) < 1e-6, `${report.eval_loss} vs ${loss}`);
  await classifier.dispose();
});
