/**
 * Every shared data set reads as it is, with the flags documented in docs/data-formats.md.
 * Expected counts come from each SOURCE.md or from counting the raw lines here, independently of the readers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BertftError } from '../../src/errors.js';
import { buildLabelVocab, readExamples, type Example, type ReadOptions } from '../../src/data/index.js';
import { needsShared, sharedPath } from '../helpers/shared.js';

const ds = (...parts: string[]) => sharedPath('datasets', ...parts);

/** Non-blank raw lines of a file (CR stripped), read without the code under test. */
function rawLines(path: string, encoding: BufferEncoding = 'utf8'): string[] {
  return readFileSync(path, encoding)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
}

function labelCounts(examples: readonly Example[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of examples) counts[String(e.label)] = (counts[String(e.label)] ?? 0) + 1;
  return counts;
}

function read(path: string | string[], options: ReadOptions = {}) {
  const r = readExamples(path, options);
  assert.deepEqual(r.skipped, [], 'no bad rows');
  return r;
}

test('sst2: header-less "sentence<TAB>label" TSV, no flags', needsShared(), () => {
  for (const [name, rows, neg, pos] of [
    ['sentiment-train.tsv', 67349, 29780, 37569],
    ['sentiment-dev.tsv', 872, 428, 444],
    ['sentiment-test.tsv', 1821, 912, 909],
  ] as const) {
    const path = ds('sst2', name);
    const raw = rawLines(path);
    const r = read(path);
    assert.equal(raw.length, rows);
    assert.equal(r.examples.length, rows, name);
    assert.deepEqual(labelCounts(r.examples), { '0': neg, '1': pos }, name);
    const [text, label] = (raw[0] as string).split('\t');
    assert.deepEqual([r.examples[0]?.text, r.examples[0]?.label], [text?.trim(), label], name);
  }
});

test('imdb: JSON lines with text and label fields, no flags', needsShared(), () => {
  const path = ds('imdb', 'test.jsonl');
  const r = read(path);
  const firstLine = readFileSync(path, 'utf8').slice(0, 20000).split('\n')[0] as string;
  const first = JSON.parse(firstLine) as { text: string; label: number };
  assert.equal(r.examples.length, 25000);
  assert.deepEqual(labelCounts(r.examples), { '0': 12500, '1': 12500 });
  assert.equal(r.examples[0]?.text, first.text.trim());
  assert.equal(r.examples[0]?.label, String(first.label));
  assert.deepEqual(buildLabelVocab(r.examples).labels, ['0', '1']);
});

test('ag_news: the ALPS TSV files and the CSV test set, no flags', needsShared(), () => {
  const dev = read(ds('ag_news', 'alps_dev_from_train.tsv'));
  assert.equal(dev.examples.length, 10001);
  assert.deepEqual(labelCounts(dev.examples), { World: 2509, Sports: 2458, Business: 2496, 'Sci/Tech': 2538 });
  const alpsTest = read(ds('ag_news', 'alps_test.tsv'));
  assert.equal(alpsTest.examples.length, 7600);
  assert.deepEqual(labelCounts(alpsTest.examples), { World: 1900, Sports: 1900, Business: 1900, 'Sci/Tech': 1900 });
  assert.equal(alpsTest.examples[0]?.text, (rawLines(ds('ag_news', 'alps_test.tsv'))[0] as string).split('\t')[0]?.trim());

  const csv = read(ds('ag_news', 'test.csv'));
  assert.equal(csv.files[0]?.header, true);
  assert.equal(csv.examples.length, 7600);
  assert.deepEqual(labelCounts(csv.examples), { '1': 1900, '2': 1900, '3': 1900, '4': 1900 });
  // The CSV's first article is the ALPS test file's first article (same test split, description only).
  assert.equal(csv.examples[0]?.text, alpsTest.examples[0]?.text);
  assert.equal(csv.examples[0]?.line, 2);
  const pair = read(ds('ag_news', 'test.csv'), { textColumn: 'title', textPairColumn: 'description' });
  assert.equal(pair.examples[0]?.text, 'Fears for T N pension after talks');
  assert.equal(pair.examples[0]?.textPair, csv.examples[0]?.text);
});

test('trec: "COARSE:fine question" lines, Latin-1 train file; coarse and fine labels', needsShared(), () => {
  const coarse = read(ds('trec', 'train_5500.label'), { labelSeparator: ' ', labelLevel: 'coarse' });
  assert.equal(coarse.files[0]?.encoding, 'latin1');
  assert.equal(coarse.examples.length, 5452);
  assert.deepEqual(labelCounts(coarse.examples), { ABBR: 86, DESC: 1162, ENTY: 1250, HUM: 1223, LOC: 835, NUM: 896 });
  assert.equal(coarse.examples[0]?.text, 'How did serfdom develop in and then leave Russia ?');
  // The one Latin-1 byte (0xF0) decodes to U+00F0, not to a replacement character.
  const latin = coarse.examples.find((e) => e.text.includes('sister'));
  assert.ok(latin?.text.includes('sister\u00f0city'));
  assert.equal(rawLines(ds('trec', 'train_5500.label'), 'latin1').length, 5452);

  const fineTrain = read(ds('trec', 'train_5500.label'), { labelSeparator: ' ' });
  assert.equal(buildLabelVocab(fineTrain.examples).labels.length, 50);
  const fineTest = read(ds('trec', 'TREC_10.label'), { labelSeparator: ' ' });
  assert.equal(fineTest.examples.length, 500);
  assert.equal(buildLabelVocab(fineTest.examples).labels.length, 42);
  assert.deepEqual([fineTest.examples[0]?.label, fineTest.examples[0]?.text], ['NUM:dist', 'How far is it from Denver to Aspen ?']);
});

test('sms_spam: "label<TAB>message" with CRLF and no extension, no flags', needsShared(), () => {
  const path = ds('sms_spam', 'SMSSpamCollection');
  const r = read(path);
  assert.equal(r.files[0]?.format, 'tsv');
  assert.equal(r.examples.length, 5574);
  assert.deepEqual(labelCounts(r.examples), { ham: 4827, spam: 747 });
  assert.ok(r.examples.every((e) => !e.text.includes('\r')));
  assert.equal(r.examples[0]?.text, (rawLines(path)[0] as string).split('\t')[1]);
});

test('emotion: "text;label" with a header line, --delimiter ";"', needsShared(), () => {
  for (const [name, rows, counts] of [
    ['train.txt', 16000, { sadness: 4666, joy: 5362, love: 1304, anger: 2159, fear: 1937, surprise: 572 }],
    ['val.txt', 2000, { sadness: 550, joy: 704, love: 178, anger: 275, fear: 212, surprise: 81 }],
    ['test.txt', 2000, { sadness: 581, joy: 695, love: 159, anger: 275, fear: 224, surprise: 66 }],
  ] as const) {
    const path = ds('emotion', name);
    const r = read(path, { delimiter: ';' });
    assert.equal(r.files[0]?.header, true, name);
    assert.throws(() => readExamples(path), /--delimiter ';'/);
    assert.equal(rawLines(path).length - 1, rows);
    assert.equal(r.examples.length, rows, name);
    assert.deepEqual(labelCounts(r.examples), counts, name);
    assert.deepEqual([r.examples[0]?.text, r.examples[0]?.label], (rawLines(path)[1] as string).split(';'));
  }
});

test('mr: one sentence a line in rt-polarity.pos / .neg, --label-from-file', needsShared(), () => {
  const pos = ds('mr', 'rt-polarity.pos');
  const neg = ds('mr', 'rt-polarity.neg');
  const r = read([pos, neg], { labelFromFile: true });
  assert.equal(r.examples.length, rawLines(pos).length + rawLines(neg).length);
  assert.deepEqual(labelCounts(r.examples), { pos: 5331, neg: 5331 });
  assert.equal(r.examples[0]?.text, rawLines(pos)[0]?.trim());
  assert.equal(r.examples[5331]?.text, rawLines(neg)[0]?.trim());
  assert.deepEqual(buildLabelVocab(r.examples).labels, ['neg', 'pos']);
});

test('chnsenticorp: TSV with headers (label/text_a, qid/label/text_a, unlabelled qid/text_a), no flags', needsShared(), () => {
  const train = read(ds('chnsenticorp', 'train.tsv'));
  assert.equal(train.examples.length, 9600);
  assert.deepEqual(labelCounts(train.examples), { '0': 4801, '1': 4799 });
  assert.equal(train.examples[0]?.text, (rawLines(ds('chnsenticorp', 'train.tsv'))[1] as string).split('\t')[1]?.trim());
  const dev = read(ds('chnsenticorp', 'dev.tsv'));
  assert.equal(dev.files[0]?.labelColumn, 'column "label"');
  assert.equal(dev.examples.length, 1200);
  assert.deepEqual(labelCounts(dev.examples), { '0': 607, '1': 593 });
  // test.tsv has no labels: an error for training, texts for prediction (the qid column is not a label).
  assert.throws(() => readExamples(ds('chnsenticorp', 'test.tsv')), /--label-column/);
  const test = read(ds('chnsenticorp', 'test.tsv'), { requireLabel: false });
  assert.equal(test.examples.length, 1200);
  assert.ok(test.examples.every((e) => e.label === undefined));
});

test('chnsenticorp_htl_all: header-less quoted CSV with one empty review, --on-bad-row skip', needsShared(), () => {
  const path = ds('chnsenticorp_htl_all', 'ChnSentiCorp_htl_all.csv');
  const lines = readFileSync(path, 'utf8').split('\n');
  const emptyLine = lines.findIndex((l) => /^[01],\s*$/.test(l)) + 1;
  assert.ok(emptyLine > 0);
  const emptyLabel = (lines[emptyLine - 1] as string)[0] as '0' | '1';
  assert.throws(
    () => readExamples(path),
    (e: unknown) => e instanceof BertftError && (e as Error).message.startsWith(`${path}:${emptyLine}: empty text`),
  );
  const r = readExamples(path, { onBadRow: 'skip' });
  assert.deepEqual(
    r.skipped.map((s) => s.line),
    [emptyLine],
  );
  assert.equal(r.examples.length + r.skipped.length, 7766);
  // SOURCE.md: 5,322 positive and 2,444 negative rows; the empty one is left out.
  const expected = { '1': 5322, '0': 2444 };
  expected[emptyLabel] -= 1;
  assert.deepEqual(labelCounts(r.examples), expected);
  assert.equal(r.examples[0]?.label, '1');
  assert.ok(r.examples[0]?.text.includes('"蔡陆线"'), 'doubled quotes inside a quoted field become one');
});

test('tnews: header-less TSV (no flags) and the CLUE JSON lines (--label-column label_desc)', needsShared(), () => {
  const labelNames = rawLines(ds('tnews', 'labels.txt'));
  const train = read(ds('tnews', 'train.tsv'));
  assert.equal(train.examples.length, 53360);
  const counts = labelCounts(train.examples);
  assert.deepEqual([counts.news_tech, counts.news_finance, counts.news_story, counts.news_stock], [5955, 5200, 1111, 257]);
  assert.deepEqual(buildLabelVocab(train.examples).labels, [...labelNames].sort());
  const devTsv = read(ds('tnews', 'dev.tsv'));
  const devJson = read(ds('tnews', 'dev.json'), { labelColumn: 'label_desc' });
  assert.equal(devJson.examples.length, 10000);
  assert.equal(devTsv.examples.length, 10000);
  assert.deepEqual(
    devJson.examples.slice(0, 50).map((e) => [e.text, e.label]),
    devTsv.examples.slice(0, 50).map((e) => [e.text, e.label]),
  );
  // Without the flag the numeric CLUE codes are the labels, ordered by value.
  const codes = read(ds('tnews', 'dev.json'));
  const vocab = buildLabelVocab(codes.examples).labels;
  assert.equal(vocab[0], '100');
  assert.deepEqual(
    vocab,
    [...vocab].sort((a, b) => Number(a) - Number(b)),
  );
});
