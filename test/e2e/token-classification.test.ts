/**
 * Token classification end to end through the CLI, on the embedded model (models/bert-tiny-en) and a
 * generated CoNLL set with a learnable pattern (people live in cities, work for organisations):
 * - `bertft train` infers the task from the CoNLL files and writes a BertForTokenClassification
 *   folder whose validation entity F1 is high, with training_results.json of the token kind;
 * - `bertft predict` on raw text prints entities whose offsets slice the text to their `word`, with
 *   the types the pattern teaches, and reads a text longer than one window without dropping tokens;
 * - `bertft evaluate --json` gives the F1 training reported for the same file;
 * - `bertft serve` answers `POST /classify` with entities and refuses a text pair with a 400;
 * - bad input (empty file, a tag without its token, an unknown scheme, a word longer than any
 *   window, files of two tasks) fails with one line naming the problem, a non-zero exit and no output folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, killAtCheckpoint, runCli } from '../helpers/cli.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';
import { TokenClassifier } from '../../src/token-classifier.js';
import { createClassificationServer } from '../../src/serve/server.js';
import { servedModelFromTokenClassifier } from '../../src/serve/served-model.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-tokens-'));
const PEOPLE = [
  ['Anna', 'Schmidt'],
  ['John', 'Miller'],
  ['Maria', 'Garcia'],
  ['David', 'Brown'],
  ['Laura', 'Rossi'],
  ['Peter', 'Novak'],
];
const CITIES = [['Paris'], ['Berlin'], ['New', 'York'], ['Madrid'], ['Tokyo'], ['Cairo']];
const ORGS = [['Siemens'], ['the', 'United', 'Nations'], ['Google'], ['Toyota'], ['Oxfam']];

/** Sentence k of a set: a person (B-PER I-PER), a verb, a city (LOC) and an organisation (ORG), in two templates. */
function sentence(k: number): [string, string][] {
  const person = PEOPLE[k % PEOPLE.length]!;
  const city = CITIES[(k + Math.floor(k / 6)) % CITIES.length]!;
  const org = ORGS[(k * 3 + Math.floor(k / 5)) % ORGS.length]!;
  const tag = (words: string[], type: string): [string, string][] => words.map((w, i) => [w, `${i === 0 ? 'B' : 'I'}-${type}`]);
  const orgTags: [string, string][] = org[0] === 'the' ? [['the', 'O'], ...tag(org.slice(1), 'ORG')] : tag(org, 'ORG');
  return k % 2 === 0
    ? [...tag(person, 'PER'), ['lives', 'O'], ['in', 'O'], ...tag(city, 'LOC'), ['and', 'O'], ['works', 'O'], ['for', 'O'], ...orgTags, ['.', 'O']]
    : [['Yesterday', 'O'], ...tag(person, 'PER'), ['flew', 'O'], ['to', 'O'], ...tag(city, 'LOC'), ['for', 'O'], ...orgTags, ['.', 'O']];
}

function conll(from: number, count: number): string {
  const blocks = Array.from({ length: count }, (_, i) =>
    sentence(from + i)
      .map(([w, t]) => `${w}\t${t}`)
      .join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}

const TRAIN = join(dir, 'train.conll');
const DEV = join(dir, 'dev.conll');
writeFileSync(TRAIN, conll(0, 240));
writeFileSync(DEV, conll(1000, 60));
const OUT = join(dir, 'ner');
const COMMON = ['--model', EMBEDDED_MODEL_DIR, '--max-length', '32', '--batch-size', '16', '--seed', '1', '--quiet'];

test('train infers token classification from CoNLL files and writes a BertForTokenClassification folder', () => {
  const r = runCli(['train', '--train', TRAIN, '--validation', DEV, '-o', OUT, '--epochs', '6', ...COMMON]);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(OUT, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForTokenClassification']);
  assert.equal(config.id2label['0'], 'O', 'O is label 0');
  assert.deepEqual(Object.values(config.id2label).sort(), ['B-LOC', 'B-ORG', 'B-PER', 'I-LOC', 'I-ORG', 'I-PER', 'O']);
  assert.equal(config.bertft.task, 'token-classification');
  const results = JSON.parse(readFileSync(join(OUT, 'training_results.json'), 'utf8'));
  assert.equal(results.problem_type, 'token_classification');
  assert.equal(results.best.metric, 'f1');
  assert.ok(results.final_eval.f1 > 0.9, `validation entity F1 ${results.final_eval.f1}`);
  assert.deepEqual(Object.keys(results.final_eval.per_type), ['LOC', 'ORG', 'PER']);
  const info = runCli(['info', '--model', OUT]);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /heads\s+token classification \(linear, \d[\d,]* parameters, 7 tags\)/);
});

test('predict prints entities with character offsets of the raw text, across windows for a long text', () => {
  const text = 'Maria Garcia lives in Tokyo and works for Google.';
  // Sentences of the second training template, so that finding their entities tests the windows, not how
  // the model generalises beyond the templates.
  const long = Array.from({ length: 12 }, () => 'Yesterday John Miller flew to Cairo for Oxfam.').join(' ');
  const r = runCli(['predict', '--model', OUT, '--quiet'], { input: `${text}\n${long}\n` });
  assert.equal(r.status, 0, r.stderr);
  const [first, second] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(first.text, text);
  for (const e of first.entities) assert.equal(text.slice(e.start, e.end), e.word);
  const found = first.entities.map((e: { entity_group: string; word: string }) => `${e.entity_group}:${e.word}`);
  assert.deepEqual(found, ['PER:Maria Garcia', 'LOC:Tokyo', 'ORG:Google']);
  // 12 sentences of ~11 pieces at --max-length 32: several windows, and every name, city and
  // organisation of every sentence inside a predicted entity, so no window dropped its tokens. (The
  // type is not asserted here: a window starts mid-sentence, at positions the 240 training sentences
  // never put a name, and a pre-trained encoder reads position, so types can blur at window edges.)
  const spans: { start: number; end: number; word: string }[] = second.entities;
  for (const e of spans) assert.equal(long.slice(e.start, e.end), e.word);
  for (const word of ['John', 'Miller', 'Cairo', 'Oxfam']) {
    const at = [...long.matchAll(new RegExp(word, 'g'))].map((m) => m.index);
    const inside = at.filter((i) => spans.some((e) => e.start <= i && i + word.length <= e.end));
    assert.equal(inside.length, 12, `${word}: ${inside.length} of 12 inside an entity; ${JSON.stringify(spans.slice(0, 8))}`);
  }
  const none = runCli(['predict', '--model', OUT, '--quiet', '--aggregation', 'none'], { input: `${text}\n` });
  const tokens = JSON.parse(none.stdout.trim()).entities;
  assert.deepEqual(
    tokens.map((t: { entity: string }) => t.entity),
    ['B-PER', 'I-PER', 'B-LOC', 'B-ORG'],
  );
});

test('evaluate --json gives the entity F1 training measured on the same file', () => {
  const r = runCli(['evaluate', '--model', OUT, '--data', DEV, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const trained = JSON.parse(readFileSync(join(OUT, 'training_results.json'), 'utf8')).final_eval;
  assert.equal(report.sentences, 60);
  assert.ok(Math.abs(report.f1 - trained.f1) < 1e-9, `${report.f1} vs ${trained.f1}`);
  assert.ok(Math.abs(report.eval_loss - trained.eval_loss) < 1e-5, `${report.eval_loss} vs ${trained.eval_loss}`);
  const text = runCli(['evaluate', '--model', OUT, '--data', DEV]);
  assert.match(text.stdout, /micro avg/);
  assert.match(text.stdout, /PER/);
});

test('serve answers with entities, and a text pair is a 400', async () => {
  const tagger = await TokenClassifier.fromPretrained(OUT);
  const served = createClassificationServer(servedModelFromTokenClassifier(tagger), { log: () => {} });
  await new Promise<void>((resolve) => served.server.listen(0, '127.0.0.1', resolve));
  const { port } = served.server.address() as { port: number };
  const post = (body: unknown) =>
    fetch(`http://127.0.0.1:${port}/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    const ok = await post({ text: 'David Brown lives in Paris.' });
    assert.equal(ok.status, 200);
    const { prediction } = (await ok.json()) as { prediction: { entities: { entity_group: string; word: string }[] } };
    assert.deepEqual(
      prediction.entities.map((e) => `${e.entity_group}:${e.word}`),
      ['PER:David Brown', 'LOC:Paris'],
    );
    const pair = await post({ texts: [{ text: 'a', text_pair: 'b' }] });
    assert.equal(pair.status, 400);
    assert.match(((await pair.json()) as { error: string }).error, /text_pair/);
    const meta = (await (await fetch(`http://127.0.0.1:${port}/metadata`)).json()) as { task: string };
    assert.equal(meta.task, 'token-classification');
  } finally {
    await served.close();
    await tagger.dispose();
  }
});

test('bad token data fails in one line, with a non-zero exit and nothing written', () => {
  const cases: [string, string, string[], RegExp][] = [
    ['empty.conll', '', [], /empty\.conll: empty file/],
    ['notoken.conll', 'Anna\tB-PER\n\tB-LOC\n', [], /notoken\.conll:2/],
    ['scheme.conll', 'Anna\tB-PER\n', ['--scheme', 'xyz'], /scheme/],
    // 52 letters, well under WordPiece's 100-character limit (a longer word is one [UNK]), in many pieces.
    ['longword.conll', `${'qzxjvkwpyf'.repeat(5)}ab\tB-PER\n`, ['--max-length', '8'], /longword\.conll:1: a word .* longer than a window/],
  ];
  for (const [name, content, flags, message] of cases) {
    const file = join(dir, name);
    writeFileSync(file, content);
    const out = join(dir, `out-${name}`);
    const r = runCli(['train', '--train', file, '--validation', DEV, '-o', out, '--model', EMBEDDED_MODEL_DIR, '--quiet', ...flags]);
    assert.notEqual(r.status, 0, `${name}: exit ${r.status}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(out), `${name}: no output folder`);
  }
  const tsv = join(dir, 'mixed.tsv');
  writeFileSync(tsv, 'a fine film\tpositive\n');
  const mixed = runCli(['train', '--train', TRAIN, '--validation', tsv, '-o', join(dir, 'mixed'), '--quiet']);
  assert.notEqual(mixed.status, 0);
  assert.match(mixed.stderr.trim(), /one run trains one task/);
});

test('SIGKILL mid-run, then --resume: the token classifier ends bit-identical to an uninterrupted run', async () => {
  const args = ['--train', TRAIN, '--validation', DEV, '--epochs', '2', '--checkpoint-minutes', '0', ...COMMON.filter((a) => a !== '--quiet')];
  const straight = join(dir, 'tok-straight');
  assert.equal(runCli(['train', ...args, '-o', straight]).status, 0);
  const killed = join(dir, 'tok-killed');
  const child = spawn(process.execPath, [BIN, 'train', ...args, '-o', killed], { env: { ...process.env, HF_HUB_OFFLINE: '1' }, stdio: 'ignore' });
  const killedAt = await killAtCheckpoint(child, join(killed, 'checkpoint-last', 'trainer_state.json'), 'globalStep', 3, 50, 1200);
  assert.ok(killedAt >= 3 && killedAt < 30, `killed at step ${killedAt} of 30`);
  assert.ok(!existsSync(join(killed, 'training_results.json')), 'the killed run did not finish');
  const resumed = runCli(['train', ...args, '-o', killed, '--resume', '--keep-checkpoints']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from step \d+/);
  const results = (d: string) => JSON.parse(readFileSync(join(d, 'training_results.json'), 'utf8'));
  assert.deepEqual(results(killed).final_eval, results(straight).final_eval);
  assert.ok(readFileSync(join(killed, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors'))), 'bit-identical weights');
  // A checkpoint of another run (here: another seed) is refused in one line.
  const other = runCli(['train', ...args.map((a) => (a === '1' ? '2' : a)), '-o', killed, '--resume']);
  assert.notEqual(other.status, 0);
  assert.match(other.stderr, /--resume: .* was trained with other data or settings/);
});
