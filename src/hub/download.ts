import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { BertftError } from '../errors.js';
import { repoFolderName } from './cache.js';

export interface DownloadOptions {
  endpoint: string;
  token?: string;
  fetchImpl: typeof fetch;
  onProgress?: (e: { file: string; received: number; total?: number }) => void;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'];

function unreachable(endpoint: string, id: string, reason: string): BertftError {
  return new BertftError(`cannot reach ${endpoint} to download "${id}" (${reason}); set HF_HUB_OFFLINE=1 and use a cached model, or pass --model <local folder>`);
}

/** GETs one file of a repo; undefined on 404. */
async function fetchFile(id: string, revision: string, file: string, o: DownloadOptions): Promise<{ body: Uint8Array; commit?: string; etag?: string } | undefined> {
  const url = `${o.endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
  let res: Response;
  try {
    res = await o.fetchImpl(url, { headers: o.token ? { authorization: `Bearer ${o.token}` } : {}, redirect: 'follow' });
  } catch (e) {
    throw unreachable(o.endpoint, id, (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
  }
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403) throw new BertftError(`"${id}" needs authorisation (HTTP ${res.status}); set HF_TOKEN to a Hugging Face access token`);
  if (!res.ok) throw new BertftError(`downloading ${url} failed: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      received += chunk.byteLength;
      o.onProgress?.({ file, received, total });
    }
  } catch (e) {
    throw unreachable(o.endpoint, id, `download of ${file} interrupted: ${(e as Error).message}`);
  }
  if (total !== undefined && received !== total) throw unreachable(o.endpoint, id, `download of ${file} incomplete: ${received} of ${total} bytes`);
  const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '') || undefined;
  return { body: Buffer.concat(chunks), commit: res.headers.get('x-repo-commit') ?? undefined, etag };
}

/** Stores a file the way huggingface_hub does: content in blobs/, a relative symlink in snapshots/<commit>/. */
async function store(repoDir: string, commit: string, file: string, got: { body: Uint8Array; etag?: string }): Promise<void> {
  const blobName = got.etag ?? createHash('sha256').update(got.body).digest('hex');
  const blob = join(repoDir, 'blobs', blobName);
  await mkdir(dirname(blob), { recursive: true });
  if (!existsSync(blob)) {
    await writeFile(`${blob}.incomplete`, got.body);
    await rename(`${blob}.incomplete`, blob);
  }
  const link = join(repoDir, 'snapshots', commit, file);
  await mkdir(dirname(link), { recursive: true });
  await rm(link, { force: true });
  try {
    await symlink(relative(dirname(link), blob), link);
  } catch {
    await writeFile(link, got.body);
  }
}

/** Downloads config, tokenizer files and safetensors weights of `id@revision` into the cache; returns the snapshot folder. */
export async function downloadModel(cacheDir: string, id: string, revision: string, o: DownloadOptions): Promise<string> {
  const repoDir = join(cacheDir, repoFolderName(id));
  const config = await fetchFile(id, revision, 'config.json', o);
  if (!config) throw new BertftError(`no such model on the Hub: "${id}" (revision ${revision}); check the name, or pass --model <local folder>`);
  const commit = config.commit ?? revision;
  const files: [string, { body: Uint8Array; etag?: string }][] = [['config.json', config]];
  for (const f of TOKENIZER_FILES) {
    const got = await fetchFile(id, revision, f, o);
    if (got) files.push([f, got]);
  }
  const weights = await fetchFile(id, revision, 'model.safetensors', o);
  if (weights) {
    files.push(['model.safetensors', weights]);
  } else {
    const index = await fetchFile(id, revision, 'model.safetensors.index.json', o);
    if (!index) {
      const bin = await fetchFile(id, revision, 'pytorch_model.bin', o);
      throw new BertftError(
        bin
          ? `"${id}" has only pytorch_model.bin; bertft reads safetensors: convert it (transformers: save_pretrained(..., safe_serialization=True)) and pass --model <folder>`
          : `"${id}" has no model.safetensors on the Hub`,
      );
    }
    files.push(['model.safetensors.index.json', index]);
    const map = (JSON.parse(Buffer.from(index.body).toString('utf8')) as { weight_map: Record<string, string> }).weight_map;
    for (const shard of [...new Set(Object.values(map))]) {
      const got = await fetchFile(id, revision, shard, o);
      if (!got) throw new BertftError(`"${id}": shard ${shard} listed in model.safetensors.index.json is missing on the Hub`);
      files.push([shard, got]);
    }
  }
  // Blobs and links first, the ref last: a half-finished download never looks complete.
  for (const [f, got] of files) await store(repoDir, commit, f, got);
  if (commit !== revision) {
    await mkdir(join(repoDir, 'refs'), { recursive: true });
    await writeFile(join(repoDir, 'refs', revision), commit);
  }
  return join(repoDir, 'snapshots', commit);
}

/** Reads a text file or undefined (used by tests and callers that peek into the cache). */
export async function readIfExists(path: string): Promise<string | undefined> {
  return existsSync(path) ? readFile(path, 'utf8') : undefined;
}
