/**
 * Downloading the files bertft needs from a model repository into the cache: config, tokenizer files
 * and safetensors weights (single file or shards). Blobs first, then the snapshot links, then the
 * ref, so an interrupted download never leaves a snapshot that looks usable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import { CONFIG_FILE, linkSnapshotFile, markMissing, shardsOfIndex, WEIGHTS_FILE, WEIGHTS_INDEX_FILE, writeRef } from './cache.js';
import { existsOnHub, fetchToBlob, type ProgressListener } from './fetch-file.js';
import type { HubClient } from './http.js';
import { isSafeRepoPath } from './repo-id.js';

/** Fetched when present; a repository may lack any of them. */
const OPTIONAL_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'];

/** The snapshot files to link, by repository path → blob path. */
type Fetched = Map<string, string>;

function convertHint(id: string): string {
  return (
    `convert it once in Python: AutoModel.from_pretrained("${id}").save_pretrained("<folder>", safe_serialization=True) ` +
    `and AutoTokenizer.from_pretrained("${id}").save_pretrained("<folder>"), then pass --model <folder>`
  );
}

/** Fetches a file the snapshot cannot do without; a 404 becomes `missing()`'s error. */
async function fetchRequired(
  client: HubClient,
  repoDir: string,
  revision: string,
  file: string,
  got: Fetched,
  missing: () => BertftError,
  onProgress?: ProgressListener,
): Promise<void> {
  const r = await fetchToBlob(client, repoDir, revision, file, onProgress);
  if (!r.found) throw missing();
  got.set(file, r.blob);
}

/** model.safetensors, or the index and each shard it lists; explains a repository that has only PyTorch weights. */
async function fetchWeights(client: HubClient, repoDir: string, revision: string, got: Fetched, onProgress?: ProgressListener): Promise<void> {
  const single = await fetchToBlob(client, repoDir, revision, WEIGHTS_FILE, onProgress);
  if (single.found) {
    got.set(WEIGHTS_FILE, single.blob);
    return;
  }
  const index = await fetchToBlob(client, repoDir, revision, WEIGHTS_INDEX_FILE, onProgress);
  if (index.found) {
    got.set(WEIGHTS_INDEX_FILE, index.blob);
    const shards = shardsOfIndex(await readFile(index.blob, 'utf8'));
    if (!shards)
      throw new BertftError(`${WEIGHTS_INDEX_FILE} of "${client.id}" has no readable weight_map; the repository is broken, pass --model <local folder>`);
    for (const shard of shards) {
      if (!isSafeRepoPath(shard))
        throw new BertftError(`${WEIGHTS_INDEX_FILE} of "${client.id}" lists an unsafe file name ${JSON.stringify(shard)}; refusing to download it`);
      const missing = () =>
        new BertftError(
          `"${client.id}": shard ${shard}, listed in ${WEIGHTS_INDEX_FILE}, is missing on the Hub; the repository is broken, pass --model <local folder>`,
        );
      await fetchRequired(client, repoDir, revision, shard, got, missing, onProgress);
    }
    return;
  }
  // HEAD only: a pytorch_model.bin can be gigabytes we cannot read anyway.
  if ((await existsOnHub(client, revision, 'pytorch_model.bin')) || (await existsOnHub(client, revision, 'pytorch_model.bin.index.json'))) {
    throw new BertftError(`"${client.id}" has only pytorch_model.bin weights and bertft reads safetensors; ${convertHint(client.id)}`);
  }
  throw new BertftError(
    `"${client.id}" has no model.safetensors (nor a sharded index) at revision ${revision}; bertft needs safetensors weights, pass --model <local folder>`,
  );
}

/**
 * Downloads config.json, the tokenizer files and the safetensors weights of `id@revision` into the
 * cache and returns the snapshot folder.
 */
export async function downloadSnapshot(client: HubClient, repoDir: string, revision: string, onProgress?: ProgressListener): Promise<string> {
  const got: Fetched = new Map();
  const config = await fetchToBlob(client, repoDir, revision, CONFIG_FILE, onProgress);
  if (!config.found) {
    if (config.errorCode === 'RevisionNotFound') {
      throw new BertftError(`"${client.id}" has no revision "${revision}" on ${client.endpoint}; check --revision (a branch, tag or commit)`);
    }
    const why = config.errorCode === 'EntryNotFound' ? 'it has no config.json, so it is not a transformers model' : 'check the name';
    throw new BertftError(`no such model on the Hub: "${client.id}" at ${client.endpoint} (${why}); or pass --model <local folder>`);
  }
  got.set(CONFIG_FILE, config.blob);
  // Every later file comes from the commit config.json came from, even if someone pushes meanwhile.
  const commit = config.meta.commit ?? revision;
  for (const file of OPTIONAL_FILES) {
    const r = await fetchToBlob(client, repoDir, commit, file, onProgress);
    if (r.found) got.set(file, r.blob);
    else await markMissing(repoDir, commit, file);
  }
  await fetchWeights(client, repoDir, commit, got, onProgress);
  for (const [file, blob] of got) await linkSnapshotFile(repoDir, commit, file, blob);
  await writeRef(repoDir, revision, commit);
  return join(repoDir, 'snapshots', commit);
}
