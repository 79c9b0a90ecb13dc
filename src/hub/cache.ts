/**
 * The on-disk cache, laid out exactly like Python's huggingface_hub so both can share it:
 *
 *   <cache>/models--org--name/refs/<revision>            the commit a branch or tag pointed to
 *   <cache>/models--org--name/blobs/<etag or sha256>     file contents, stored once
 *   <cache>/models--org--name/snapshots/<commit>/<file>  relative symlinks into blobs/
 *   <cache>/models--org--name/.no_exist/<commit>/<file>  empty markers: the Hub has no such file
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isCommitHash, repoFolderName } from './repo-id.js';

/** The files that hold a BERT tokenizer; a snapshot with neither cannot be used by bertft. */
export const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'] as const;
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

/** The cache folder of one model repository. */
export function repoCacheDir(cacheDir: string, id: string): string {
  return join(cacheDir, repoFolderName(id));
}

/** The commit a revision names: itself for a commit hash, else the one its ref file records. */
export function readRef(repoDir: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  try {
    return readFileSync(join(repoDir, 'refs', revision), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Records which commit a branch or tag resolved to (replaced atomically, never half-written). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (isCommitHash(revision)) return; // a commit names its snapshot directly
  const ref = join(repoDir, 'refs', revision);
  await mkdir(dirname(ref), { recursive: true });
  const tmp = `${ref}.${process.pid}.tmp`;
  await writeFile(tmp, commit);
  await rename(tmp, ref);
}

/**
 * Puts `file` into `snapshots/<commit>/` as a relative symlink to its blob (relative, so the cache
 * can be moved or mounted elsewhere), or as a copy where symlinks are not allowed (Windows without
 * developer mode). An existing entry is replaced atomically.
 */
export async function linkSnapshotFile(repoDir: string, commit: string, file: string, blob: string): Promise<void> {
  const link = join(repoDir, 'snapshots', commit, file);
  await mkdir(dirname(link), { recursive: true });
  const tmp = `${link}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  try {
    await symlink(relative(dirname(link), blob), tmp);
  } catch {
    await copyFile(blob, tmp);
  }
  await rename(tmp, link);
}

/** Remembers that the Hub has no `file` at `commit`, as huggingface_hub does, so it is not asked again. */
export async function markMissing(repoDir: string, commit: string, file: string): Promise<void> {
  const marker = join(repoDir, '.no_exist', commit, file);
  await mkdir(dirname(marker), { recursive: true });
  await writeFile(marker, '');
}

function isMarkedMissing(repoDir: string, commit: string, file: string): boolean {
  return existsSync(join(repoDir, '.no_exist', commit, file));
}

/** The shard files an index lists, or undefined when the index cannot be read. */
export function shardsOfIndex(indexText: string): string[] | undefined {
  try {
    const map = (JSON.parse(indexText) as { weight_map?: unknown }).weight_map;
    if (!map || typeof map !== 'object') return undefined;
    const files = Object.values(map as Record<string, unknown>);
    return files.every((f) => typeof f === 'string') ? [...new Set(files as string[])] : undefined;
  } catch {
    return undefined;
  }
}

// existsSync follows symlinks, so a link whose blob was deleted counts as missing.
function hasWeights(snap: string): boolean {
  if (existsSync(join(snap, WEIGHTS_FILE))) return true;
  const index = join(snap, WEIGHTS_INDEX_FILE);
  if (!existsSync(index)) return false;
  const shards = shardsOfIndex(readFileSync(index, 'utf8'));
  return shards !== undefined && shards.every((s) => existsSync(join(snap, s)));
}

/** What the cache holds for a revision. */
export interface CachedSnapshot {
  /** The snapshot folder. */
  dir: string;
  commit: string;
  /**
   * True when nothing is left to fetch: a tokenizer file is there, or the Hub is known to have none.
   * A snapshot that Python filled with only config and weights (e.g. `AutoModel.from_pretrained`)
   * is usable offline but worth completing online.
   */
  complete: boolean;
}

/** The cached snapshot of `id@revision` when it has config.json and all its weights; else undefined. */
export function findCachedSnapshot(cacheDir: string, id: string, revision: string): CachedSnapshot | undefined {
  const repoDir = repoCacheDir(cacheDir, id);
  const commit = readRef(repoDir, revision);
  if (!commit) return undefined;
  const dir = join(repoDir, 'snapshots', commit);
  if (!existsSync(join(dir, CONFIG_FILE)) || !hasWeights(dir)) return undefined;
  const complete = TOKENIZER_FILES.some((f) => existsSync(join(dir, f))) || TOKENIZER_FILES.every((f) => isMarkedMissing(repoDir, commit, f));
  return { dir, commit, complete };
}
