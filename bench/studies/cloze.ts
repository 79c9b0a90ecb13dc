/**
 * The cloze probe (issue 21): 50 held-out sentences with one word masked, each with a short list of
 * acceptable answers (bench/studies/cloze-items.tsv; the sentences are SST-2 dev, which no
 * pre-training corpus here reads). Prints top-1 and top-5 accuracy per model: an answer counts when
 * one of the model's first k predictions for the [MASK] is in the row's list.
 *
 *   node --import tsx bench/studies/cloze.ts [--model DIR,DIR…] [--show] [--json FILE]
 *
 * --model defaults to the embedded model (models/bert-tiny-en); give several folders (the old and the
 * new model, or the snapshots of a pre-training run) to compare them on the same items.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fillMask } from '../../src/inference/fill-mask.js';
import { REPO_ROOT, SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const ITEMS = join(REPO_ROOT, 'bench', 'studies', 'cloze-items.tsv');
const SENTENCES = join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv');
const TOP_K = 5;

const args = parseArgs('node --import tsx bench/studies/cloze.ts [options]', {
  '--model': { type: 'list', optional: true, help: 'model folders with a masked-LM head, comma-separated (default: models/bert-tiny-en)' },
  '--show': { type: 'flag', help: "print each item's top 5 for every model" },
  '--json': { type: 'string', value: 'FILE', optional: true, help: 'also write the scores as JSON' },
});
const models = args.model ?? [resolve(REPO_ROOT, 'models', 'bert-tiny-en')];

interface Item {
  line: number;
  word: string;
  answers: string[];
  text: string;
}

/** The probe's rows with their sentences, the masked word replaced by [MASK]. */
function readItems(): Item[] {
  const sentences = readFileSync(SENTENCES, 'utf8').split('\n');
  return readFileSync(ITEMS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((row, i) => {
      const [line, word, answers] = row.split('\t');
      const sentence = sentences[Number(line) - 1]?.split('\t')[0]?.trim();
      const words = sentence?.split(' ') ?? [];
      const at = words.indexOf(word!);
      if (at < 0) throw new Error(`${ITEMS}: row ${i + 1}: "${word}" is not a word of ${SENTENCES}:${line}`);
      words[at] = '[MASK]';
      return { line: Number(line), word: word!, answers: answers!.split(','), text: words.join(' ') };
    });
}

const items = readItems();
const scores: Array<{ model: string; top1: number; top5: number }> = [];
for (const model of models) {
  const results = await fillMask(
    model,
    items.map((it) => it.text),
    { topK: TOP_K },
  );
  let top1 = 0;
  let top5 = 0;
  results.forEach((r, i) => {
    const item = items[i]!;
    const guesses = r.masks[0]!.map((p) => p.token_str.trim());
    if (item.answers.includes(guesses[0]!)) top1++;
    if (guesses.some((g) => item.answers.includes(g))) top5++;
    if (args.show) console.log(`${item.line}\t${item.word}\t${guesses.join(' ')}`);
  });
  scores.push({ model, top1: top1 / items.length, top5: top5 / items.length });
}

console.log(`| model | top-1 (${items.length} items) | top-5 |`);
console.log('|---|---:|---:|');
for (const s of scores) console.log(`| ${s.model} | ${s.top1.toFixed(2)} | ${s.top5.toFixed(2)} |`);
if (args.json) writeFileSync(args.json, JSON.stringify(scores, null, 2) + '\n');
