import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BertftError, UsageError } from '../../src/errors.js';
import { formatTagRepairs, parseTokenData, readTokenFile, splitWords, type TokenReadOptions } from '../../src/data/index.js';
import { needsShared, sharedPath } from '../helpers/shared.js';

const conll = (lines: string[], options: TokenReadOptions = {}) => parseTokenData(`${lines.join('\n')}\n`, 'f.conll', options);
const tagsOf = (r: ReturnType<typeof conll>) => r.sentences.map((s) => s.tags);

/** Asserts a one-line BertftError (of `type`) whose message matches `pattern`. */
function throwsLine(fn: () => unknown, pattern: RegExp, type: typeof BertftError = BertftError): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('CoNLL: sentences between blank (or whitespace-only) lines, -DOCSTART- skipped, lines kept', () => {
  const r = conll(['-DOCSTART- O', '', 'EU B-ORG', 'rejects O', '\t', 'German B-MISC', 'call O', '', '', '\uFEFF']);
  assert.deepEqual(
    r.sentences.map((s) => [s.tokens, s.tags, s.line]),
    [
      [['EU', 'rejects'], ['B-ORG', 'O'], 3],
      [['German', 'call'], ['B-MISC', 'O'], 6],
    ],
  );
  assert.equal(r.report.docstarts, 1);
  assert.equal(r.report.sentences, 2);
  assert.equal(r.report.tokens, 4);
  assert.equal(r.report.scheme, 'iob2');
  assert.equal(r.report.schemeInferred, true);
  assert.deepEqual(r.report.repairs, []);
});

test('CoNLL: tab-separated tokens may hold spaces; the label column picks among several', () => {
  const r = conll(['New York\tNNP\tB-LOC', 'is\tVBZ\tO']);
  assert.deepEqual(r.sentences[0]!.tokens, ['New York', 'is']);
  assert.deepEqual(r.sentences[0]!.tags, ['B-LOC', 'O']);
  // CoNLL-2003 layout: token POS chunk NER; labelColumn 2 reads the chunk tags
  const c = conll(['U.N. NNP I-NP I-ORG', 'official NN I-NP O'], { labelColumn: 2 });
  assert.deepEqual(c.sentences[0]!.tags, ['B-NP', 'I-NP']); // IOB1 chunk tags, normalised
  assert.equal(c.report.scheme, 'iob1');
  throwsLine(() => conll(['a b c'], { labelColumn: 3 }), /^f\.conll: label column 3 is out of range; lines have 3 columns/);
  throwsLine(() => conll(['a b c'], { labelColumn: 0 }), /label column 0 is out of range/);
});

test('IOB1 is inferred and normalised: an I- starts an entity, B- separates two of one type', () => {
  const r = conll(['Ann I-PER', 'Lee I-PER', 'Bob B-PER', 'in O', 'Rome I-LOC']);
  assert.deepEqual(tagsOf(r), [['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC']]);
  assert.equal(r.report.scheme, 'iob1');
  assert.deepEqual(r.report.repairs, []);
});

test('IOB2 with an I- that continues nothing: repaired to B-, reported with file and line', () => {
  const r = conll(['Ann B-PER', 'Lee I-PER', 'in O', 'Rome I-LOC', 'and O', 'Paris B-LOC', 'Inc I-ORG']);
  // 1 I- start (Rome) vs 2 B- starts after another type or O (Ann, Paris): IOB2 leaves fewer out of place
  assert.equal(r.report.scheme, 'iob2');
  assert.deepEqual(tagsOf(r), [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-LOC', 'B-ORG']]);
  assert.deepEqual(formatTagRepairs(r.report.repairs), [
    'f.conll:4: I-LOC after O continues no entity; read as B-LOC',
    'f.conll:7: I-ORG after B-LOC continues no entity; read as B-ORG',
  ]);
  assert.deepEqual(
    r.report.repairs.map((x) => [x.line, x.tag, x.fixed]),
    [
      [4, 'I-LOC', 'B-LOC'],
      [7, 'I-ORG', 'B-ORG'],
    ],
  );
});

test('an explicit scheme overrides inference; IOB1 read as IOB2 repairs its I- starts', () => {
  const r = conll(['Ann I-PER', 'Lee I-PER'], { scheme: 'IOB2' });
  assert.deepEqual(tagsOf(r), [['B-PER', 'I-PER']]);
  assert.equal(r.report.schemeInferred, false);
  assert.equal(r.report.repairs.length, 1);
  // In IOB1 a B- after O is out of place: kept as a start, and reported
  const b = conll(['Ann B-PER', 'x O'], { scheme: 'iob1' });
  assert.deepEqual(tagsOf(b), [['B-PER', 'O']]);
  assert.match(formatTagRepairs(b.report.repairs)[0]!, /^f\.conll:1: B-PER after the sentence start: IOB1 uses B- only after the same type/);
});

test('BIOES (and BILOU) are inferred and normalised; an unclosed entity is reported', () => {
  const r = conll(['Ann S-PER', 'New B-LOC', 'York I-LOC', 'City E-LOC', '', 'Big U-ORG', 'Co B-ORG', 'Ltd L-ORG']);
  assert.equal(r.report.scheme, 'bioes');
  assert.deepEqual(tagsOf(r), [
    ['B-PER', 'B-LOC', 'I-LOC', 'I-LOC'],
    ['B-ORG', 'B-ORG', 'I-ORG'],
  ]);
  assert.deepEqual(r.report.repairs, []);
  const bad = conll(['New B-LOC', 'York O', 'Inc E-ORG']);
  assert.deepEqual(tagsOf(bad), [['B-LOC', 'O', 'B-ORG']]);
  assert.deepEqual(formatTagRepairs(bad.report.repairs), [
    'f.conll:1: B-LOC before O is not closed by E-LOC; the entity ends here',
    'f.conll:3: E-ORG after O continues no entity; read as B-ORG',
  ]);
});

test('IO (plain type tags) is inferred: a run of one type is one entity', () => {
  const r = conll(['Ann PER', 'Lee PER', 'in O', 'Rome LOC', 'Paris LOC']);
  assert.equal(r.report.scheme, 'io');
  assert.deepEqual(tagsOf(r), [['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC']]);
});

test('unknown schemes and tag shapes: one line each', () => {
  throwsLine(() => conll(['a O'], { scheme: 'bilo' }), /^unknown tag scheme "bilo"; use auto, iob1, iob2, bioes/, UsageError);
  throwsLine(() => readTokenFile('/no/such/file', { scheme: 'x' }), /unknown tag scheme "x"/, UsageError);
  throwsLine(() => conll(['a O', 'b B_PER x']), /f\.conll:2: 3 columns where line 1 has 2/);
  throwsLine(() => conll(['a O', 'b B-']), /^f\.conll:2: tag "B-" has an unknown shape/);
  // a plain type in a file of prefixed tags, or an E- in IOB2
  throwsLine(() => conll(['a B-PER', 'b PER']), /^f\.conll:2: tag "PER" is not allowed for scheme iob2/);
  throwsLine(() => conll(['a E-PER'], { scheme: 'iob2' }), /^f\.conll:1: tag "E-PER" is not allowed for scheme iob2/);
});

test('bad CoNLL input: one line naming file and line, nothing partial', () => {
  throwsLine(() => parseTokenData('', 'f.conll'), /^f\.conll: empty file$/);
  throwsLine(() => parseTokenData('\n \n', 'f.conll'), /^f\.conll: empty file$/);
  throwsLine(() => conll(['-DOCSTART- O', '']), /^f\.conll: no sentences$/);
  throwsLine(() => conll(['EU']), /^f\.conll:1: expected a token and a tag/);
  throwsLine(() => conll(['EU\tB-ORG', '\tO']), /^f\.conll:2: a tag without a token$/);
  throwsLine(() => conll(['EU\tB-ORG', 'x\t']), /^f\.conll:2: a token without a tag$/);
  throwsLine(() => conll(['EU B-ORG', 'rejects']), /^f\.conll:2: 1 column where line 1 has 2$/);
});

test('JSON lines with tokens and tags', () => {
  const text = '{"tokens":["Ann","Lee"],"tags":["I-PER","I-PER"]}\n\n{"tokens":["in","Rome"],"tags":["O","I-LOC"]}\n';
  const r = parseTokenData(text, 'f.jsonl');
  assert.equal(r.report.format, 'jsonl-tags');
  assert.equal(r.report.scheme, 'iob1');
  assert.deepEqual(
    r.sentences.map((s) => [s.tags, s.line]),
    [
      [['B-PER', 'I-PER'], 1],
      [['O', 'B-LOC'], 3],
    ],
  );
  throwsLine(() => parseTokenData('{"tokens":["a"],"tags":["O","O"]}', 'f.jsonl'), /^f\.jsonl:1: 1 tokens but 2 tags$/);
  throwsLine(() => parseTokenData('{"tokens":["a"],"tags":["O"]}\n{"tokens":[]', 'f.jsonl'), /^f\.jsonl:2: not valid JSON/);
  throwsLine(() => parseTokenData('{"tokens":["a"],"tags":[1]}', 'f.jsonl'), /^f\.jsonl:1: "tags" must be an array of strings$/);
  throwsLine(() => parseTokenData('{"words":["a"]}', 'f.jsonl'), /^f\.jsonl:1: a token-classification JSON line needs/);
  // A repair names the record's line
  const rep = parseTokenData('{"tokens":["a"],"tags":["O"]}\n{"tokens":["in","Rome","x"],"tags":["O","B-LOC","I-PER"]}', 'f.jsonl');
  assert.deepEqual(formatTagRepairs(rep.report.repairs), ['f.jsonl:2: I-PER after B-LOC continues no entity; read as B-PER']);
});

test('splitWords: runs of letters/digits, each punctuation mark alone, offsets kept', () => {
  assert.deepEqual(
    splitWords("Berlin's zoo, 2024!").map((w) => [w.text, w.start, w.end]),
    [
      ['Berlin', 0, 6],
      ["'", 6, 7],
      ['s', 7, 8],
      ['zoo', 9, 12],
      [',', 12, 13],
      ['2024', 14, 18],
      ['!', 18, 19],
    ],
  );
  assert.deepEqual(
    splitWords('Zoë  café').map((w) => w.text),
    ['Zoë', 'café'],
  );
});

test('JSON lines with text and character-offset entities: words tagged by overlap, in IOB2', () => {
  const text = "Angela Merkel visited Berlin's zoo.";
  //            0     6 7    13      22    28
  const line = (entities: unknown) => JSON.stringify({ text, entities });
  const r = parseTokenData(line([{ start: 22, end: 28, label: 'LOC' }, [0, 13, 'PER']]), 'f.jsonl');
  assert.equal(r.report.format, 'jsonl-spans');
  assert.deepEqual(r.sentences[0]!.tokens, ['Angela', 'Merkel', 'visited', 'Berlin', "'", 's', 'zoo', '.']);
  assert.deepEqual(r.sentences[0]!.tags, ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O', 'O', 'O']);
  assert.deepEqual(r.report.spanIssues, []);
  // A boundary inside a word tags the whole word and is reported; an overlapping entity is left out
  const b = parseTokenData(
    line([
      { start: 2, end: 13, label: 'PER' },
      { start: 7, end: 10, label: 'X' },
      { start: 22, end: 26, label: 'LOC' },
    ]),
    'f.jsonl',
  );
  assert.deepEqual(b.sentences[0]!.tags, ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O', 'O', 'O']);
  assert.deepEqual(
    b.report.spanIssues.map((i) => `${i.line}: ${i.entity.label} ${i.reason}`),
    [
      '1: PER starts inside the word "Angela" (0–6); the whole word is tagged',
      '1: X shares a word with an earlier entity (IOB cannot nest or overlap); left out',
      '1: LOC ends inside the word "Berlin" (22–28); the whole word is tagged',
    ],
  );
  // An entity over spaces only covers no word
  const s = parseTokenData(JSON.stringify({ text: 'a  b', entities: [{ start: 1, end: 3, label: 'X' }] }), 'f.jsonl');
  assert.deepEqual(s.sentences[0]!.tags, ['O', 'O']);
  assert.equal(s.report.spanIssues[0]!.reason, 'covers no word; left out');
  throwsLine(() => parseTokenData(line([{ start: 5, end: 99, label: 'X' }]), 'f.jsonl'), /^f\.jsonl:1: entity .* is not a span of the text \(0–35/);
  throwsLine(() => parseTokenData(line([{ start: 5, end: 9 }]), 'f.jsonl'), /^f\.jsonl:1: each entity needs integer "start" and "end" and a non-empty "label"/);
  throwsLine(() => parseTokenData('{"text":" ","entities":[]}', 'f.jsonl'), /^f\.jsonl:1: the text has no words$/);
});

test('readTokenFile reads a file by its extension; a missing file is one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-tokdata-'));
  const path = join(dir, 'a.jsonl');
  writeFileSync(path, '\uFEFF{"tokens":["Rome"],"tags":["B-LOC"]}\r\n');
  assert.deepEqual(readTokenFile(path).sentences[0]!.tags, ['B-LOC']);
  const c = join(dir, 'a.txt');
  writeFileSync(c, 'Rome\tB-LOC\r\n\r\nis\tO\r\n');
  assert.equal(readTokenFile(c).sentences.length, 2);
  throwsLine(() => readTokenFile(join(dir, 'none.conll')), /none\.conll: no such file$/);
  throwsLine(() => parseTokenData('x O', 'f', { format: 'csv' as 'conll' }), /^unknown token data format "csv"/, UsageError);
});

// WikiANN en and WNUT17 (../shared/token-datasets): every file parses, IOB2 inferred, sizes as published.
const DATASETS: [string, string, number, number][] = [
  // [folder, split, sentences, tag repairs]
  ['wikiann_en', 'train', 20_000, 0],
  ['wikiann_en', 'dev', 10_000, 0],
  ['wikiann_en', 'test', 10_000, 0],
  ['wnut17', 'train', 3_394, 0],
  // SOURCE.md says 1,008, which is the number of blank lines: the last sentence ends at a line
  // holding only a byte-order mark instead. 1,009 sentences, as in Hugging Face's wnut_17 validation split.
  // One tag is out of place: line 1674, "Turn I-creative-work" after "Sly- I-person".
  ['wnut17', 'dev', 1_009, 1],
];

for (const [folder, split, sentences, repairs] of DATASETS) {
  test(`${folder}/${split}.conll parses: ${sentences} sentences, IOB2`, needsShared(), () => {
    const r = readTokenFile(sharedPath('token-datasets', folder, `${split}.conll`));
    assert.equal(r.report.sentences, sentences);
    assert.equal(r.report.scheme, 'iob2');
    assert.equal(r.report.repairs.length, repairs);
    for (const s of r.sentences) assert.equal(s.tokens.length, s.tags.length);
  });
}

test('wnut17/dev: the out-of-place tag is reported at its line', needsShared(), () => {
  const r = readTokenFile(sharedPath('token-datasets', 'wnut17', 'dev.conll'));
  assert.deepEqual(
    r.report.repairs.map((x) => [x.line, x.tag, x.fixed]),
    [[1674, 'I-creative-work', 'B-creative-work']],
  );
});
