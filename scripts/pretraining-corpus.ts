/**
 * Writes the unlabelled English corpus the embedded model (models/bert-tiny-en) was pre-trained on,
 * from ../shared/datasets, one document a line:
 *   <out>/train.txt — IMDB train + test review texts (but the held-out ones), AG News train-sample
 *                     descriptions (alps_dev_from_train.tsv, less the ones that also occur in the
 *                     test split), emotion training texts (less any that occur in its test/validation);
 *   <out>/heldout.txt — the last 500 IMDB test reviews, for held-out masked-LM loss and accuracy.
 * Never read: SST-2, MR, TREC, SMS spam, AG News test, emotion test/validation (except to exclude
 * duplicates), SpamAssassin. Labels are dropped.
 *
 *   node --import tsx scripts/pretraining-corpus.ts corpus
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../tools/shared-dir.js';

const data = (...p: string[]) => join(SHARED_DIR, 'datasets', ...p);
const out = process.argv[2] ?? 'corpus';
const HELDOUT = 500;

const clean = (t: string) =>
  t
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
const jsonlTexts = (file: string) => lines(file).map((l) => clean((JSON.parse(l) as { text: string }).text));

const imdb = [...jsonlTexts(data('imdb', 'train.jsonl')), ...jsonlTexts(data('imdb', 'test.jsonl'))];
const heldout = imdb.slice(-HELDOUT);
const imdbTrain = imdb.slice(0, -HELDOUT);

const agTest = new Set([...lines(data('ag_news', 'alps_test.tsv')).map((l) => clean(l.split('\t')[0]!))]);
const agAll = lines(data('ag_news', 'alps_dev_from_train.tsv')).map((l) => clean(l.split('\t')[0]!));
const ag = agAll.filter((t) => !agTest.has(t));

const emotionText = (l: string) => clean(l.slice(0, l.lastIndexOf(';')));
const emotionHeld = new Set([...lines(data('emotion', 'test.txt')), ...lines(data('emotion', 'val.txt'))].map(emotionText));
const emotionAll = lines(data('emotion', 'train.txt')).map(emotionText);
const emotion = emotionAll.filter((t) => !emotionHeld.has(t));

mkdirSync(out, { recursive: true });
const train = [...imdbTrain, ...ag, ...emotion].filter((t) => t.length > 0);
writeFileSync(join(out, 'train.txt'), `${train.join('\n')}\n`);
writeFileSync(join(out, 'heldout.txt'), `${heldout.join('\n')}\n`);
console.log(
  JSON.stringify({
    imdb_reviews: imdbTrain.length,
    heldout_imdb_reviews: heldout.length,
    ag_news_descriptions: ag.length,
    ag_news_dropped_as_in_test: agAll.length - ag.length,
    emotion_texts: emotion.length,
    emotion_dropped_as_in_test_or_val: emotionAll.length - emotion.length,
    documents: train.length,
  }),
);
