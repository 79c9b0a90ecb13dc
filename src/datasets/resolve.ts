/**
 * Finding the files of a data set's split: a local copy (--data-dir / BERTFT_DATA_DIR), else the
 * download cache, else a download from the Hugging Face Hub (unless offline).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ReadOptionsInput } from '../data/index.js';
import { BertftError } from '../errors.js';
import { cachedHubFile, datasetCacheDir, downloadHubFile, temporaryPath } from './download.js';
import { checkSplit, getDatasetSpec } from './specs.js';
import { loadSpamAssassin, type SpamAssassinOptions } from './spam-assassin.js';
import type { DatasetSpec, SplitName } from './types.js';

export interface ResolveOptions extends SpamAssassinOptions {
  /** Folder laid out like ../shared/datasets (`<dir>/<data set folder>/<file>`); default env BERTFT_DATA_DIR. */
  dataDir?: string;
  /** Never download; use a local copy or the cache only. Default: env HF_HUB_OFFLINE=1. */
  offline?: boolean;
}

/** Where a split's files were found. */
export type SplitOrigin = 'local' | 'cache' | 'download' | 'builtin';

export interface ResolvedSplit {
  spec: DatasetSpec;
  split: SplitName;
  /** The split's files, absolute paths, in the spec's order. */
  sources: string[];
  /** Reader options for these files (local and Hub copies can differ in layout). */
  read: ReadOptionsInput;
  origin: SplitOrigin;
}

/** The data directory in effect: the option, else BERTFT_DATA_DIR, else none. */
export function dataDirFrom(dataDir?: string): string | undefined {
  const dir = dataDir ?? process.env.BERTFT_DATA_DIR;
  return dir ? resolve(dir) : undefined;
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * The local copy of a split: `<dataDir>/<folder>/<file>` (a ../shared/datasets-style folder), or
 * `<dataDir>/<file>` when dataDir is the data set's own folder. Undefined unless every file is there.
 */
export function findLocalSplit(spec: DatasetSpec, split: SplitName, dataDir: string | undefined): string[] | undefined {
  const files = spec.local?.splits[split];
  if (!dataDir || !spec.local || !files) return undefined;
  for (const base of [join(dataDir, spec.local.folder), dataDir]) {
    const paths = files.map((f) => join(base, ...f.split('/')));
    if (paths.every(isFile)) return paths;
  }
  return undefined;
}

/** The cached Hub files of a split, when all of them have been downloaded before. */
function findCachedSplit(spec: DatasetSpec, split: SplitName): string[] | undefined {
  const hub = spec.hub;
  const files = hub?.splits?.[split];
  if (!hub || !files) return undefined;
  const paths = files.map((f) => cachedHubFile(hub.id, hub.revision, f));
  return paths.every(isFile) ? paths : undefined;
}

/** Where the split would come from without downloading anything (for `datasets list`). */
export function splitAvailability(spec: DatasetSpec, split: SplitName, dataDir?: string): 'local' | 'cache' | undefined {
  if (findLocalSplit(spec, split, dataDirFrom(dataDir))) return 'local';
  if (findCachedSplit(spec, split)) return 'cache';
  return undefined;
}

/** The one-line advice when a split cannot be found or fetched. */
function localCopyHint(spec: DatasetSpec, split: SplitName, dataDir: string | undefined): string {
  const files = spec.local?.splits[split];
  if (!spec.local || !files) return `this spec has no local layout for the ${split} split`;
  const where = dataDir ? `${dataDir} has no ${spec.local.folder}/${files.join(', ')}` : 'no --data-dir given';
  return `${where}; pass --data-dir DIR (or set BERTFT_DATA_DIR) with a local copy as DIR/${spec.local.folder}/${files.join(` DIR/${spec.local.folder}/`)}`;
}

/** Writes the built-in split as JSON lines in the cache (once per seed and fraction) and returns the path. */
async function builtinSplitFile(spec: DatasetSpec, split: SplitName, options: ResolveOptions): Promise<string> {
  const seed = options.seed ?? 42;
  const fraction = options.validationFraction ?? 0.1;
  const dest = join(datasetCacheDir(), spec.name, `seed-${seed}-validation-${fraction}`, `${split}.jsonl`);
  if (isFile(dest)) return dest;
  const parts = loadSpamAssassin({ seed, validationFraction: fraction });
  const examples = split === 'train' ? parts.train : parts.validation;
  await mkdir(dirname(dest), { recursive: true });
  const partial = temporaryPath(dest);
  try {
    await writeFile(partial, `${examples.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n')}\n`);
    await rename(partial, dest);
  } catch (e) {
    await rm(partial, { force: true });
    throw new BertftError(`cannot write ${dest}: ${(e as Error).message}`);
  }
  return dest;
}

/**
 * Finds the files of `split` of the data set `name` and the reader options they need. Order: the
 * local copy in `dataDir` (or BERTFT_DATA_DIR), the download cache, then a download from the Hub
 * (HF_ENDPOINT respected; cached under $HF_HOME/bertft-datasets or ~/.cache/bertft/datasets).
 * The built-in data set (spam_assassin) is written once as JSON lines into the cache.
 * Offline with no copy, or no Hub copy to fetch, is a one-line BertftError saying to pass --data-dir.
 */
export async function resolveDatasetSplit(name: string, split: string, options: ResolveOptions = {}): Promise<ResolvedSplit> {
  const spec = getDatasetSpec(name);
  const splitName = checkSplit(spec, split);
  if (spec.builtin) {
    const file = await builtinSplitFile(spec, splitName, options);
    return { spec, split: splitName, sources: [file], read: { format: 'jsonl', textColumn: 'text', labelColumn: 'label' }, origin: 'builtin' };
  }
  const dataDir = dataDirFrom(options.dataDir);
  const local = findLocalSplit(spec, splitName, dataDir);
  if (local) return { spec, split: splitName, sources: local, read: spec.local!.read, origin: 'local' };

  const hub = spec.hub;
  const cached = findCachedSplit(spec, splitName);
  if (cached) return { spec, split: splitName, sources: cached, read: hub!.read, origin: 'cache' };

  const hint = localCopyHint(spec, splitName, dataDir);
  const hubFiles = hub?.splits?.[splitName];
  if (!hub || !hubFiles) {
    const why = hub ? `the Hub copy (${hub.id}) has no file bertft can read` : 'it has no Hub copy';
    throw new BertftError(`${spec.name}: no local copy of the ${splitName} split and ${why}; ${hint}`);
  }
  const offline = options.offline ?? process.env.HF_HUB_OFFLINE === '1';
  if (offline) throw new BertftError(`${spec.name}: no local copy of the ${splitName} split and offline (no download from ${hub.id}); ${hint}`);
  const sources: string[] = [];
  for (const file of hubFiles) sources.push(await downloadHubFile(hub.id, hub.revision, file, hint));
  return { spec, split: splitName, sources, read: hub.read, origin: 'download' };
}
