/**
 * Text → tokens → per-token logits for the BERT family's token classifiers against Hugging Face
 * (shared/fixtures/hf-e2e, README.md there): each family's `tok/` folder, a random
 * `<Family>ForTokenClassification` with its own tokenizer.json, loaded by `TokenClassifier` alone.
 * For every single text of texts.json that fits the folders' model_max_length (64) untruncated,
 * `TokenClassifier.tokenLogits` (one window, special tokens included) gives as many tokens as
 * transformers, every logit within 1e-4, and the same label for every token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TokenClassifier } from '../../src/token-classifier.js';
import { needsShared, sharedData, sharedPath } from '../helpers/shared.js';

const FAMILIES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'albert', 'deberta-v2', 'modernbert'] as const;

interface Expected {
  max_length: number;
  texts: (string | [string, string])[];
  rows: { ids: number[]; tok_logits: number[][]; tok_labels: string[] }[];
}

const expected = (family: string) =>
  sharedData(() => JSON.parse(readFileSync(sharedPath('fixtures', 'hf-e2e', family, 'expected.json'), 'utf8')) as Expected)();

const report: string[] = [];
test.after(() => console.log(`token classifiers, text → logits, max |diff| against transformers 5.17:\n${report.join('\n')}`));

for (const family of FAMILIES) {
  test(`${family}: TokenClassifier gives transformers' per-token logits and labels from text`, needsShared(), async () => {
    const e = expected(family);
    const tagger = await TokenClassifier.fromPretrained(sharedPath('fixtures', 'hf-e2e', family, 'tok'));
    const rows = e.texts.map((text, i) => ({ text, row: e.rows[i]! })).filter(({ text, row }) => typeof text === 'string' && row.ids.length < e.max_length);
    assert.ok(rows.length >= 5, `${family}: ${rows.length} comparable texts`);
    const read = await tagger.tokenLogits(
      rows.map((r) => r.text as string),
      { maxLength: e.max_length },
    );
    const C = tagger.labels.length;
    let worst = 0;
    read.forEach((got, k) => {
      const { row } = rows[k]!;
      assert.equal(got.windows, 1, 'one window');
      assert.equal(got.tokens.length, row.ids.length, `${family} text ${k}: token count`);
      row.tok_logits.forEach((want, t) => {
        const mine = got.logits.subarray(t * C, (t + 1) * C);
        want.forEach((w, c) => (worst = Math.max(worst, Math.abs(mine[c]! - w))));
        const best = Array.from(mine).reduce((b, v, c, a) => (v > a[b]! ? c : b), 0);
        assert.equal(tagger.labels[best], row.tok_labels[t], `${family} text ${k} token ${t}: label`);
      });
    });
    report.push(`  ${family}: ${rows.length} texts, logits ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-4, `${family}: logits off by ${worst}`);
    await tagger.dispose();
  });
}
