/**
 * `bertft export` of every family's classifiers in transformers.js (v4.3): for each of the eight
 * families, the `seq/` (`<Family>ForSequenceClassification`) and `tok/`
 * (`<Family>ForTokenClassification`) folders of shared/fixtures/hf-e2e are exported once
 * (text-classification, token-classification) and transformers.js's pipeline, offline, over the
 * export gives bertft's own labels and probabilities (within 1e-4) on the single texts of
 * texts.json that fit the export's `model_max_length` (the README's 64; the long review is cut
 * there by both, into different windows by `TokenClassifier`, so it is left out).
 *
 * - text-classification: `top_k: null` gives every label's score, compared with
 *   `TextClassifier.predict`'s `scores`; the top label is predict's `label`.
 * - token-classification: transformers.js gives, per piece, the argmax label and its probability
 *   (`aggregation_strategy` 'none'), compared with `TokenClassifier.predict` (`aggregation: 'none'`,
 *   `ignoreLabels: []`) by `index` (the piece's position in `input_ids`, [CLS]/<s> counting as 0).
 *   transformers.js leaves out every piece that decodes to '' with `skip_special_tokens`: the
 *   unknown piece (a special token of tokenizer.json) and, for the Metaspace tokenizers
 *   (xlm-roberta, deberta-v2), a bare `▁`; bertft reports them, so they are the only pieces of
 *   bertft's that transformers.js may lack.
 *
 * A family/task transformers.js 4.3 does not run is listed in REFUSED with the error it gives: the
 * test asserts that very error, so it fails (and the list in docs/families.md needs updating)
 * when a later transformers.js runs it. The measured max |Δprob| are printed at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { TextClassifier } from '../../src/classifier.js';
import { exportModel, type ExportTask } from '../../src/export/onnx-export.js';
import type { TokenEntity } from '../../src/inference/token-entities.js';
import { TokenClassifier } from '../../src/token-classifier.js';
import { needsShared, sharedData, sharedPath } from '../helpers/shared.js';

const FAMILIES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;
type Family = (typeof FAMILIES)[number];
type Task = Extract<ExportTask, 'text-classification' | 'token-classification'>;

const TOLERANCE = 1e-4;
const LABELS = ['negative', 'neutral', 'positive'];
const TAGS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG'];

/** What transformers.js 4.3 does with the exports it does not run (docs/families.md lists them). */
const REFUSED: Partial<Record<`${Family} ${Task}`, RegExp>> = {
  // No AlbertForTokenClassification in transformers.js: pipeline() finds no class for the model_type.
  'albert token-classification': /^Unsupported model type: albert$/,
};

const work = mkdtempSync(join(tmpdir(), 'bertft-tjs-families-'));
after(() => rmSync(work, { recursive: true, force: true }));

before(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});

/** The single (not pair) texts of texts.json. */
const singleTexts = sharedData(() =>
  (JSON.parse(readFileSync(sharedPath('fixtures', 'hf-e2e', 'texts.json'), 'utf8')) as (string | [string, string])[]).filter(
    (t): t is string => typeof t === 'string',
  ),
);

/** Exports a family's `seq/` or `tok/` folder (once per test) and returns the export's folder and model_max_length. */
async function exported(family: Family, task: Task): Promise<{ source: string; out: string; maxLength: number }> {
  const source = sharedPath('fixtures', 'hf-e2e', family, task === 'text-classification' ? 'seq' : 'tok');
  const out = join(work, `${family}-${task}`);
  assert.equal((await exportModel(source, out, { task })).task, task);
  const { model_max_length } = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as { model_max_length: number };
  return { source, out, maxLength: model_max_length };
}

/** A tokenizer as transformers.js's pipeline holds it: text → `input_ids` (untruncated here). */
type JsTokenizer = (text: string) => { input_ids: { tolist(): unknown } };

/**
 * The texts both tokenize alike (checked, untruncated) and whose ids fit `maxLength`, so neither side
 * cuts them; at least five, and the long review is not one of them.
 */
function fitting(texts: string[], ours: number[][], theirs: JsTokenizer, maxLength: number, family: Family): number[] {
  const picked: number[] = [];
  texts.forEach((text, i) => {
    const ids = (theirs(text).input_ids.tolist() as bigint[][])[0]!.map(Number);
    assert.deepEqual(ids, ours[i], `${family} text ${i}: transformers.js tokenizes as bertft`);
    if (ids.length <= maxLength) picked.push(i);
  });
  assert.ok(picked.length >= 5 && picked.length < texts.length, `${family}: ${picked.length} of ${texts.length} texts fit ${maxLength}`);
  return picked;
}

/** bertft's untruncated ids of each text (the folder's tokenizer.json and post-processor). */
async function bertftIds(classifier: TextClassifier | TokenClassifier, texts: string[]): Promise<number[][]> {
  const ids: number[][] = [];
  for (const text of texts) ids.push((await classifier.folder.tokenizer.encode(text, undefined, { maxLength: 1024 })).ids);
  return ids;
}

/** The measured max |Δprob| per family and task, printed at the end. */
const results: string[] = [];
after(() => console.log(`transformers.js 4.3 on bertft's exports, max |Δprob| against bertft:\n${results.join('\n')}`));

/** One transformers.js text-classification score (`top_k: null`: every label, best first). */
interface LabelScore {
  label: string;
  score: number;
}

async function textClassification(family: Family): Promise<string> {
  const { source, out, maxLength } = await exported(family, 'text-classification');
  const classify = await pipeline('text-classification', out, { dtype: 'fp32' });
  const classifier = await TextClassifier.fromPretrained(source);
  try {
    const all = singleTexts();
    const texts = fitting(all, await bertftIds(classifier, all), classify.tokenizer as unknown as JsTokenizer, maxLength, family).map((i) => all[i]!);
    // All in one call: transformers.js pads the batch, so its attention masking is exercised too.
    const got = (await classify(texts, { top_k: null })) as unknown as LabelScore[][];
    const want = await classifier.predict(texts);
    assert.equal(got.length, texts.length);
    let worst = 0;
    got.forEach((row, i) => {
      assert.deepEqual(row.map((s) => s.label).sort(), [...LABELS].sort(), `${family} text ${i}: every label`);
      assert.equal(row[0]!.label, want[i]!.label, `${family} text ${i}: the top label`);
      for (const { label, score } of row) {
        const diff = Math.abs(score - want[i]!.scores[label]!);
        worst = Math.max(worst, diff);
        assert.ok(diff <= TOLERANCE, `${family} text ${i} ${label}: transformers.js ${score} vs predict ${want[i]!.scores[label]}`);
      }
    });
    return `${texts.length} texts, max |Δprob| ${worst.toExponential(1)}`;
  } finally {
    await classifier.dispose();
    await classify.dispose();
  }
}

/** One transformers.js token-classification entry (aggregation_strategy 'none'). */
interface JsEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
}

async function tokenClassification(family: Family): Promise<string> {
  const { source, out, maxLength } = await exported(family, 'token-classification');
  const tagger = await pipeline('token-classification', out, { dtype: 'fp32' });
  const classifier = await TokenClassifier.fromPretrained(source);
  try {
    assert.deepEqual(classifier.labels, TAGS);
    const all = singleTexts();
    const texts = fitting(all, await bertftIds(classifier, all), tagger.tokenizer as unknown as JsTokenizer, maxLength, family).map((i) => all[i]!);
    const got = (await tagger(texts, { ignore_labels: [] })) as unknown as JsEntity[][];
    const want = await classifier.predict(texts, { aggregation: 'none', ignoreLabels: [] });
    const tokens = await classifier.tokenLogits(texts);
    assert.equal(got.length, texts.length);
    let worst = 0;
    let compared = 0;
    got.forEach((theirs, i) => {
      assert.equal(want[i]!.windows, 1, `${family} text ${i}: one window`);
      const ours = want[i]!.entities as TokenEntity[];
      const byIndex = new Map(ours.map((e) => [e.index, e]));
      const reported = new Set(theirs.map((e) => e.index));
      // The pieces transformers.js leaves out: those that decode to '' (see the header).
      for (const e of ours) {
        if (reported.has(e.index)) continue;
        const t = tokens[i]!.tokens[e.index]!;
        assert.ok(t.unknown === true || t.token === '▁', `${family} text ${i}: transformers.js leaves out piece ${e.index} (${JSON.stringify(t.token)})`);
      }
      for (const e of theirs) {
        const mine = byIndex.get(e.index);
        assert.ok(mine, `${family} text ${i}: transformers.js reports piece ${e.index} (${e.word}), which bertft does not`);
        assert.equal(e.entity, mine.entity, `${family} text ${i} piece ${e.index} (${e.word}): the label`);
        const diff = Math.abs(e.score - mine.score);
        worst = Math.max(worst, diff);
        assert.ok(diff <= TOLERANCE, `${family} text ${i} piece ${e.index} (${e.word}): transformers.js ${e.score} vs bertft ${mine.score}`);
        compared++;
      }
    });
    assert.ok(compared >= 5 * texts.length, `${family}: ${compared} pieces compared`);
    return `${texts.length} texts, ${compared} pieces, max |Δprob| ${worst.toExponential(1)}`;
  } finally {
    await classifier.dispose();
    await tagger.dispose();
  }
}

for (const family of FAMILIES) {
  for (const task of ['text-classification', 'token-classification'] as const) {
    const refusal = REFUSED[`${family} ${task}`];
    const name = refusal
      ? `${family} ${task}: the export is written, and transformers.js 4.3 refuses it (${refusal.source})`
      : `${family} ${task}: transformers.js on the export gives bertft's labels and probabilities (within ${TOLERANCE})`;
    test(name, needsShared({ timeout: 60_000 }), async () => {
      if (refusal) {
        const { out } = await exported(family, task);
        await assert.rejects(pipeline(task, out, { dtype: 'fp32' }), (e: Error) => {
          assert.match(e.message, refusal);
          return true;
        });
        results.push(`${family} ${task}: refused by transformers.js (${refusal.source})`);
        return;
      }
      const summary = task === 'text-classification' ? await textClassification(family) : await tokenClassification(family);
      results.push(`${family} ${task}: ${summary}`);
    });
  }
}
