/** Downloading data-set files from the Hugging Face Hub into a local cache. */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BertftError } from '../errors.js';

/** Where downloaded (and generated) data-set files go: `$HF_HOME/bertft-datasets`, else `~/.cache/bertft/datasets`. */
export function datasetCacheDir(): string {
  const hfHome = process.env.HF_HOME;
  return hfHome ? join(hfHome, 'bertft-datasets') : join(homedir(), '.cache', 'bertft', 'datasets');
}

/** The Hub endpoint (HF_ENDPOINT for a mirror or a test server), without a trailing slash. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** `<endpoint>/datasets/<id>/resolve/<revision>/<path>`, each path segment URL-encoded. */
export function hubFileUrl(id: string, revision: string, path: string): string {
  const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  return `${hubEndpoint()}/datasets/${enc(id)}/resolve/${encodeURIComponent(revision)}/${enc(path)}`;
}

/** The cache path of one Hub file: `<cache>/<owner>--<name>/<revision>/<path>`. */
export function cachedHubFile(id: string, revision: string, path: string): string {
  return join(datasetCacheDir(), id.replace('/', '--'), revision, ...path.split('/'));
}

/** A unique sibling name for writing `dest` before renaming it into place. */
export function temporaryPath(dest: string): string {
  return `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
}

/**
 * Downloads one Hub file into the cache unless it is already there, and returns its path. The file
 * is written under a temporary name and renamed, so an interrupted download never looks complete.
 * Throws a BertftError (with `hint` appended) when the Hub cannot be reached or has no such file.
 */
export async function downloadHubFile(id: string, revision: string, path: string, hint: string): Promise<string> {
  const dest = cachedHubFile(id, revision, path);
  if (existsSync(dest)) return dest;
  const url = hubFileUrl(id, revision, path);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new BertftError(`cannot download ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); ${hint}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new BertftError(`cannot download ${url} (HTTP ${response.status}); ${hint}`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const partial = temporaryPath(dest);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
    await rename(partial, dest);
  } catch (e) {
    await rm(partial, { force: true });
    throw new BertftError(`download of ${url} failed (${(e as Error).message}); ${hint}`);
  }
  return dest;
}
