import type { Command } from 'commander';
import {
  getRecipe,
  listRecipes,
  recipeSplits,
  resolveRecipeSplit,
  type Recipe,
} from '../../datasets/index.js';
import { recipeStatus, recipeTrainLine, type RecipeStatus } from '../../datasets/describe.js';
import { readFlagsText } from '../../datasets/usage.js';
import { parseNumber } from '../parse.js';
import { action } from '../run-command.js';

const DATA_DIR_HELP = 'folder laid out like ../shared/datasets: DIR/<name>/<files> (default: env BERTFT_DATA_DIR)';

const out = (line = '') => process.stdout.write(line + '\n');
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

/** "negative, positive", or "15: news_story, news_culture, news_entertainment, …" for long lists. */
function labelSummary(labels: string[]): string {
  return labels.length <= 4 ? labels.join(', ') : `${labels.length}: ${labels.slice(0, 3).join(', ')}, …`;
}

/** Left-aligned columns separated by two spaces. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

function dataDirLine(status: RecipeStatus): string {
  return status.dataDir ? `local copies looked up in ${status.dataDir}` : 'no data dir: pass --data-dir DIR or set BERTFT_DATA_DIR to use local copies';
}

function listAction(opts: { json?: boolean; dataDir?: string }): void {
  const rows = listRecipes().map((recipe) => ({ recipe, status: recipeStatus(recipe, opts.dataDir) }));
  if (opts.json) {
    json(
      rows.map(({ recipe, status }) => ({
        name: recipe.name,
        title: recipe.title,
        language: recipe.language,
        task: recipe.task,
        labels: recipe.labels,
        splits: recipeSplits(recipe),
        localCopy: status.localCopy,
        hub: recipe.hub?.id ?? null,
        downloadable: status.splits.some((s) => s.downloadable),
      })),
    );
    return;
  }
  const header = ['NAME', 'LANG', 'LABELS', 'SPLITS', 'LOCAL COPY', 'DOWNLOAD'];
  const body = rows.map(({ recipe, status }) => [
    recipe.name,
    recipe.language,
    labelSummary(recipe.labels),
    recipeSplits(recipe).join(', '),
    status.localCopy,
    recipe.builtin ? '-' : status.splits.some((s) => s.downloadable) ? recipe.hub!.id : 'no',
  ]);
  out(table([header, ...body]));
  out();
  out(dataDirLine(rows[0]!.status));
}

function showText(recipe: Recipe, status: RecipeStatus): void {
  const train = recipeTrainLine(recipe, status);
  const field = (name: string, value: string) => out(`${name.padEnd(12)} ${value}`);
  out(`${recipe.name}: ${recipe.title}`);
  out(recipe.description);
  out();
  field('language', recipe.language);
  field('task', `${recipe.task}, ${recipe.labels.length} classes`);
  field('labels', recipe.labels.join(', '));
  if (recipe.labelMap) {
    const raw = Object.entries(recipe.labelMap).map(([value, name]) => `${value}=${name}`).join(', ');
    field('raw labels', `${raw} (readRecipe renames them; bertft train on the files keeps the raw values)`);
  }
  for (const [role, what] of Object.entries(recipe.columns)) field(role === 'text' ? 'columns' : '', `${role}: ${what}`);
  for (const [i, s] of status.splits.entries()) {
    const size = s.size === undefined ? '' : ` (${s.size.toLocaleString('en-US')} examples)`;
    const where = s.found === 'missing' ? 'not found' : `${s.found}: ${(s.paths ?? []).join(', ')}`;
    field(i === 0 ? 'splits' : '', `${s.split}: ${s.files.join(', ')}${size} [${where}]`);
  }
  field('flags', train.flags || '(none)');
  out(dataDirLine(status));
  if (recipe.hub) {
    const files = recipe.hub.splits ? Object.entries(recipe.hub.splits).map(([split, f]) => `${split}: ${f.join(', ')}`).join('; ') : 'no readable files';
    field('hub', `${recipe.hub.id} (${files})`);
    const hubFlags = readFlagsText(recipe.hub.read);
    if (recipe.hub.splits && hubFlags) field('', `flags for the Hub files: ${hubFlags}`);
    if (recipe.hub.note) field('', recipe.hub.note);
  }
  if (recipe.builtin) field('built in', `npm package ${recipe.builtin.package}`);
  field('source', recipe.source);
  field('license', recipe.license);
  field('suggested', `--max-length ${recipe.suggested.maxLength} --epochs ${recipe.suggested.epochs}${recipe.suggested.batchSize ? ` --batch-size ${recipe.suggested.batchSize}` : ''}`);
  if (recipe.suggested.note) field('', recipe.suggested.note);
  out();
  out('train with:');
  out(`  ${train.command}`);
  if (train.note) out(`  (${train.note})`);
}

function showAction(name: string, opts: { json?: boolean; dataDir?: string }): void {
  const recipe = getRecipe(name);
  const status = recipeStatus(recipe, opts.dataDir);
  if (opts.json) {
    const train = recipeTrainLine(recipe, status);
    json({ ...recipe, status, train: { command: train.command, note: train.note ?? null } });
    return;
  }
  showText(recipe, status);
}

interface FetchFlags {
  json?: boolean;
  dataDir?: string;
  offline?: boolean;
  seed: string;
  validationFraction: string;
}

async function fetchAction(name: string, splits: string[], opts: FetchFlags): Promise<void> {
  const recipe = getRecipe(name);
  const seed = parseNumber('--seed', opts.seed, { min: 0 });
  const validationFraction = parseNumber('--validation-fraction', opts.validationFraction, { min: 0.01, max: 0.9 });
  const results = [];
  for (const split of splits.length ? splits : recipeSplits(recipe)) {
    const r = await resolveRecipeSplit(recipe.name, split, { dataDir: opts.dataDir, offline: opts.offline, seed, validationFraction });
    results.push({ split: r.split, origin: r.origin, sources: r.sources, read: r.read, flags: readFlagsText(r.read) });
  }
  if (opts.json) json({ name: recipe.name, splits: results });
  else for (const r of results) out(`${r.split}\t${r.origin}\t${r.sources.join(' ')}${r.flags ? `\t${r.flags}` : ''}`);
}

/** `bertft datasets list|show|fetch`: the named data-set recipes in datasets/. */
export function registerDatasets(program: Command): void {
  const datasets = program
    .command('datasets')
    .description('named data sets (sst2, imdb, ag_news, trec, ...): list them, show one, fetch its files');
  datasets
    .command('list')
    .description('list the data-set recipes, their labels and splits, and whether a local copy is found')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print JSON')
    .action(action(listAction));
  datasets
    .command('show')
    .description('columns, labels, reader flags and a `bertft train` line for one data set')
    .argument('<name>', 'recipe name (see bertft datasets list)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print JSON')
    .action(action(showAction));
  datasets
    .command('fetch')
    .description('find (or download from the Hugging Face Hub) the files of a data set and print their paths')
    .argument('<name>', 'recipe name')
    .argument('[splits...]', 'train, validation and/or test (default: all of the recipe)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--offline', 'never download (same as HF_HUB_OFFLINE=1)')
    .option('--seed <n>', 'built-in data set only: seed of the train/validation split', '42')
    .option('--validation-fraction <x>', 'built-in data set only: share held out for validation', '0.1')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ bertft datasets fetch sst2 --data-dir ../shared/datasets\n  $ bertft datasets fetch emotion train validation\n')
    .action(action(fetchAction));
}
