/** What `bertft datasets list` and `show` report about a data set: splits, where their files are, how to train. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadOptionsInput } from '../data/index.js';
import { cachedHubFile, datasetCacheDir } from './download.js';
import { datasetSplits } from './specs.js';
import { dataDirFrom, findLocalSplit } from './resolve.js';
import { spamAssassinInstalled } from './spam-assassin.js';
import type { DatasetSpec, SplitName } from './types.js';
import { readFlagsText, trainCommand, type TrainLine } from './usage.js';

/** Where one split can be read from right now, without downloading. */
export interface SplitStatus {
  split: SplitName;
  /** File names in the local layout (or the Hub layout when there is no local one). */
  files: string[];
  /** Examples in the reference copy, when the spec records it. */
  size?: number;
  /** 'local' (data dir), 'cache' (downloaded before), 'builtin', or 'missing'. */
  found: 'local' | 'cache' | 'builtin' | 'missing';
  /** Absolute paths when found. */
  paths?: string[];
  /** Whether the split can be downloaded from the Hub. */
  downloadable: boolean;
}

export interface DatasetStatus {
  dataDir?: string;
  splits: SplitStatus[];
  /** 'yes' when every split is local (or built in and installed), 'partial', 'cached', or 'no'. */
  localCopy: 'yes' | 'partial' | 'cached' | 'no' | 'built-in' | 'not installed';
}

const existsFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** Where the built-in split file goes (see resolveDatasetSplit) with the default seed and fraction. */
function builtinSplitPath(spec: DatasetSpec, split: SplitName): string {
  return join(datasetCacheDir(), spec.name, 'seed-42-validation-0.1', `${split}.jsonl`);
}

function splitStatus(spec: DatasetSpec, split: SplitName, dataDir: string | undefined): SplitStatus {
  const hub = spec.hub;
  const hubFiles = hub?.splits?.[split];
  const files = spec.local?.splits[split] ?? hubFiles ?? [];
  const base = { split, files, size: spec.local?.sizes?.[split], downloadable: Boolean(hubFiles) };
  if (spec.builtin) {
    const installed = spamAssassinInstalled();
    return { ...base, files: [`${split}.jsonl`], found: installed ? 'builtin' : 'missing', paths: installed ? [builtinSplitPath(spec, split)] : undefined };
  }
  const local = findLocalSplit(spec, split, dataDir);
  if (local) return { ...base, found: 'local', paths: local };
  if (hub && hubFiles) {
    const cached = hubFiles.map((f) => cachedHubFile(hub.id, hub.revision, f));
    if (cached.every((p) => existsFile(p))) return { ...base, found: 'cache', paths: cached };
  }
  return { ...base, found: 'missing' };
}

/** Which splits of the spec are available locally, in the cache or built in. */
export function datasetStatus(spec: DatasetSpec, dataDir?: string): DatasetStatus {
  const dir = dataDirFrom(dataDir);
  const splits = datasetSplits(spec).map((s) => splitStatus(spec, s, dir));
  let localCopy: DatasetStatus['localCopy'];
  if (spec.builtin) localCopy = spamAssassinInstalled() ? 'built-in' : 'not installed';
  else if (splits.every((s) => s.found === 'local')) localCopy = 'yes';
  else if (splits.some((s) => s.found === 'local')) localCopy = 'partial';
  else if (splits.every((s) => s.found === 'cache')) localCopy = 'cached';
  else localCopy = 'no';
  return { dataDir: dir, splits, localCopy };
}

/** The reader options that go with the files `status` found (Hub files have their own layout). */
function readFor(spec: DatasetSpec, status: DatasetStatus): ReadOptionsInput {
  if (spec.builtin) return { format: 'jsonl' };
  const train = status.splits.find((s) => s.split === 'train');
  return train?.found === 'cache' ? (spec.hub?.read ?? {}) : (spec.local?.read ?? {});
}

/**
 * A `bertft train` line for the spec: with the real paths when the files are here, else with
 * placeholders under DATA_DIR (and a note saying how to get them).
 */
export function datasetTrainLine(spec: DatasetSpec, status: DatasetStatus): TrainLine & { flags: string } {
  const files: Partial<Record<SplitName, string[]>> = {};
  let missing = false;
  for (const s of status.splits) {
    if (s.split === 'test') continue;
    if (s.paths) files[s.split] = s.paths;
    else {
      missing = true;
      files[s.split] = s.files.map((f) => (spec.local ? `DATA_DIR/${spec.local.folder}/${f}` : f));
    }
  }
  const read = readFor(spec, status);
  const line = trainCommand(spec, files, read);
  const fetchNote = spec.builtin
    ? `the files are written on first use: run \`bertft datasets fetch ${spec.name}\` first`
    : status.splits.some((s) => s.downloadable)
      ? `no local copy found: pass --data-dir, or run \`bertft datasets fetch ${spec.name}\` to download it and print the paths`
      : `no local copy found: pass --data-dir DIR with DIR/${spec.local?.folder ?? spec.name}/… (no Hub copy bertft can read)`;
  // A built-in split has its path from the start, but the file is only written on first use.
  const unwritten = status.splits.some((s) => s.found === 'builtin' && !s.paths?.every(existsFile));
  const notes = [line.note, missing || unwritten ? fetchNote : undefined].filter(Boolean);
  return { command: line.command, note: notes.length ? notes.join('; ') : undefined, flags: readFlagsText(read) };
}
