/**
 * Calibration of `advise`'s similarity limits for a model (docs/concepts.md, "Calibration"): for each
 * data set's training texts, the word-piece fragmentation (pieces per word, [UNK] share) and the
 * masked-LM loss and accuracy that `adviseStrategy` measures, over seeds. A model's own limits belong
 * in its config.json (`bertft_similarity`), between the numbers of text like its pre-training text
 * and of far text.
 *
 *   node --import tsx bench/studies/similarity.ts [--model DIR] [--seeds 42,7] [--sets imdb:train,sst2:validation,…]
 */
import { join, resolve } from 'node:path';
import { readExamples } from '../../src/data/index.js';
import { getDatasetSpec } from '../../src/datasets/index.js';
import { loadPretrained } from '../../src/pretrained.js';
import { adviseStrategy } from '../../src/training/advise.js';
import { REPO_ROOT, SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const SETS = [
  'emotion:train',
  'imdb:train',
  'imdb:test',
  'mr:train',
  'sst2:validation',
  'sst2:train',
  'ag_news:test',
  'sms_spam:train',
  'trec:train',
  'chnsenticorp:train',
];
const args = parseArgs('node --import tsx bench/studies/similarity.ts [options]', {
  '--model': { type: 'string', value: 'DIR', default: resolve(REPO_ROOT, 'models', 'bert-tiny-en'), help: 'the model (default: the embedded model)' },
  '--seeds': { type: 'numbers', default: [42, 7], help: 'sampling seeds' },
  '--sets': { type: 'list', default: SETS, help: 'data set:split pairs (recipes in datasets/)' },
});

/** The texts of a data set's split, read by its recipe from ../shared/datasets. */
function texts(set: string): string[] {
  const [name, split] = set.split(':') as [string, 'train' | 'validation' | 'test'];
  const local = getDatasetSpec(name).local;
  const files = local?.splits[split];
  if (!local || !files) throw new Error(`${set}: the recipe has no local ${split} split`);
  return readExamples(
    files.map((f) => join(SHARED_DIR, 'datasets', local.folder, f)),
    local.read,
  ).examples.map((e) => e.text);
}

const model = await loadPretrained(args.model, { offline: true });
console.log(`| training texts | pieces/word | [UNK] | masked-LM loss (seeds ${args.seeds.join(' / ')}) | accuracy |`);
console.log('|---|---:|---:|---|---|');
for (const set of args.sets) {
  const xs = texts(set);
  const runs = [];
  for (const seed of args.seeds) runs.push(await adviseStrategy(model, xs, { seed }));
  const m = runs.map((r) => r.maskedLm);
  console.log(
    `| ${set} | ${runs[0]!.piecesPerWord.toFixed(2)} | ${(runs[0]!.unkRate * 100).toFixed(1)} % | ${m.map((x) => x?.loss.toFixed(2) ?? '–').join(' / ')} | ${m.map((x) => (x ? `${(x.accuracy * 100).toFixed(1)} %` : '–')).join(' / ')} |`,
  );
}
