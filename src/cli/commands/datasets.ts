import type { Command } from 'commander';
import { getDatasetSpec, listDatasets, datasetSplits, resolveDatasetSplit, type DatasetSpec } from '../../datasets/index.js';
import { datasetStatus, datasetTrainLine, type DatasetStatus } from '../../datasets/describe.js';
import { readFlagsText } from '../../datasets/usage.js';
import { parseNumber } from '../parse.js';
import { action } from '../run-command.js';

const DATA_DIR_HELP = 'folder laid out like ../shared/datasets: DIR/<name>/<files> (default: env BERTFT_DATA_DIR)';

const out = (line = '') => process.stdout.write(`${line}\n`);
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

function dataDirLine(status: DatasetStatus): string {
  return status.dataDir ? `local copies looked up in ${status.dataDir}` : 'no data dir: pass --data-dir DIR or set BERTFT_DATA_DIR to use local copies';
}

function listAction(opts: { json?: boolean; dataDir?: string }): void {
  const rows = listDatasets().map((spec) => ({ spec, status: datasetStatus(spec, opts.dataDir) }));
  if (opts.json) {
    json(
      rows.map(({ spec, status }) => ({
        name: spec.name,
        title: spec.title,
        language: spec.language,
        task: spec.task,
        labels: spec.labels,
        splits: datasetSplits(spec),
        localCopy: status.localCopy,
        hub: spec.hub?.id ?? null,
        downloadable: status.splits.some((s) => s.downloadable),
      })),
    );
    return;
  }
  const header = ['NAME', 'LANG', 'LABELS', 'SPLITS', 'LOCAL COPY', 'DOWNLOAD'];
  const body = rows.map(({ spec, status }) => [
    spec.name,
    spec.language,
    labelSummary(spec.labels),
    datasetSplits(spec).join(', '),
    status.localCopy,
    spec.builtin ? '-' : status.splits.some((s) => s.downloadable) ? spec.hub!.id : 'no',
  ]);
  out(table([header, ...body]));
  out();
  out(dataDirLine(rows[0]!.status));
}

function showText(spec: DatasetSpec, status: DatasetStatus): void {
  const train = datasetTrainLine(spec, status);
  const field = (name: string, value: string) => out(`${name.padEnd(12)} ${value}`);
  out(`${spec.name}: ${spec.title}`);
  out(spec.description);
  out();
  field('language', spec.language);
  field('task', `${spec.task}, ${spec.labels.length} classes`);
  field('labels', spec.labels.join(', '));
  if (spec.labelMap) {
    const raw = Object.entries(spec.labelMap)
      .map(([value, name]) => `${value}=${name}`)
      .join(', ');
    field('raw labels', `${raw} (readDataset renames them; bertft train on the files keeps the raw values)`);
  }
  for (const [role, what] of Object.entries(spec.columns)) field(role === 'text' ? 'columns' : '', `${role}: ${what}`);
  for (const [i, s] of status.splits.entries()) {
    const size = s.size === undefined ? '' : ` (${s.size.toLocaleString('en-US')} examples)`;
    const where = s.found === 'missing' ? 'not found' : `${s.found}: ${(s.paths ?? []).join(', ')}`;
    field(i === 0 ? 'splits' : '', `${s.split}: ${s.files.join(', ')}${size} [${where}]`);
  }
  field('flags', train.flags || '(none)');
  out(dataDirLine(status));
  if (spec.hub) {
    const files = spec.hub.splits
      ? Object.entries(spec.hub.splits)
          .map(([split, f]) => `${split}: ${f.join(', ')}`)
          .join('; ')
      : 'no readable files';
    field('hub', `${spec.hub.id} (${files})`);
    const hubFlags = readFlagsText(spec.hub.read);
    if (spec.hub.splits && hubFlags) field('', `flags for the Hub files: ${hubFlags}`);
    if (spec.hub.note) field('', spec.hub.note);
  }
  if (spec.builtin) field('built in', `npm package ${spec.builtin.package}`);
  field('source', spec.source);
  field('license', spec.license);
  field(
    'suggested',
    `--max-length ${spec.suggested.maxLength} --epochs ${spec.suggested.epochs}${spec.suggested.batchSize ? ` --batch-size ${spec.suggested.batchSize}` : ''}`,
  );
  if (spec.suggested.note) field('', spec.suggested.note);
  out();
  out('train with:');
  out(`  ${train.command}`);
  if (train.note) out(`  (${train.note})`);
}

function showAction(name: string, opts: { json?: boolean; dataDir?: string }): void {
  const spec = getDatasetSpec(name);
  const status = datasetStatus(spec, opts.dataDir);
  if (opts.json) {
    const train = datasetTrainLine(spec, status);
    json({ ...spec, status, train: { command: train.command, note: train.note ?? null } });
    return;
  }
  showText(spec, status);
}

interface FetchFlags {
  json?: boolean;
  dataDir?: string;
  offline?: boolean;
  seed: string;
  validationFraction: string;
}

async function fetchAction(name: string, splits: string[], opts: FetchFlags): Promise<void> {
  const spec = getDatasetSpec(name);
  const seed = parseNumber('--seed', opts.seed, { min: 0 });
  const validationFraction = parseNumber('--validation-fraction', opts.validationFraction, { min: 0.01, max: 0.9 });
  const results = [];
  for (const split of splits.length ? splits : datasetSplits(spec)) {
    const r = await resolveDatasetSplit(spec.name, split, { dataDir: opts.dataDir, offline: opts.offline, seed, validationFraction });
    results.push({ split: r.split, origin: r.origin, sources: r.sources, read: r.read, flags: readFlagsText(r.read) });
  }
  if (opts.json) json({ name: spec.name, splits: results });
  else for (const r of results) out(`${r.split}\t${r.origin}\t${r.sources.join(' ')}${r.flags ? `\t${r.flags}` : ''}`);
}

/** `bertft datasets list|show|fetch`: the named data sets in datasets/. */
export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('named data sets (sst2, imdb, ag_news, trec, ...): list them, show one, fetch its files');
  datasets
    .command('list')
    .description('list the data sets, their labels and splits, and whether a local copy is found')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print JSON')
    .action(action(listAction));
  datasets
    .command('show')
    .description('columns, labels, reader flags and a `bertft train` line for one data set')
    .argument('<name>', 'data set name (see bertft datasets list)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print JSON')
    .action(action(showAction));
  datasets
    .command('fetch')
    .description('find (or download from the Hugging Face Hub) the files of a data set and print their paths')
    .argument('<name>', 'data set name')
    .argument('[splits...]', 'train, validation and/or test (default: all of the data set)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--offline', 'never download (same as HF_HUB_OFFLINE=1)')
    .option('--seed <n>', 'built-in data set only: seed of the train/validation split', '42')
    .option('--validation-fraction <x>', 'built-in data set only: share held out for validation', '0.1')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ bertft datasets fetch sst2 --data-dir ../shared/datasets\n  $ bertft datasets fetch emotion train validation\n')
    .action(action(fetchAction));
}
