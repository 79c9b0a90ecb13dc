/**
 * Runs bertft on a list of user mistakes and prints a markdown table of what each printed and its
 * exit code (for the issue notes and docs/troubleshooting.md):
 *   node --import tsx scripts/bad-input-table.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as ROOT, SHARED_DIR as SHARED } from '../tools/shared-dir.js';

const MODEL = join(SHARED, 'models', 'bert-tiny-imdb-mlm');
const dir = mkdtempSync(join(tmpdir(), 'bertft-bad-'));
const csv = join(dir, 'data.csv');
writeFileSync(csv, 'text,label\ngood film,pos\nbad film,neg\n"unterminated,pos\n');
const ok = join(dir, 'ok.csv');
writeFileSync(ok, 'text,label\ngood film,pos\nbad film,neg\nfine,pos\nawful,neg\n');
const broken = join(dir, 'broken-model');
spawnSync('mkdir', ['-p', broken]);
writeFileSync(join(broken, 'config.json'), '{"model_type": "bert", "vocab_size": 10');
const truncated = join(dir, 'truncated-model');
spawnSync('cp', ['-r', MODEL, truncated]);
spawnSync('truncate', ['-s', '1000000', join(truncated, 'model.safetensors')]);
const bin = join(dir, 'bin-model');
spawnSync('mkdir', ['-p', bin]);
writeFileSync(
  join(bin, 'config.json'),
  '{"model_type":"bert","vocab_size":10,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":1,"intermediate_size":4}',
);
writeFileSync(join(bin, 'pytorch_model.bin'), 'x');

const cases: [string, string[]][] = [
  ['missing data file', ['train', '--model', MODEL, '--train', join(dir, 'nope.csv'), '-o', join(dir, 'o')]],
  ['wrong column', ['train', '--model', MODEL, '--train', ok, '--text-column', 'review', '-o', join(dir, 'o')]],
  ['unparseable CSV row', ['train', '--model', MODEL, '--train', csv, '-o', join(dir, 'o')]],
  ['unknown strategy', ['train', '--model', MODEL, '--train', ok, '--strategy', 'half', '-o', join(dir, 'o')]],
  ['bad number', ['train', '--model', MODEL, '--train', ok, '--epochs', 'three', '-o', join(dir, 'o')]],
  ['bad learning rate', ['train', '--model', MODEL, '--train', ok, '--lr', '-1', '-o', join(dir, 'o')]],
  ['unknown metric', ['train', '--model', MODEL, '--train', ok, '--metric-for-best-model', 'auc', '-o', join(dir, 'o')]],
  ['top-k beyond the layers', ['train', '--model', MODEL, '--train', ok, '--strategy', 'top-k:5', '-o', join(dir, 'o'), '--validation-split', '0']],
  ['max length over positions', ['embed', '--model', MODEL, '--max-length', '9999', ok]],
  ['model folder missing', ['predict', '--model', join(dir, 'no-model'), ok]],
  ['Hub id offline, not cached', ['predict', '--model', 'org/not-cached', ok]],
  ['broken config.json', ['embed', '--model', broken, ok]],
  ['truncated model.safetensors', ['embed', '--model', truncated, ok]],
  ['pytorch_model.bin only', ['embed', '--model', bin, ok]],
  ['model without a classifier head', ['predict', '--model', MODEL, ok]],
  ['unknown option', ['train', '--epoch', '3']],
  ['unknown command', ['trian']],
  ['unknown data set recipe', ['datasets', 'show', 'sst3']],
];

const rows = ['| case | exit | what bertft printed (stderr) |', '|---|---:|---|'];
for (const [name, args] of cases) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'bertft.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  const text = r.stderr.trim().replace(dir, '$TMP').replaceAll(dir, '$TMP').replaceAll(SHARED, '$SHARED').replace(/\n/g, ' ⏎ ');
  rows.push(`| ${name} | ${r.status} | \`${text.replace(/\|/g, '\\|')}\` |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
