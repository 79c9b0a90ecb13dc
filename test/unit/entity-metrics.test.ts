import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BertftError, UsageError } from '../../src/errors.js';
import { type EntityReport, entityReport, extractEntities } from '../../src/metrics/index.js';

// Hand-checked cases from the conlleval / seqeval definitions. Spans are [start, end) token indices.

const EPS = 1e-12;

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= EPS, `${what}: got ${actual}, expected ${expected}`);
}

function prf(r: Pick<EntityReport, 'precision' | 'recall' | 'f1'>, p: number, rec: number, f1: number): void {
  close(r.precision, p, 'precision');
  close(r.recall, rec, 'recall');
  close(r.f1, f1, 'f1');
}

/** The confusion's non-zero cells as "gold→predicted n" (O = no entity: a missed or spurious one). */
function cells(r: EntityReport): string[] {
  const { labels, matrix } = r.confusion;
  return matrix.flatMap((row, g) => row.flatMap((n, p) => (n > 0 ? [`${labels[g]}→${labels[p]} ${n}`] : [])));
}

const spans = (tags: string[], mode?: 'default' | 'strict'): string[] => extractEntities(tags, mode).map((e) => `${e.type}[${e.start},${e.end})`);

test('chunks in default (conlleval) mode: an I- after O or another type starts a chunk; a type change ends one', () => {
  assert.deepEqual(spans(['B-PER', 'I-PER', 'O', 'I-LOC', 'I-LOC']), ['PER[0,2)', 'LOC[3,5)']);
  assert.deepEqual(spans(['B-PER', 'I-LOC']), ['PER[0,1)', 'LOC[1,2)']);
  assert.deepEqual(spans(['B-PER', 'B-PER', 'I-PER']), ['PER[0,1)', 'PER[1,3)']);
  // IOB1: B- only between adjacent entities of one type.
  assert.deepEqual(spans(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC']), ['PER[0,2)', 'PER[2,3)', 'LOC[4,5)']);
  // BIOES: E and S end a chunk; an E after an E starts one.
  assert.deepEqual(spans(['S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'B-ORG', 'E-ORG', 'E-ORG']), ['PER[0,1)', 'LOC[1,4)', 'ORG[4,6)', 'ORG[6,7)']);
  assert.deepEqual(spans(['O', 'O']), []);
  assert.deepEqual(spans([]), []);
});

test('chunks in strict (seqeval IOB2) mode: only B-X I-X… is an entity', () => {
  assert.deepEqual(spans(['B-PER', 'I-PER', 'O', 'I-LOC', 'I-LOC'], 'strict'), ['PER[0,2)']);
  assert.deepEqual(spans(['B-PER', 'I-LOC'], 'strict'), ['PER[0,1)']);
  assert.deepEqual(spans(['B-PER', 'B-PER', 'I-PER'], 'strict'), ['PER[0,1)', 'PER[1,3)']);
  assert.deepEqual(spans(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'], 'strict'), ['PER[2,3)']);
  assert.throws(() => extractEntities(['S-PER'], 'strict'), /strict mode.*IOB2/);
});

test("seqeval's README example: a boundary error", () => {
  const gold = [
    ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const pred = [
    ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const r = entityReport(gold, pred);
  // gold MISC[3,6) PER[0,2); predicted MISC[2,6) PER[0,2): 1 of 2 match.
  // P = 1/2, R = 1/2, F1 = 2·1/(2·1 + 1 + 1) = 0.5 (seqeval's f1_score gives 0.50)
  prf(r, 0.5, 0.5, 0.5);
  // MISC: 0 of 1 → 0; PER: 1 of 1 → 1. Macro F1 = (0 + 1)/2 = 0.5
  close(r.per_type.MISC!.f1, 0, 'MISC f1');
  close(r.per_type.PER!.f1, 1, 'PER f1');
  close(r.macro_f1, 0.5, 'macro f1');
  // Tokens 2 (O vs B-MISC) and 3 (B-MISC vs I-MISC) differ: 8 of 10 = 0.8 (seqeval's accuracy_score)
  close(r.token_accuracy, 0.8, 'token accuracy');
  assert.equal(r.support, 2);
  assert.equal(r.predicted, 2);
  // The boundary error shows on the diagonal of the confusion (MISC matched with MISC by overlap).
  assert.deepEqual(cells(r), ['MISC→MISC 1', 'PER→PER 1']);
});

test('default vs strict: I- starts count in default mode and not in strict mode (seqeval docs)', () => {
  const gold = [['B-PER', 'I-PER', 'O', 'B-LOC']];
  const pred = [['I-PER', 'I-PER', 'O', 'I-LOC']];
  // default: predicted PER[0,2) LOC[3,4) = gold → P = 2/2, R = 2/2, F1 = 1
  prf(entityReport(gold, pred), 1, 1, 1);
  // strict: no predicted entity (no B-) → P = 0/0 := 0, R = 0/2 = 0, F1 = 0
  const strict = entityReport(gold, pred, { mode: 'strict' });
  prf(strict, 0, 0, 0);
  assert.equal(strict.predicted, 0);
  assert.equal(strict.support, 2);
  // Token accuracy does not depend on the mode: tokens 1 (I-PER) and 2 (O) match → 2/4 = 0.5
  close(strict.token_accuracy, 0.5, 'token accuracy');
});

test('IOB1 predictions against IOB2 gold: equal entities by default, only B- entities in strict mode', () => {
  const gold = [['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC']];
  const pred = [['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC']]; // the same entities written in IOB1
  // default: predicted PER[0,2) PER[2,3) LOC[4,5) = gold → P = R = F1 = 1
  prf(entityReport(gold, pred), 1, 1, 1);
  // strict: predicted PER[2,3) only, and it matches → P = 1/1, R = 1/3, F1 = 2·1/(2·1 + 0 + 2) = 0.5
  prf(entityReport(gold, pred, { mode: 'strict' }), 1, 1 / 3, 0.5);
});

test('type mismatch, a missed entity, and per-type / macro / weighted averages', () => {
  const gold = [['B-PER', 'I-PER', 'O', 'B-ORG', 'I-ORG', 'I-ORG', 'O', 'B-LOC']];
  const pred = [['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'O', 'O']];
  const r = entityReport(gold, pred);
  // gold PER[0,2) ORG[3,6) LOC[7,8); predicted PER[0,2) LOC[3,6): 1 correct.
  // P = 1/2, R = 1/3, F1 = 2·1/(2·1 + 1 + 2) = 2/5 = 0.4
  prf(r, 1 / 2, 1 / 3, 0.4);
  // PER 1/1/1; ORG: 0 predicted, 1 gold → 0/0/0; LOC: 1 predicted (wrong span type), 1 gold → 0/0/0
  assert.deepEqual(r.per_type.PER, { precision: 1, recall: 1, f1: 1, support: 1, predicted: 1, correct: 1 });
  assert.deepEqual(r.per_type.ORG, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 0, correct: 0 });
  assert.deepEqual(r.per_type.LOC, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 1, correct: 0 });
  // macro P = (1 + 0 + 0)/3, R = (1 + 0 + 0)/3, F1 = (1 + 0 + 0)/3; weighted F1 = (1·1 + 0·1 + 0·1)/3
  close(r.macro_precision, 1 / 3, 'macro P');
  close(r.macro_recall, 1 / 3, 'macro R');
  close(r.macro_f1, 1 / 3, 'macro F1');
  close(r.weighted_f1, 1 / 3, 'weighted F1');
  // tokens 0,1,2,6 match; 3,4,5 (ORG vs LOC) and 7 (B-LOC vs O) do not → 4/8
  close(r.token_accuracy, 0.5, 'token accuracy');
  // confusion (rows gold, columns predicted; O = no entity): PER→PER, ORG→LOC, LOC→missed
  assert.deepEqual(r.confusion.labels, ['LOC', 'ORG', 'PER', 'O']);
  assert.deepEqual(r.confusion.matrix, [
    [0, 0, 0, 1],
    [1, 0, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 0],
  ]);
});

test('a type change inside an entity: two chunks by default, the first only in strict mode', () => {
  const gold = [['B-PER', 'I-PER']];
  const pred = [['B-PER', 'I-LOC']];
  // default: predicted PER[0,1) LOC[1,2), gold PER[0,2): 0 correct → P = 0/2, R = 0/1, F1 = 0
  const d = entityReport(gold, pred);
  prf(d, 0, 0, 0);
  // confusion: the gold PER matches one predicted entity (PER, first of two with overlap 1); the LOC is spurious
  assert.deepEqual(cells(d), ['PER→PER 1', 'O→LOC 1']);
  // strict: predicted PER[0,1) only → P = 0/1, R = 0/1, F1 = 0
  const s = entityReport(gold, pred, { mode: 'strict' });
  prf(s, 0, 0, 0);
  assert.equal(s.predicted, 1);
});

test('BIOES: E- ends an entity; a short prediction is a boundary error', () => {
  const gold = [['S-PER', 'O', 'B-LOC', 'I-LOC', 'E-LOC']];
  const pred = [['S-PER', 'O', 'B-LOC', 'E-LOC', 'O']];
  // gold PER[0,1) LOC[2,5); predicted PER[0,1) LOC[2,4): P = 1/2, R = 1/2, F1 = 2·1/(2 + 1 + 1) = 0.5
  prf(entityReport(gold, pred), 0.5, 0.5, 0.5);
  assert.throws(() => entityReport(gold, pred, { mode: 'strict' }), BertftError);
});

test('chunks never cross sentences; spurious and missed entities', () => {
  // gold [PER[0,1)] and [PER[0,1)] (an I- at a sentence start starts a chunk); predicted one spurious ORG
  const gold = [['B-PER'], ['I-PER', 'O']];
  const pred = [['B-PER'], ['O', 'B-ORG']];
  const r = entityReport(gold, pred);
  // 1 correct of 2 predicted and 2 gold: P = 1/2, R = 1/2, F1 = 0.5
  prf(r, 0.5, 0.5, 0.5);
  assert.equal(r.sentences, 2);
  assert.equal(r.tokens, 3);
  // ORG only predicted: P = 0/1, R = 0/0 := 0; it still counts in the macro average:
  // macro F1 = (PER 2·1/(2 + 0 + 1) = 2/3 + ORG 0)/2 = 1/3
  close(r.per_type.PER!.f1, 2 / 3, 'PER f1');
  close(r.macro_f1, 1 / 3, 'macro F1');
  assert.deepEqual(cells(r), ['PER→PER 1', 'PER→O 1', 'O→ORG 1']);
});

test('the confusion matches gold and predicted entities one to one, by most shared tokens', () => {
  // gold PER[0,2) LOC[2,4)
  const gold = [['B-PER', 'I-PER', 'B-LOC', 'I-LOC']];
  const pred = [['B-ORG', 'I-ORG', 'I-ORG', 'B-LOC']];
  // predicted ORG[0,3) LOC[3,4). ORG overlaps PER by 2 and LOC by 1; LOC overlaps LOC by 1.
  // Pairs by overlap: PER–ORG (2), then LOC–LOC (1, ORG taken). Correct: none → P = 0/2, R = 0/2.
  const r = entityReport(gold, pred);
  prf(r, 0, 0, 0);
  assert.deepEqual(cells(r), ['LOC→LOC 1', 'PER→ORG 1']);
  // All O on both sides: no entities → every score 0, token accuracy 2/2 = 1
  const none = entityReport([['O', 'O']], [['O', 'O']]);
  prf(none, 0, 0, 0);
  close(none.token_accuracy, 1, 'token accuracy');
  assert.deepEqual(none.confusion, { labels: ['O'], matrix: [[0]] });
});

test('bad input: one line naming what is wrong', () => {
  assert.throws(() => entityReport([['O']], []), /1 gold sentences but 0 predicted/);
  assert.throws(() => entityReport([], []), /no sentences/);
  assert.throws(() => entityReport([['O', 'O']], [['O']]), /sentence 0 has 2 gold tags but 1 predicted/);
  assert.throws(() => entityReport([['O', 'PER']], [['O', 'O']]), /gold sentence 0, token 1: tag "PER" is not O or B-/);
  assert.throws(
    () => entityReport([['O']], [['O']], { mode: 'lenient' as 'strict' }),
    (e: unknown) => e instanceof UsageError && /unknown entity metrics mode "lenient"/.test(e.message),
  );
});
