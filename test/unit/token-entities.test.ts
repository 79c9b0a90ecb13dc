import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import {
  AGGREGATION_STRATEGIES,
  type EncodedToken,
  type EntityGroup,
  isSubwordToken,
  mergeWindowScores,
  parseAggregationStrategy,
  softmaxRows,
  type TokenEntity,
  type TokenScoresInput,
  tokenEntities,
} from '../../src/inference/token-entities.js';

// Hand-built encodings with the expected entities worked out next to each case, following
// transformers' TokenClassificationPipeline (pipelines/token_classification.py). Scores are float32,
// so expected scores compare to 1e-6.

const BIO = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];

/** A probability row over `labels`: `p` on `label`, the rest spread evenly over the others. */
function row(labels: readonly string[], label: string, p: number): number[] {
  const rest = (1 - p) / (labels.length - 1);
  return labels.map((l) => (l === label ? p : rest));
}

const special = (token: string, at: number): EncodedToken => ({ token, start: at, end: at, special: true });

/** WordPiece tokens of `text` between [CLS] and [SEP], offsets found left to right (`##` pieces continue the word). */
function wordPieces(text: string, pieces: readonly string[]): EncodedToken[] {
  let cursor = 0;
  const body = pieces.map((token) => {
    const bare = token.startsWith('##') ? token.slice(2) : token;
    const start = text.indexOf(bare, cursor);
    assert.ok(start >= 0, `${bare} not in ${text}`);
    cursor = start + bare.length;
    return { token, start, end: cursor, special: false };
  });
  return [special('[CLS]', 0), ...body, special('[SEP]', 0)];
}

function input(text: string, tokens: EncodedToken[], rows: number[][], id2label: readonly string[], hasContinuingSubwordPrefix = true): TokenScoresInput {
  assert.equal(rows.length, tokens.length);
  return { text, tokens, scores: Float32Array.from(rows.flat()), id2label, hasContinuingSubwordPrefix };
}

/** Groups with scores checked to 1e-6 and then dropped, so the rest compares exactly. */
function groups(actual: EntityGroup[], expected: (Omit<EntityGroup, 'score'> & { score: number })[]): void {
  assert.deepEqual(
    actual.map(({ score: _, ...g }) => g),
    expected.map(({ score: _, ...g }) => g),
  );
  actual.forEach((g, i) =>
    assert.ok(Math.abs(g.score - expected[i]!.score) < 1e-6, `${g.entity_group} ${g.word}: score ${g.score}, expected ${expected[i]!.score}`),
  );
}

function tokensOf(actual: TokenEntity[], expected: TokenEntity[]): void {
  assert.deepEqual(
    actual.map(({ score: _, ...t }) => t),
    expected.map(({ score: _, ...t }) => t),
  );
  actual.forEach((t, i) => assert.ok(Math.abs(t.score - expected[i]!.score) < 1e-6, `${t.word}: score ${t.score}, expected ${expected[i]!.score}`));
}

// "John Smith lives in Paris": John B-PER .9, Smith I-PER .8, lives O .7, in O .6, Paris B-LOC .5.
// [CLS] and [SEP] predict B-PER/B-LOC at .9 but are specials, so they never show.
const john = (): TokenScoresInput => {
  const text = 'John Smith lives in Paris';
  const rows = [
    row(BIO, 'B-PER', 0.9),
    row(BIO, 'B-PER', 0.9),
    row(BIO, 'I-PER', 0.8),
    row(BIO, 'O', 0.7),
    row(BIO, 'O', 0.6),
    row(BIO, 'B-LOC', 0.5),
    row(BIO, 'B-LOC', 0.9),
  ];
  return input(text, wordPieces(text, ['John', 'Smith', 'lives', 'in', 'Paris']), rows, BIO);
};

test('none: one entry per non-special token with its argmax, index counting [CLS], O left out', () => {
  tokensOf(tokenEntities(john(), { aggregation: 'none' }), [
    { entity: 'B-PER', score: 0.9, index: 1, word: 'John', start: 0, end: 4 },
    { entity: 'I-PER', score: 0.8, index: 2, word: 'Smith', start: 5, end: 10 },
    { entity: 'B-LOC', score: 0.5, index: 5, word: 'Paris', start: 20, end: 25 },
  ]);
  // The default strategy is none.
  assert.equal(tokenEntities(john()).length, 3);
});

test('simple: B- then I- of the same type form one group scored by the mean; spans reach the text start and end', () => {
  groups(tokenEntities(john(), { aggregation: 'simple' }), [
    // (0.9 + 0.8) / 2 = 0.85, from John's start 0 to Smith's end 10.
    { entity_group: 'PER', score: 0.85, word: 'John Smith', start: 0, end: 10 },
    // The last token ends at text.length = 25.
    { entity_group: 'LOC', score: 0.5, word: 'Paris', start: 20, end: 25 },
  ]);
});

test('simple: a new B- breaks a group, an I- of another type starts one, an I- after O starts one', () => {
  const text = 'Ann Bob Cy Dee at Eve';
  // Ann B-PER .9 | Bob B-PER .8 → new group (B- never continues) | Cy I-PER .7 → joins Bob: (.8 + .7)/2 = .75
  // Dee I-LOC .6 → another type: LOC group | at O .9 | Eve I-PER .5 → after O: its own PER group
  const rows = [
    row(BIO, 'O', 0.9),
    row(BIO, 'B-PER', 0.9),
    row(BIO, 'B-PER', 0.8),
    row(BIO, 'I-PER', 0.7),
    row(BIO, 'I-LOC', 0.6),
    row(BIO, 'O', 0.9),
    row(BIO, 'I-PER', 0.5),
    row(BIO, 'O', 0.9),
  ];
  const scored = input(text, wordPieces(text, ['Ann', 'Bob', 'Cy', 'Dee', 'at', 'Eve']), rows, BIO);
  groups(tokenEntities(scored, { aggregation: 'simple' }), [
    { entity_group: 'PER', score: 0.9, word: 'Ann', start: 0, end: 3 },
    { entity_group: 'PER', score: 0.75, word: 'Bob Cy', start: 4, end: 10 },
    { entity_group: 'LOC', score: 0.6, word: 'Dee', start: 11, end: 14 },
    { entity_group: 'PER', score: 0.5, word: 'Eve', start: 18, end: 21 },
  ]);
});

test('ignore labels: compared with the label under none, with the group otherwise; O groups exist before the filter', () => {
  // Nothing ignored: lives + in form one O group, (0.7 + 0.6) / 2 = 0.65.
  groups(tokenEntities(john(), { aggregation: 'simple', ignoreLabels: [] }), [
    { entity_group: 'PER', score: 0.85, word: 'John Smith', start: 0, end: 10 },
    { entity_group: 'O', score: 0.65, word: 'lives in', start: 11, end: 19 },
    { entity_group: 'LOC', score: 0.5, word: 'Paris', start: 20, end: 25 },
  ]);
  groups(tokenEntities(john(), { aggregation: 'simple', ignoreLabels: ['O', 'PER'] }), [
    { entity_group: 'LOC', score: 0.5, word: 'Paris', start: 20, end: 25 },
  ]);
  // Under none the filter sees B-PER / I-PER, so ignoring 'PER' removes nothing.
  const none = tokenEntities(john(), { aggregation: 'none', ignoreLabels: ['O', 'PER'] });
  assert.deepEqual(
    none.map((t) => t.entity),
    ['B-PER', 'I-PER', 'B-LOC'],
  );
  assert.deepEqual(
    tokenEntities(john(), { aggregation: 'none', ignoreLabels: ['O', 'I-PER'] }).map((t) => t.word),
    ['John', 'Paris'],
  );
});

test('labels without B-/I- continue each other; E-/S- keep their letter for grouping but lose it in entity_group', () => {
  const text = 'a b c d';
  const plain = ['O', 'PER', 'LOC'];
  // PER .6, PER .8 → one group (get_tag reads a bare label as I-): (.6 + .8)/2 = .7; LOC .9; O.
  const scored = input(
    text,
    wordPieces(text, ['a', 'b', 'c', 'd']),
    [[1, 0, 0], row(plain, 'PER', 0.6), row(plain, 'PER', 0.8), row(plain, 'LOC', 0.9), row(plain, 'O', 0.9), [1, 0, 0]],
    plain,
  );
  groups(tokenEntities(scored, { aggregation: 'simple' }), [
    { entity_group: 'PER', score: 0.7, word: 'a b', start: 0, end: 3 },
    { entity_group: 'LOC', score: 0.9, word: 'c', start: 4, end: 5 },
  ]);
  // BIOES: B-PER then E-PER: get_tag's types are PER and E-PER, so two groups, both named PER (split on the first '-').
  const bioes = ['O', 'B-PER', 'E-PER'];
  const two = input('Jo Ng', wordPieces('Jo Ng', ['Jo', 'Ng']), [[1, 0, 0], row(bioes, 'B-PER', 0.8), row(bioes, 'E-PER', 0.6), [1, 0, 0]], bioes);
  groups(tokenEntities(two, { aggregation: 'simple' }), [
    { entity_group: 'PER', score: 0.8, word: 'Jo', start: 0, end: 2 },
    { entity_group: 'PER', score: 0.6, word: 'Ng', start: 3, end: 5 },
  ]);
});

// "Microsoft hired Anna" as WordPiece [CLS] Micro ##soft hired Anna [SEP]; ##soft (6 chars) over "soft" (4) is a subword.
const ORG = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG'];
const microsoft = (): TokenScoresInput => {
  const text = 'Microsoft hired Anna';
  const rows = [
    [1, 0, 0, 0, 0],
    [0.1, 0.1, 0.1, 0.6, 0.1], // Micro: B-ORG .6
    [0.05, 0.7, 0.05, 0.15, 0.05], // ##soft: B-PER .7
    row(ORG, 'O', 0.9), // hired
    [0.1, 0.8, 0.05, 0.025, 0.025], // Anna: B-PER .8
    [1, 0, 0, 0, 0],
  ];
  return input(text, wordPieces(text, ['Micro', '##soft', 'hired', 'Anna']), rows, ORG);
};

test('WordPiece words: simple splits Microsoft; first, max and average label it whole, each its own way', () => {
  // simple: per token, and the B-PER of ##soft starts a new group.
  groups(tokenEntities(microsoft(), { aggregation: 'simple' }), [
    { entity_group: 'ORG', score: 0.6, word: 'Micro', start: 0, end: 5 },
    { entity_group: 'PER', score: 0.7, word: 'soft', start: 5, end: 9 },
    { entity_group: 'PER', score: 0.8, word: 'Anna', start: 16, end: 20 },
  ]);
  // first: the word takes Micro's row → B-ORG .6.
  groups(tokenEntities(microsoft(), { aggregation: 'first' }), [
    { entity_group: 'ORG', score: 0.6, word: 'Microsoft', start: 0, end: 9 },
    { entity_group: 'PER', score: 0.8, word: 'Anna', start: 16, end: 20 },
  ]);
  // max: Micro's top is .6, ##soft's .7 → ##soft's row → B-PER .7. Anna is B- too, so it stays apart.
  groups(tokenEntities(microsoft(), { aggregation: 'max' }), [
    { entity_group: 'PER', score: 0.7, word: 'Microsoft', start: 0, end: 9 },
    { entity_group: 'PER', score: 0.8, word: 'Anna', start: 16, end: 20 },
  ]);
  // average: per class (.1+.05)/2 = .075, (.1+.7)/2 = .4, .075, (.6+.15)/2 = .375, .075 → B-PER .4.
  groups(tokenEntities(microsoft(), { aggregation: 'average' }), [
    { entity_group: 'PER', score: 0.4, word: 'Microsoft', start: 0, end: 9 },
    { entity_group: 'PER', score: 0.8, word: 'Anna', start: 16, end: 20 },
  ]);
});

test('word strategies: words then group like simple, the group score the mean of word scores', () => {
  // "New York ##er": New B-LOC .9, York I-LOC .6 with ##er (B-PER .5) as its subword.
  const text = 'New Yorker';
  const rows = [[1, 0, 0, 0, 0], row(BIO, 'B-LOC', 0.9), row(BIO, 'I-LOC', 0.6), row(BIO, 'B-PER', 0.5), [1, 0, 0, 0, 0]];
  const scored = input(text, wordPieces(text, ['New', 'York', '##er']), rows, BIO);
  // first: Yorker = York's row, I-LOC .6 → continues New: (0.9 + 0.6) / 2 = 0.75.
  groups(tokenEntities(scored, { aggregation: 'first' }), [{ entity_group: 'LOC', score: 0.75, word: 'New Yorker', start: 0, end: 10 }]);
  // average over York and ##er: I-LOC (.6 + .125)/2 = .3625, B-PER (.1 + .5)/2 = .3 → I-LOC .3625; (0.9 + 0.3625)/2 = 0.63125.
  groups(tokenEntities(scored, { aggregation: 'average' }), [{ entity_group: 'LOC', score: 0.63125, word: 'New Yorker', start: 0, end: 10 }]);
});

// SentencePiece ▁Wash ington ▁DC / byte-level Wash ington ĠDC over "Washington DC", no continuing-subword prefix.
test("fallback heuristic: a token continues a word unless a space is just before it or is its offsets' first character", () => {
  const text = 'Washington DC';
  const tok = (token: string, start: number, end: number): EncodedToken => ({ token, start, end, special: false });
  // Start 0 is never a subword; "ington" at 4: text[3..5) = "hi", no space → subword.
  assert.equal(isSubwordToken(text, tok('▁Wash', 0, 4), false), false);
  assert.equal(isSubwordToken(text, tok('ington', 4, 10), false), true);
  // ▁DC with offsets (11, 13): text[10..12) = " D" → not a subword; with offsets that keep the space, (10, 13): "n " → not either.
  assert.equal(isSubwordToken(text, tok('▁DC', 11, 13), false), false);
  assert.equal(isSubwordToken(text, tok('▁DC', 10, 13), false), false);
  assert.equal(isSubwordToken(text, tok('ĠDC', 11, 13), false), false);
  // Only a plain space counts: after a newline or a hyphen the heuristic still sees one word.
  assert.equal(isSubwordToken('Paris\nRome', tok('▁Rome', 6, 10), false), true);
  assert.equal(isSubwordToken('Jean-Luc', tok('Luc', 5, 8), false), true);
  // WordPiece compares lengths (in code points): "##DC" (4) over "DC" (2) is a subword; "DC" over "DC" is not.
  assert.equal(isSubwordToken(text, tok('##DC', 11, 13), true), true);
  assert.equal(isSubwordToken(text, tok('DC', 11, 13), true), false);
  // An uncased token over accented text keeps its length: "cafe" over "Café" is a word.
  assert.equal(isSubwordToken('Café', tok('cafe', 0, 4), true), false);
  // The unknown token is never a subword: "[UNK]" (5) over "☃" (1) would otherwise be one.
  assert.equal(isSubwordToken('a ☃', { token: '[UNK]', start: 2, end: 3, special: false, unknown: true }, true), false);
});

test('fallback heuristic in the word strategies: ▁Wash + ington form one word', () => {
  const text = 'Washington DC';
  const tokens: EncodedToken[] = [
    special('<s>', 0),
    { token: '▁Wash', start: 0, end: 4, special: false },
    { token: 'ington', start: 4, end: 10, special: false },
    // XLM-R style offsets that include the space the ▁ stands for.
    { token: '▁DC', start: 10, end: 13, special: false },
    special('</s>', 0),
  ];
  // Wash B-LOC .6, ington I-PER .5, DC I-LOC .7.
  const rows = [[1, 0, 0, 0, 0], row(BIO, 'B-LOC', 0.6), row(BIO, 'I-PER', 0.5), row(BIO, 'I-LOC', 0.7), [1, 0, 0, 0, 0]];
  const scored = input(text, tokens, rows, BIO, false);
  // first: Washington takes Wash's B-LOC .6; DC I-LOC .7 continues: (0.6 + 0.7) / 2 = 0.65. The span keeps DC's offsets, so the end is 13.
  groups(tokenEntities(scored, { aggregation: 'first' }), [{ entity_group: 'LOC', score: 0.65, word: 'Washington DC', start: 0, end: 13 }]);
  // simple: Wash LOC, ington PER (another type), DC I-LOC after PER → its own group starting at the space (offset 10).
  groups(tokenEntities(scored, { aggregation: 'simple' }), [
    { entity_group: 'LOC', score: 0.6, word: 'Wash', start: 0, end: 4 },
    { entity_group: 'PER', score: 0.5, word: 'ington', start: 4, end: 10 },
    { entity_group: 'LOC', score: 0.7, word: ' DC', start: 10, end: 13 },
  ]);
});

test('no tokens but specials: no entities under any strategy', () => {
  const scored = input('', [special('[CLS]', 0), special('[SEP]', 0)], [row(BIO, 'B-PER', 0.9), row(BIO, 'B-PER', 0.9)], BIO);
  for (const aggregation of AGGREGATION_STRATEGIES) assert.deepEqual(tokenEntities(scored, { aggregation }), []);
});

test('a score matrix of the wrong size is a bug, not a result', () => {
  const bad = { ...john(), scores: new Float32Array(3) };
  assert.throws(() => tokenEntities(bad), /3 scores for 7 tokens × 5 labels/);
});

test('parseAggregationStrategy: the five names; anything else a one-line UsageError naming --aggregation', () => {
  assert.deepEqual(
    AGGREGATION_STRATEGIES.map((s) => parseAggregationStrategy(s)),
    ['none', 'simple', 'first', 'average', 'max'],
  );
  assert.throws(
    () => parseAggregationStrategy('mean'),
    (e: unknown) => e instanceof UsageError && e.message === '--aggregation must be one of none, simple, first, average, max; got "mean"',
  );
});

test('softmaxRows: transformers shifted softmax per row', () => {
  // [0, ln 3] → e^0 : e^ln3 = 1 : 3 → [0.25, 0.75]; [1000, 1000] would overflow unshifted → [0.5, 0.5].
  const p = softmaxRows(Float32Array.from([0, Math.log(3), 1000, 1000]), 2);
  [0.25, 0.75, 0.5, 0.5].forEach((v, i) => assert.ok(Math.abs(p[i]! - v) < 1e-7, `p[${i}] = ${p[i]}`));
  assert.throws(() => softmaxRows(new Float32Array(3), 2), /not rows of 2/);
});

// Windows over a body of 5 tokens b0..b4 with [CLS] before and [SEP] after: the full encoding has 7 rows.
// Window A = [CLS] b0 b1 b2 b3 [SEP] (bodyStart 0, owns b0..b2); window B = [CLS] b2 b3 b4 [SEP] (bodyStart 2, owns b3, b4).
// Rows carry their window and row number in the first column: A row r = 10 + r, B row r = 20 + r.
const windowRows = (base: number, rows: number): Float32Array => Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? base + i / 2 : 0));

test('mergeWindowScores: each body token takes its owning window’s row; specials come from the first and last window', () => {
  const a = { bodyStart: 0, ownedFrom: 0, ownedTo: 3, scores: windowRows(10, 6) };
  const b = { bodyStart: 2, ownedFrom: 3, ownedTo: 5, scores: windowRows(20, 5) };
  const merged = mergeWindowScores([a, b], { prefixLength: 1, totalTokens: 7, numLabels: 2 });
  // [CLS] = A row 0; b0..b2 = A rows 1..3; b3 = B row 1 + 3 - 2 = 2; b4 = B row 3; [SEP] = B's last row 4.
  assert.deepEqual(Array.from(merged.filter((_, i) => i % 2 === 0)), [10, 11, 12, 13, 22, 23, 24]);
  // One window over the whole body gives back its own matrix.
  const whole = windowRows(30, 7);
  assert.deepEqual(mergeWindowScores([{ bodyStart: 0, ownedFrom: 0, ownedTo: 5, scores: whole }], { prefixLength: 1, totalTokens: 7, numLabels: 2 }), whole);
});

test('mergeWindowScores: gaps, overlaps and rows a window lacks are errors', () => {
  const layout = { prefixLength: 1, totalTokens: 7, numLabels: 2 };
  const a = { bodyStart: 0, ownedFrom: 0, ownedTo: 3, scores: windowRows(10, 6) };
  // A gap: B starts owning at 4, A stopped at 3.
  assert.throws(() => mergeWindowScores([a, { bodyStart: 2, ownedFrom: 4, ownedTo: 5, scores: windowRows(20, 5) }], layout), /continue at body token 3/);
  // A window that starts after the tokens it claims.
  assert.throws(() => mergeWindowScores([a, { bodyStart: 4, ownedFrom: 3, ownedTo: 5, scores: windowRows(20, 5) }], layout), /does not continue/);
  // A window too short for what it owns: B's 3 rows hold [CLS] b2 b3, not b4.
  assert.throws(() => mergeWindowScores([a, { bodyStart: 2, ownedFrom: 3, ownedTo: 5, scores: windowRows(20, 3) }], layout), /no row for body token 4/);
  assert.throws(() => mergeWindowScores([], layout), /no windows/);
});
