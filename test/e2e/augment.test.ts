/**
 * Data augmentation (src/augment/): the spec parser, WordNet synonyms, the four EDA operations
 * (how many words they change follows α), masked-LM replacement (same word count, replacements
 * from the model's own predictions), determinism per seed, and that training adds copies to the
 * training rows only, never to validation. Runs on the embedded model and generated text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { augmentExamples, exampleRng, parseAugmentSpec, synonyms, type AugmentedExample } from '../../src/augment/index.js';
import { edaCopies, edaCount, randomDeletion, randomInsertion, randomSwap, STOP_WORDS, synonymReplacement } from '../../src/augment/eda.js';
import { mlmCopies } from '../../src/augment/mlm.js';
import { Rng } from '../../src/data/random.js';
import { readExamples, type Example } from '../../src/data/index.js';
import { UsageError } from '../../src/errors.js';
import { MaskedLanguageModel } from '../../src/inference/fill-mask.js';
import { fineTune } from '../../src/training/fine-tune.js';
import { runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { SENTENCES, sentimentLines } from '../helpers/texts.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-augment-'));
const examples = (texts: string[], file = 'mem.tsv'): Example[] => texts.map((text, i) => ({ text, label: String(i % 2), file, line: i + 1 }));
/** A synonym source that knows every word: lets tests count changes exactly. */
const stub = (w: string) => [`${w.toLowerCase()}x`];
/** 40 distinct content words (none is a stop word). */
const CONTENT = Array.from({ length: 40 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`).map((w) =>
  w.replace(/\d/g, ''),
);

test('the spec parser fills in defaults and names the bad part in one line', () => {
  assert.deepEqual(parseAugmentSpec('eda'), { method: 'eda', rate: 0.1, copies: 4 });
  assert.deepEqual(parseAugmentSpec('mlm'), { method: 'mlm', rate: 0.15, copies: 4 });
  assert.deepEqual(parseAugmentSpec('eda:0.05,16'), { method: 'eda', rate: 0.05, copies: 16 });
  assert.deepEqual(parseAugmentSpec('mlm:0.3'), { method: 'mlm', rate: 0.3, copies: 4 });
  assert.deepEqual(parseAugmentSpec('eda:,2'), { method: 'eda', rate: 0.1, copies: 2 });
  const bad: Array<[string, RegExp]> = [
    ['back-translation', /unknown method "back-translation"; use eda\[:alpha,copies\] or mlm\[:rate,copies\]/],
    ['eda:2,x', /alpha must be a number between 0 and 1 \(exclusive\), got "2"/],
    ['eda:0.1,x', /copies must be a whole number from 1 to 64, got "x"/],
    ['mlm:0.1,0', /copies must be a whole number from 1 to 64, got "0"/],
    ['mlm:abc', /rate must be a number between 0 and 1/],
    ['eda:0.1,2,3', /at most two parameters/],
    ['eda:', /nothing after the colon/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(
      () => parseAugmentSpec(spec, '--augment'),
      (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n') && e.message.startsWith('--augment'),
      spec,
    );
  }
});

test('WordNet synonyms: regular inflections find their base form; stop words and non-words find nothing', () => {
  assert.ok(synonyms('movie').includes('film'));
  assert.ok(synonyms('movies').includes('film'), 'morphy: movies → movie');
  assert.ok(synonyms('Funny').includes('amusing'), 'case-insensitive');
  assert.ok(!synonyms('movies').includes('movie') && !synonyms('movie').includes('movie'), 'never the word or its base form');
  assert.deepEqual(synonyms('xqzzyv'), []);
  const s = synonyms('good');
  assert.deepEqual([...s], [...s].sort(), 'sorted, so a seeded choice does not depend on load order');
  assert.ok(s.every((w) => /^[a-z ]+$/.test(w)));
});

test('synonym replacement changes max(1, ⌊α·n⌋) distinct content words and never a stop word', () => {
  for (const alpha of [0.05, 0.1, 0.25, 0.5]) {
    for (let seed = 0; seed < 5; seed++) {
      const words = [...CONTENT, 'the', 'not', 'and'];
      const out = synonymReplacement(words, edaCount(alpha, words.length), new Rng(seed), stub);
      const changed = out.filter((w, i) => w !== words[i]);
      assert.equal(out.length, words.length);
      assert.equal(changed.length, Math.max(1, Math.floor(alpha * words.length)), `α ${alpha} seed ${seed}`);
      assert.ok(changed.every((w) => w.endsWith('x')));
      assert.deepEqual(out.slice(-3), ['the', 'not', 'and']);
    }
  }
  // Every occurrence of a replaced word changes, as in the reference code.
  const out = synonymReplacement(['good', 'good', 'the'], 1, new Rng(1), stub);
  assert.deepEqual(out, ['goodx', 'goodx', 'the']);
  assert.ok(STOP_WORDS.has('not'));
});

test('insertion adds n words, swap keeps the words, deletion drops about α of them', () => {
  for (const alpha of [0.1, 0.2]) {
    const n = edaCount(alpha, CONTENT.length);
    const ins = randomInsertion(CONTENT, n, new Rng(3), stub);
    assert.equal(ins.length, CONTENT.length + n);
    assert.deepEqual(
      ins.filter((w) => !w.endsWith('x')),
      CONTENT,
      'the original words stay in order',
    );
    const sw = randomSwap(CONTENT, n, new Rng(4));
    assert.deepEqual([...sw].sort(), [...CONTENT].sort());
    const moved = sw.filter((w, i) => w !== CONTENT[i]).length;
    assert.ok(moved >= 2 && moved <= 2 * n, `${moved} words moved by ${n} swaps`);
  }
  // Deletion: each word independently with probability p. Over 20,000 words the share deleted is
  // within 0.015 of p: more than 4.5 standard deviations of the binomial (sqrt(0.3·0.7/20000) = 0.0032).
  const many = Array.from({ length: 20_000 }, (_, i) => `w${i}`);
  for (const p of [0.1, 0.3]) {
    const kept = randomDeletion(many, p, new Rng(5));
    assert.ok(Math.abs(1 - kept.length / many.length - p) < 0.015, `deleted ${1 - kept.length / many.length} for p ${p}`);
  }
  assert.deepEqual(randomDeletion(['alone'], 0.99, new Rng(0)), ['alone']);
  assert.equal(randomDeletion(['a', 'b', 'c'], 0.999999, new Rng(0)).length, 1, 'one word always survives');
});

test('EDA copies: the asked number, from all four operations, nothing for a text without words', () => {
  const ops = new Map<string, number>();
  for (let seed = 0; seed < 50; seed++) {
    const copies = edaCopies(SENTENCES[2]!, 0.1, 4, new Rng(seed));
    assert.equal(copies.length, 4);
    for (const c of copies) ops.set(c.operation, (ops.get(c.operation) ?? 0) + 1);
  }
  assert.deepEqual([...ops.keys()].sort(), ['rd', 'ri', 'rs', 'sr']);
  // ⌊4/4⌋+1 = 2 candidates per operation, 4 of the 8 kept: each operation ~50 of 200.
  for (const [op, count] of ops) assert.ok(count > 25 && count < 75, `${op}: ${count}`);
  assert.deepEqual(edaCopies('   ', 0.1, 4, new Rng(0)), []);
});

test('augmentation is deterministic per seed, differs across seeds, and an example gets the same copies whatever else is augmented', async () => {
  const data = examples(SENTENCES);
  const a = await augmentExamples(data, parseAugmentSpec('eda:0.2,3'), { seed: 7 });
  const b = await augmentExamples(data, parseAugmentSpec('eda:0.2,3'), { seed: 7 });
  const c = await augmentExamples(data, parseAugmentSpec('eda:0.2,3'), { seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.map((e) => e.text),
    c.map((e) => e.text),
  );
  assert.equal(a.length, data.length * 4);
  data.forEach((e, i) => {
    const rows = a.filter((r) => r.origin === i);
    assert.equal(rows[0]!.augmentation, 'original');
    assert.equal(rows[0]!.text, e.text);
    assert.ok(rows.slice(1).every((r) => r.label === e.label && r.file === e.file && r.line === e.line && /^eda:(sr|ri|rs|rd)$/.test(r.augmentation)));
  });
  const alone = await augmentExamples([data[3]!], parseAugmentSpec('eda:0.2,3'), { seed: 7 });
  assert.deepEqual(
    alone.map((r) => r.text),
    a.filter((r) => r.origin === 3).map((r) => r.text),
  );
  // exampleRng: nearby seeds and lines give unrelated streams.
  const first = (seed: number, line: number) => exampleRng(seed, { file: 'f', line }).next();
  assert.equal(new Set([first(0, 1), first(1, 1), first(0, 2), first(1, 2)]).size, 4);
});

test('MLM replacement keeps the word count and takes each new word from the model’s own top predictions', async () => {
  const model = await MaskedLanguageModel.fromPretrained(EMBEDDED_MODEL_DIR);
  try {
    const texts = [...SENTENCES, 'the a of'];
    const rng = (seed: number) => (i: number) => exampleRng(seed, { file: 'm', line: i });
    const out = await mlmCopies(model, texts, 0.2, 3, rng(0));
    assert.deepEqual(await mlmCopies(model, texts, 0.2, 3, rng(0)), out, 'same seed, same copies');
    assert.notDeepEqual(
      (await mlmCopies(model, texts, 0.2, 3, rng(1))).map((l) => l.map((c) => c.text)),
      out.map((l) => l.map((c) => c.text)),
    );
    assert.deepEqual(out.at(-1), [], 'only stop words: nothing to mask');
    let replacements = 0;
    for (const [t, copies] of out.slice(0, -1).entries()) {
      const words = texts[t]!.split(' ');
      assert.equal(copies.length, 3);
      for (const copy of copies) {
        const got = copy.text.split(' ');
        assert.equal(got.length, words.length, 'same number of words');
        assert.ok(copy.replaced.length <= Math.max(1, Math.floor(0.2 * words.length)));
        const at = new Set(copy.replaced.map((r) => r.index));
        got.forEach((w, i) => (at.has(i) ? assert.notEqual(w.toLowerCase(), words[i]!.toLowerCase()) : assert.equal(w, words[i])));
        for (const r of copy.replaced) {
          assert.equal(r.from, words[r.index]);
          assert.ok(!STOP_WORDS.has(r.from) && !STOP_WORDS.has(r.to));
          // The word must be among the model's 20 best for that [MASK], with the other replaced words masked too.
          const masked = words.map((w, i) => (at.has(i) ? model.maskToken : w)).join(' ');
          const [pred] = await model.fillMask([masked], { topK: 20 });
          const k = copy.replaced.indexOf(r);
          assert.ok(
            pred!.masks[k]!.some((p) => p.token_str === r.to),
            `${r.to} not among the predictions for "${masked}"`,
          );
          replacements++;
        }
      }
    }
    assert.ok(replacements >= 5, `only ${replacements} replacements made`);
  } finally {
    await model.dispose();
  }
});

test('training adds copies to the training rows only: the validation rows are exactly the held-out originals', async () => {
  const lines = sentimentLines(60, 11);
  const train = join(dir, 'train.tsv');
  writeFileSync(train, `${lines.join('\n')}\n`);
  const dev = join(dir, 'dev.tsv');
  const devLines = sentimentLines(20, 12);
  writeFileSync(dev, `${devLines.join('\n')}\n`);
  const seen: Array<{ train: readonly Example[]; validation: readonly Example[] }> = [];
  const common = { model: EMBEDDED_MODEL_DIR, train, maxLength: 32, batchSize: 16, maxSteps: 1, epochs: 1, read: { header: false } } as const;

  // With a validation file: it is read as it is, and every training row gets its copies.
  const r1 = await fineTune({ ...common, validation: dev, output: join(dir, 'out1'), augment: 'eda:0.1,2', seed: 5 }, { onData: (d) => seen.push(d) });
  assert.deepEqual(
    seen[0]!.validation.map((e) => e.text),
    devLines.map((l) => l.split('\t')[0]),
  );
  assert.equal(seen[0]!.train.length, 60 * 3);
  assert.equal(r1.train_examples, 180);
  assert.equal(r1.eval_examples, 20);
  assert.equal(r1.hyperparameters.augment, 'eda:0.1,2');

  // With a split of the training file: the held-out rows are originals, and no copy comes from them.
  await fineTune({ ...common, output: join(dir, 'out2'), augment: 'eda:0.1,2', seed: 5, validationSplit: 0.25 }, { onData: (d) => seen.push(d) });
  await fineTune({ ...common, output: join(dir, 'out3'), seed: 5, validationSplit: 0.25 }, { onData: (d) => seen.push(d) });
  const [aug, plain] = [seen[1]!, seen[2]!];
  assert.deepEqual(aug.validation, plain.validation, 'the same validation rows with and without augmentation');
  assert.equal(aug.validation.length, 15);
  const key = (e: Example) => `${e.file}:${e.line}`;
  const held = new Set(aug.validation.map(key));
  assert.ok(
    (aug.train as AugmentedExample[]).every((e) => !held.has(key(e))),
    'no training row, original or copy, comes from a validation row',
  );
  assert.deepEqual(
    (aug.train as AugmentedExample[]).filter((e) => e.augmentation === 'original').map(({ augmentation, origin, ...e }) => e),
    plain.train,
    'the originals are the training rows of the run without augmentation',
  );
  assert.equal(aug.train.length, plain.train.length * 3);
  const fileText = new Set(lines.map((l) => l.split('\t')[0]!));
  assert.ok(
    aug.validation.every((e) => fileText.has(e.text)),
    'validation texts are unaltered file rows',
  );
});

test('bertft augment writes originals and copies (atomically, read back by train) and rejects bad input in one line', () => {
  const file = join(dir, 'small.tsv');
  writeFileSync(file, `${sentimentLines(5, 3).join('\n')}\n`);
  const out = join(dir, 'small-eda.jsonl');
  const r = runCli(['augment', file, '--method', 'eda:0.2,2', '--seed', '1', '-o', out, '--header', 'false']);
  assert.equal(r.status, 0, r.stderr);
  const rows = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 15);
  assert.deepEqual(
    rows.filter((x) => x.augmentation === 'original').map((x) => x.text),
    sentimentLines(5, 3).map((l) => l.split('\t')[0]),
  );
  assert.ok(rows.every((x) => /^(original|eda:(sr|ri|rs|rd))$/.test(x.augmentation) && x.source.startsWith(`${file}:`)));
  const back = readExamples(out, { textColumn: 'text', labelColumn: 'label' }).examples;
  assert.deepEqual(
    back.map((e) => [e.text, e.label]),
    rows.map((x) => [x.text, x.label]),
    'the file reads back as training data',
  );
  const again = runCli(['augment', file, '--method', 'eda:0.2,2', '--seed', '1', '--header', 'false', '-q']);
  assert.equal(again.stdout, readFileSync(out, 'utf8'), 'stdout and -o agree, and the seed fixes the output');

  const empty = join(dir, 'empty.tsv');
  writeFileSync(empty, '');
  const bad: Array<[string[], number, RegExp]> = [
    [['augment', file, '--method', 'backtranslate'], 2, /unknown method "backtranslate"/],
    [['augment', file, '--method', 'eda:2,x'], 2, /alpha must be a number between 0 and 1/],
    [['augment', file, '--method', 'mlm:0.1,y'], 2, /copies must be a whole number/],
    [['augment', join(dir, 'missing.tsv')], 1, /missing\.tsv: no such file/],
    [['augment', empty], 1, /empty\.tsv: no examples/],
    [['train', '--train', file, '--augment', 'eda:2,x', '-o', join(dir, 'never')], 2, /--augment eda\[:alpha,copies\].*alpha must be/],
  ];
  for (const [args, status, message] of bad) {
    const e = runCli(args);
    assert.equal(e.status, status, `${args.join(' ')}: ${e.stderr}`);
    assert.match(e.stderr, message);
    assert.equal(e.stderr.trim().split('\n').length, 1, `one line: ${e.stderr}`);
    assert.doesNotMatch(e.stderr, /\n\s+at /);
  }
});
