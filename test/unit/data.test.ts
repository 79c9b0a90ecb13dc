import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertftError, UsageError } from '../../src/errors.js';
import {
  bucketedBatches,
  buildLabelVocab,
  checkLabels,
  compareLabels,
  labelFromFileName,
  labelVocabFromList,
  loadLabelVocab,
  mulberry32,
  parseExamples,
  readExamples,
  resolveReadOptions,
  Rng,
  saveLabelVocab,
  stratifiedSplit,
  type Example,
} from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-data-'));
function tmpFile(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Asserts that `fn` throws an error of class `kind` whose message matches every pattern. */
function throwsWith(fn: () => unknown, kind: typeof BertftError, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    assert.ok(!(e as Error).message.includes('\n'), 'message is one line');
    return true;
  });
}

// ---------------------------------------------------------------- CSV / TSV

test('CSV: header, quoted commas and quotes, a quoted multi-line field, CRLF; lines are where records start', () => {
  const csv = 'label,text\r\npos,"good, really ""good"""\r\n\r\nneg,"two\r\nlines"\r\npos,plain\r\n';
  const r = parseExamples(csv, 'a.csv');
  assert.deepEqual(
    r.examples.map((e) => [e.line, e.label, e.text]),
    [
      [2, 'pos', 'good, really "good"'],
      [4, 'neg', 'two\nlines'],
      [6, 'pos', 'plain'],
    ],
  );
  assert.equal(r.files[0]?.header, true);
  assert.equal(r.files[0]?.format, 'csv');
});

test('CSV: a stray quote inside an unquoted field is kept (relax_quotes)', () => {
  const r = parseExamples('text,label\nsay "hi" now,a\n', 'q.csv');
  assert.equal(r.examples[0]?.text, 'say "hi" now');
});

test('TSV: quotes are plain characters, text is trimmed', () => {
  const r = parseExamples('"quoted start\tx\nit \'s fine \ty\n', 'a.tsv');
  assert.deepEqual(
    r.examples.map((e) => [e.text, e.label]),
    [
      ['"quoted start', 'x'],
      ["it 's fine", 'y'],
    ],
  );
});

test('header-less two-column file: the column with few distinct values is the label, wherever it is', () => {
  const rows = ['a fine film indeed', 'dull and long', 'a joy to watch', 'not worth it', 'wonderful acting'];
  const labels = ['1', '0', '1', '0', '1'];
  const textFirst = parseExamples(rows.map((t, i) => `${t}\t${labels[i]}`).join('\n'), 'x.tsv');
  const labelFirst = parseExamples(rows.map((t, i) => `${labels[i]}\t${t}`).join('\n'), 'y.tsv');
  for (const r of [textFirst, labelFirst]) {
    assert.deepEqual(
      r.examples.map((e) => e.label),
      labels,
    );
    assert.deepEqual(
      r.examples.map((e) => e.text),
      rows,
    );
    assert.equal(r.files[0]?.header, false);
  }
  assert.equal(labelFirst.files[0]?.labelColumn, 'column 0');
});

test('header detection: a name-like first row whose values do not recur is a header; a data row is not', () => {
  const withHeader = parseExamples('review;stars\ngreat;5\nbad;1\nok;3\n', 'r.txt', { delimiter: ';' });
  assert.equal(withHeader.files[0]?.header, true);
  assert.deepEqual(
    withHeader.examples.map((e) => e.label),
    ['5', '1', '3'],
  );
  // "good movie<TAB>pos": name-like, but "pos" recurs below, so it is data.
  const noHeader = parseExamples('good movie\tpos\nbad one\tneg\nnice\tpos\n', 'n.tsv');
  assert.equal(noHeader.files[0]?.header, false);
  assert.equal(noHeader.examples.length, 3);
  // Forcing it either way.
  assert.equal(parseExamples('good movie\tpos\nbad one\tneg\nnice\tpos\n', 'n.tsv', { header: true }).examples.length, 2);
  assert.equal(parseExamples('text,label\nhi,a\n', 'h.csv', { header: 'false', requireLabel: false, textColumn: 0, labelColumn: 1 }).examples.length, 2);
});

test('columns by name or 0-based index; a text pair column', () => {
  const csv = 'id,title,body,topic\n7,Hello,World body,news\n8,Bye,Other body,sport\n';
  const byName = parseExamples(csv, 'c.csv', { textColumn: 'title', textPairColumn: 'body', labelColumn: 'topic' });
  const byIndex = parseExamples(csv, 'c.csv', { textColumn: 1, textPairColumn: '2', labelColumn: 3 });
  for (const r of [byName, byIndex]) {
    assert.deepEqual(
      r.examples.map((e) => [e.text, e.textPair, e.label]),
      [
        ['Hello', 'World body', 'news'],
        ['Bye', 'Other body', 'sport'],
      ],
    );
  }
  // Well-known names are found without flags; text_b becomes the pair.
  const glue = parseExamples('text_a\ttext_b\tlabel\nq one\tq two\t1\n', 'g.tsv');
  assert.deepEqual([glue.examples[0]?.text, glue.examples[0]?.textPair, glue.examples[0]?.label], ['q one', 'q two', '1']);
});

test('a wrong column name is a one-line UsageError listing the columns', () => {
  const csv = 'label,title,description\n1,a,b\n';
  throwsWith(() => parseExamples(csv, 'news.csv', { textColumn: 'txt' }), UsageError, /news\.csv/, /--text-column/, /"label", "title", "description"/);
  throwsWith(() => parseExamples('a\t1\nb\t0\n', 'x.tsv', { labelColumn: 5 }), UsageError, /--label-column 5 is out of range/, /2 columns/);
  throwsWith(() => parseExamples('a\t1\nb\t0\n', 'x.tsv', { labelColumn: 'label' }), UsageError, /no header row/, /0-based/);
  throwsWith(() => parseExamples('it is good .\tmore text\t1\nbad .\tother\t0\n', 'x.tsv'), UsageError, /--text-column/, /3 columns/);
  throwsWith(() => parseExamples('x\ty\nz\tw\n', 'x.tsv', { textColumn: 0, labelColumn: '0' }), UsageError, /must differ/);
});

test('bad rows: missing label, missing text, extra fields; error by default, collected with skip', () => {
  const tsv = ['good one\t1', 'no label here', '\t0', 'tab\tinside\t1', 'fine\t0', ''].join('\n');
  throwsWith(
    () => parseExamples(tsv, 'b.tsv', { textColumn: 0, labelColumn: 1 }),
    BertftError,
    /^b\.tsv:2: missing label \(column 1\)/,
    /2 more bad rows/,
    /--on-bad-row skip/,
  );
  const r = parseExamples(tsv, 'b.tsv', { textColumn: 0, labelColumn: 1, onBadRow: 'skip' });
  assert.deepEqual(
    r.examples.map((e) => e.line),
    [1, 5],
  );
  assert.deepEqual(
    r.skipped.map((s) => [s.file, s.line]),
    [
      ['b.tsv', 2],
      ['b.tsv', 3],
      ['b.tsv', 4],
    ],
  );
  assert.match(r.skipped[1]?.reason ?? '', /empty text/);
  assert.match(r.skipped[2]?.reason ?? '', /has 3 fields, expected 2/);
  assert.equal(r.files[0]?.skipped, 3);
});

test('an unclosed quote is a bad row at the line the broken record starts', () => {
  const csv = 'text,label\nfine,a\n\n"never closed,b\nmore,c\n';
  const r = parseExamples(csv, 'u.csv', { onBadRow: 'skip' });
  assert.deepEqual(
    r.examples.map((e) => e.text),
    ['fine'],
  );
  assert.equal(r.skipped.length, 1);
  assert.equal(r.skipped[0]?.line, 4);
  assert.match(r.skipped[0]?.reason ?? '', /quote/i);
  throwsWith(() => parseExamples(csv, 'u.csv'), BertftError, /^u\.csv:4: /);
});

test('a file whose rows are all bad, or empty, is an error naming the file', () => {
  throwsWith(() => parseExamples('x\n', 'e.jsonl', { onBadRow: 'skip' }), BertftError, /e\.jsonl: no examples/, /invalid JSON/);
  throwsWith(() => parseExamples('\n\n', 'e.tsv'), BertftError, /e\.tsv: no examples/);
});

// ---------------------------------------------------------------- JSON lines

test('JSONL: fields by name, JSON numbers become class names, bad lines are bad rows', () => {
  const jsonl = ['{"text":"a","label":1}', 'not json', '[1,2]', '{"text":"b","label":0,"extra":true}', '{"label":1}', ''].join('\n');
  const r = parseExamples(jsonl, 'd.jsonl', { onBadRow: 'skip' });
  assert.deepEqual(
    r.examples.map((e) => [e.line, e.text, e.label]),
    [
      [1, 'a', '1'],
      [4, 'b', '0'],
    ],
  );
  assert.deepEqual(
    r.skipped.map((s) => s.line),
    [2, 3, 5],
  );
  assert.match(r.skipped[0]?.reason ?? '', /invalid JSON/);
  assert.match(r.skipped[1]?.reason ?? '', /expected a JSON object/);
  assert.match(r.skipped[2]?.reason ?? '', /missing text \(field "text"\)/);
  throwsWith(() => parseExamples('{"body":"x","y":1}\n', 'd.jsonl', { textColumn: 'text' }), UsageError, /no field "text"/, /"body", "y"/);
  throwsWith(() => parseExamples('{"body":"x","y":1}\n', 'd.jsonl', { textColumn: 0 }), UsageError, /field name/);
});

test('JSON array files are read too, items numbered from 1', () => {
  const r = parseExamples('[{"sentence":"x","label":"a"},{"sentence":"y","label":"b"}]', 'arr.json');
  assert.deepEqual(
    r.examples.map((e) => [e.line, e.text]),
    [
      [1, 'x'],
      [2, 'y'],
    ],
  );
});

// ---------------------------------------------------------------- label types

test('regression labels stay numbers with --label-type number; non-numbers are bad rows', () => {
  const r = parseExamples('text,score\na,0.5\nb,3\nc,high\n', 's.csv', { labelColumn: 'score', labelType: 'number', onBadRow: 'skip' });
  assert.deepEqual(
    r.examples.map((e) => e.label),
    [0.5, 3],
  );
  assert.match(r.skipped[0]?.reason ?? '', /label "high" .* is not a number/);
  const j = parseExamples('{"text":"a","label":2.25}\n', 's.jsonl', { labelType: 'number' });
  assert.equal(j.examples[0]?.label, 2.25);
});

test('multi-label: JSON arrays, or a cell split by --label-delimiter', () => {
  const j = parseExamples('{"text":"a","labels":["x","y","x"]}\n{"text":"b","labels":[]}\n', 'm.jsonl', { labelType: 'multi' });
  assert.deepEqual(
    j.examples.map((e) => e.label),
    [['x', 'y'], []],
  );
  const c = parseExamples('text,labels\na,sport|news\nb,news\n', 'm.csv', { labelType: 'multi', labelDelimiter: '|' });
  assert.deepEqual(
    c.examples.map((e) => e.label),
    [['sport', 'news'], ['news']],
  );
  const wrongType = parseExamples('{"text":"a","labels":["x"]}\n{"text":"b","labels":"y"}\n', 'm.jsonl', { onBadRow: 'skip' });
  assert.match(wrongType.skipped[0]?.reason ?? '', /--label-type multi/);
  throwsWith(() => resolveReadOptions({ labelDelimiter: '|' }), UsageError, /--label-delimiter/, /--label-type multi/);
});

// ---------------------------------------------------------------- plain lines

test('lines: label before the first separator, or after the last; coarse level of LABEL:fine', () => {
  const text = 'LOC:city Where is Paris ?\nNUM:count How many legs ?\nbroken\n';
  const fine = parseExamples(text, 'q.label', { labelSeparator: ' ', onBadRow: 'skip' });
  assert.deepEqual(
    fine.examples.map((e) => [e.label, e.text]),
    [
      ['LOC:city', 'Where is Paris ?'],
      ['NUM:count', 'How many legs ?'],
    ],
  );
  assert.equal(fine.skipped[0]?.line, 3);
  const coarse = parseExamples(text, 'q.label', { labelSeparator: 'space', labelLevel: 'coarse', onBadRow: 'skip' });
  assert.deepEqual(
    coarse.examples.map((e) => e.label),
    ['LOC', 'NUM'],
  );
  const last = parseExamples('a;b;label1\nc;label2\n', 'l.txt', { format: 'lines', labelSeparator: ';', labelPosition: 'last' });
  assert.deepEqual(
    last.examples.map((e) => [e.text, e.label]),
    [
      ['a;b', 'label1'],
      ['c', 'label2'],
    ],
  );
});

test('lines without labels: an error for training, plain texts for prediction', () => {
  throwsWith(() => parseExamples('one\ntwo\n', 'p.txt'), UsageError, /p\.txt/, /--label-separator/, /--label-from-file/);
  // With labels optional, a blank label cell leaves the example unlabelled instead of making a bad row.
  const partial = parseExamples('text,label\na,x\nb,\n', 'p.csv', { requireLabel: false });
  assert.deepEqual(
    partial.examples.map((e) => e.label),
    ['x', undefined],
  );
  assert.equal(parseExamples('text,label\na,x\nb,\n', 'p.csv', { onBadRow: 'skip' }).skipped[0]?.line, 3);
  const r = parseExamples('one\n\ntwo\n', 'p.txt', { requireLabel: false });
  assert.deepEqual(
    r.examples.map((e) => [e.line, e.text, e.label]),
    [
      [1, 'one', undefined],
      [3, 'two', undefined],
    ],
  );
});

test('label from the file name: several files, each with its own label', () => {
  const pos = tmpFile('reviews.pos', 'great\nlovely\n');
  const neg = tmpFile('neg.txt', 'awful\n');
  const r = readExamples([pos, neg], { labelFromFile: true });
  assert.deepEqual(
    r.examples.map((e) => [e.file, e.text, e.label]),
    [
      [pos, 'great', 'pos'],
      [pos, 'lovely', 'pos'],
      [neg, 'awful', 'neg'],
    ],
  );
  const explicit = readExamples([
    { path: pos, label: 'good' },
    { path: neg, label: 'bad' },
  ]);
  assert.deepEqual(
    explicit.examples.map((e) => e.label),
    ['good', 'good', 'bad'],
  );
  assert.equal(labelFromFileName('/x/rt-polarity.neg'), 'neg');
  assert.equal(labelFromFileName('spam'), 'spam');
  assert.equal(labelFromFileName('d/ham.tsv'), 'ham');
  throwsWith(() => readExamples(pos, { labelFromFile: true, labelColumn: 1 }), UsageError, /--label-from-file/, /--label-column/);
});

// ---------------------------------------------------------------- files, formats, encodings

test('format: by extension, by a TAB on every line, by the delimiter flag, or forced', () => {
  const noExt = tmpFile('collection', 'ham\tsee you\nspam\twin now\nham\tok\n');
  const r = readExamples(noExt);
  assert.equal(r.files[0]?.format, 'tsv');
  assert.deepEqual(
    r.examples.map((e) => e.label),
    ['ham', 'spam', 'ham'],
  );
  const semi = tmpFile('semi.txt', 'text;label\nhello there;greet\n');
  assert.equal(readExamples(semi, { delimiter: ';' }).files[0]?.format, 'tsv');
  const forced = tmpFile('data.txt', 'label,text\na,"x, y"\n');
  assert.equal(readExamples(forced, { format: 'csv' }).examples[0]?.text, 'x, y');
  throwsWith(() => readExamples(join(dir, 'missing.csv')), BertftError, /missing\.csv: no such file/);
  throwsWith(() => resolveReadOptions({ format: 'xml' }), UsageError, /--format must be one of/);
});

test('encoding: UTF-8 by default, Latin-1 when the bytes are not UTF-8, BOMs removed', () => {
  const latin = tmpFile('latin.label', Buffer.from('LOC:city A sister\xf0city ?\nHUM:ind Who ?\n', 'latin1'));
  const r = readExamples(latin, { labelSeparator: ' ' });
  assert.equal(r.files[0]?.encoding, 'latin1');
  assert.equal(r.examples[0]?.text, 'A sister\u00f0city ?');
  throwsWith(() => readExamples(latin, { labelSeparator: ' ', encoding: 'utf8' }), BertftError, /latin\.label:1: not valid UTF-8/, /--encoding latin1/);
  const bom = tmpFile('bom.csv', '\ufefflabel,text\nx,\u4f60\u597d\n');
  const b = readExamples(bom);
  assert.equal(b.files[0]?.header, true);
  assert.deepEqual([b.examples[0]?.label, b.examples[0]?.text], ['x', '\u4f60\u597d']);
  const utf16 = tmpFile('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('label,text\r\ny,caf\u00e9\r\n', 'utf16le')]));
  const u = readExamples(utf16);
  assert.equal(u.files[0]?.encoding, 'utf16le');
  assert.equal(u.examples[0]?.text, 'caf\u00e9');
});

test('options arrive as CLI strings and are checked', () => {
  const o = resolveReadOptions({ header: 'true', delimiter: '\\t', onBadRow: 'skip', labelFromFile: 'yes' });
  assert.equal(o.header, true);
  assert.equal(o.delimiter, '\t');
  assert.equal(o.onBadRow, 'skip');
  assert.equal(o.labelFromFile, true);
  assert.equal(resolveReadOptions({}).onBadRow, 'error');
  throwsWith(() => resolveReadOptions({ onBadRow: 'ignore' }), UsageError, /--on-bad-row must be one of error, skip/);
  throwsWith(() => resolveReadOptions({ header: 'maybe' }), UsageError, /--header/);
  throwsWith(() => resolveReadOptions({ textColumn: -1 }), UsageError, /--text-column/);
});

// ---------------------------------------------------------------- label vocabulary

test('label order is numeric-aware and locale-free', () => {
  const numeric = ['10', '2', '1', '0', '-1', '2.5'];
  assert.deepEqual([...numeric].sort(compareLabels), ['-1', '0', '1', '2', '2.5', '10']);
  const mixed = ['class10', 'class2', 'Class1', 'b', 'a', 'class1'];
  assert.deepEqual([...mixed].sort(compareLabels), ['Class1', 'a', 'b', 'class1', 'class2', 'class10']);
  const v = buildLabelVocab([{ label: '10' }, { label: '2' }, { label: ['1', '2'] }, {}]);
  assert.deepEqual(v.labels, ['1', '2', '10']);
  assert.deepEqual(v.label2id, { '1': 0, '2': 1, '10': 2 });
  assert.equal(v.id2label[2], '10');
  throwsWith(() => buildLabelVocab([{ label: 0.5 }]), UsageError, /regression/);
  throwsWith(() => labelVocabFromList(['a', 'a']), UsageError, /"a" is listed twice/);
});

test('label vocabulary saves and loads as JSON, also from a config.json or a plain list', () => {
  const vocab = buildLabelVocab([{ label: 'sports' }, { label: 'world' }, { label: 'business' }, { label: '__proto__' }]);
  const path = join(dir, 'labels.json');
  saveLabelVocab(path, vocab);
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { id2label: Record<string, string> };
  assert.equal(saved.id2label['0'], '__proto__');
  const loaded = loadLabelVocab(path);
  assert.deepEqual(loaded.labels, vocab.labels);
  assert.equal(loaded.label2id.world, 3);
  assert.ok(Object.hasOwn(loaded.label2id, '__proto__'));
  const config = tmpFile('config.json', JSON.stringify({ architectures: ['BertForSequenceClassification'], id2label: { '1': 'pos', '0': 'neg' } }));
  assert.deepEqual(loadLabelVocab(config).labels, ['neg', 'pos']);
  assert.deepEqual(loadLabelVocab(tmpFile('list.json', '["b","a"]')).labels, ['b', 'a']);
  assert.deepEqual(loadLabelVocab(tmpFile('labels.txt', 'news_story\r\nnews_culture\n\n')).labels, ['news_story', 'news_culture']);
  throwsWith(() => loadLabelVocab(tmpFile('dup.txt', 'a\na\n')), BertftError, /dup\.txt: label "a" is listed twice/);
  throwsWith(() => loadLabelVocab(tmpFile('gap.json', '{"id2label":{"0":"a","2":"b"}}')), BertftError, /gap\.json/, /0\.\.1/);
  throwsWith(() => loadLabelVocab(tmpFile('none.json', '{"x":1}')), BertftError, /no "id2label"/);
});

test('validation labels outside the training labels are bad rows naming file, line and the known labels', () => {
  const vocab = buildLabelVocab(parseExamples('text,label\na,x\nb,y\nc,z\n', 'train.csv').examples);
  const dev = parseExamples('text,label\nd,x\ne,w\nf,z\n', 'dev.csv').examples;
  throwsWith(() => checkLabels(dev, vocab), BertftError, /^dev\.csv:3: label "w" is not in the training labels \(x, y, z\)/);
  const r = checkLabels(dev, vocab, 'skip');
  assert.deepEqual(
    r.examples.map((e) => e.text),
    ['d', 'f'],
  );
  assert.deepEqual(
    r.skipped.map((s) => [s.file, s.line]),
    [['dev.csv', 3]],
  );
  const unlabelled: Example[] = [{ text: 'q', file: 'p.txt', line: 9 }];
  assert.match(checkLabels(unlabelled, vocab, 'skip').skipped[0]?.reason ?? '', /missing label/);
});

// ---------------------------------------------------------------- split

function makeExamples(counts: Record<string, number>): Example[] {
  const out: Example[] = [];
  for (const [label, n] of Object.entries(counts)) for (let i = 0; i < n; i++) out.push({ text: `${label}-${i}`, label, file: 'f', line: out.length + 1 });
  return out;
}

test('stratifiedSplit: seeded, disjoint, every class with two or more examples in both parts', () => {
  const data = makeExamples({ a: 500, b: 60, c: 2, d: 1, e: 7 });
  const s1 = stratifiedSplit(data, 0.1, 42);
  const s2 = stratifiedSplit(data, 0.1, 42);
  const s3 = stratifiedSplit(data, 0.1, 43);
  assert.deepEqual(s1, s2);
  assert.notDeepEqual(
    s1.validation.map((e) => e.line),
    s3.validation.map((e) => e.line),
  );
  const all = [...s1.train, ...s1.validation].map((e) => e.line).sort((x, y) => x - y);
  assert.deepEqual(
    all,
    data.map((e) => e.line),
  );
  const count = (part: Example[], label: string) => part.filter((e) => e.label === label).length;
  for (const label of ['a', 'b', 'c', 'e']) {
    assert.ok(count(s1.train, label) >= 1 && count(s1.validation, label) >= 1, `class ${label} in both parts`);
  }
  assert.equal(count(s1.validation, 'd'), 0);
  assert.equal(count(s1.validation, 'a'), 50);
  assert.equal(count(s1.validation, 'b'), 6);
  // Original order is kept inside each part.
  assert.deepEqual(
    s1.train.map((e) => e.line),
    [...s1.train.map((e) => e.line)].sort((x, y) => x - y),
  );
  throwsWith(() => stratifiedSplit(data, 1, 1), UsageError, /between 0 and 1/);
});

test('stratifiedSplit handles regression targets and multi-label sets', () => {
  const reg = Array.from({ length: 200 }, (_, i) => ({ text: String(i), label: i / 10 }));
  const r = stratifiedSplit(reg, 0.2, 7);
  assert.equal(r.validation.length, 40);
  // Ten quantile bins, 4 from each: validation covers the whole range.
  assert.ok(Math.min(...r.validation.map((e) => e.label)) < 2 && Math.max(...r.validation.map((e) => e.label)) > 18);
  const multi = [...Array.from({ length: 40 }, () => ({ label: ['common'] })), { label: ['common', 'rare'] }, { label: ['rare'] }];
  const m = stratifiedSplit(multi, 0.25, 3);
  assert.ok(m.validation.some((e) => e.label.includes('rare')) && m.train.some((e) => e.label.includes('rare')));
});

// ---------------------------------------------------------------- batching and random

test('bucketedBatches: a seeded permutation into batches of similar lengths', () => {
  const rng = new Rng(5);
  const lengths = Array.from({ length: 1000 }, () => 5 + rng.int(500));
  const batches = bucketedBatches(lengths, 16, 1, { bucketFactor: 10 });
  assert.deepEqual(batches, bucketedBatches(lengths, 16, 1, { bucketFactor: 10 }));
  assert.notDeepEqual(batches, bucketedBatches(lengths, 16, 2, { bucketFactor: 10 }));
  const flat = batches.flat().sort((a, b) => a - b);
  assert.deepEqual(
    flat,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.equal(batches.filter((b) => b.length !== 16).length, 1);
  // Padding waste: bucketed batches are padded far less than batches in plain shuffled order.
  const waste = (bs: number[][]) =>
    bs.reduce((sum, b) => sum + b.reduce((s, i) => s + Math.max(...b.map((j) => lengths[j] as number)) - (lengths[i] as number), 0), 0);
  const plain: number[][] = [];
  const order = new Rng(1).permutation(1000);
  for (let i = 0; i < 1000; i += 16) plain.push(order.slice(i, i + 16));
  assert.ok(waste(batches) < waste(plain) / 5, `bucketed waste ${waste(batches)} vs plain ${waste(plain)}`);
  // Batch order is shuffled: lengths of consecutive batches are not sorted.
  const maxima = batches.map((b) => Math.max(...b.map((i) => lengths[i] as number)));
  assert.notDeepEqual(
    maxima,
    [...maxima].sort((a, b) => a - b),
  );
});

test('bucketedBatches without shuffle sorts by length; bad batch size is a UsageError', () => {
  const lengths = [5, 1, 4, 1, 3];
  assert.deepEqual(bucketedBatches(lengths, 2, 0, { shuffle: false }), [[1, 3], [4, 2], [0]]);
  assert.deepEqual(bucketedBatches([], 4, 0), []);
  throwsWith(() => bucketedBatches(lengths, 0, 0), UsageError, /--batch-size/);
});

test('mulberry32 / Rng: reproducible, uniform-looking, seeds give different streams', () => {
  const a = mulberry32(123);
  const b = mulberry32(123);
  const first = Array.from({ length: 5 }, () => a());
  assert.deepEqual(
    first,
    Array.from({ length: 5 }, () => b()),
  );
  assert.notDeepEqual(first, Array.from({ length: 5 }, mulberry32(124)));
  assert.notDeepEqual(Array.from({ length: 3 }, mulberry32(2 ** 32 + 1)), Array.from({ length: 3 }, mulberry32(1)));
  const rng = new Rng(9);
  const draws = Array.from({ length: 20000 }, () => rng.next());
  assert.ok(draws.every((x) => x >= 0 && x < 1));
  const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  const buckets = new Array(10).fill(0) as number[];
  for (let i = 0; i < 10000; i++) (buckets[rng.int(10)] as number)++;
  assert.ok(
    buckets.every((c) => c > 900 && c < 1100),
    `int(10) counts ${buckets}`,
  );
  assert.deepEqual(
    new Rng(3).permutation(50).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});
