/** From a `--model` argument to a local folder: a folder as it is, or a Hub id through the cache. */
import { statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { BertftError, UsageError } from '../errors.js';
import { findCachedSnapshot, repoCacheDir } from './cache.js';
import { downloadSnapshot } from './download.js';
import { embeddedModelDir } from './embedded.js';
import { downloadTimeoutSeconds, hubCacheDir, hubEndpoint, hubToken, isOffline } from './env.js';
import type { ProgressListener } from './fetch-file.js';
import { isSafeRepoPath, looksLikeHubId } from './repo-id.js';

/** Options of {@link resolveModelDir}. */
export interface ResolveOptions {
  /** Use only the cache, never the network (HF_HUB_OFFLINE=1 does the same). */
  offline?: boolean;
  /** Branch, tag or full commit hash; default `main`. */
  revision?: string;
  /** Where HF_* variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The fetch to use (tests, proxies); default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Called as bytes arrive, per file. */
  onProgress?: ProgressListener;
}

// Downloads in progress in this process, so that two loads of one model (a classifier and an
// encoder started together) share one transfer instead of writing the same partial files.
const inFlight = new Map<string, Promise<string>>();

function expandHome(p: string): string {
  if (p === '~') return homedir();
  return p.startsWith('~/') || p.startsWith(`~${sep}`) ? join(homedir(), p.slice(2)) : p;
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Arguments that can only mean a path: `./x`, `/x`, `~/x`, `C:\x`, `a/b/c`. */
function isPathLike(model: string): boolean {
  return /^[.~/\\]/.test(model) || isAbsolute(model) || model.includes('\\') || (sep !== '/' && model.includes(sep)) || model.split('/').length > 2;
}

function offlineError(model: string, cache: string, byOption: boolean): BertftError {
  const why = byOption ? 'offline mode is on (--offline / offline: true)' : 'HF_HUB_OFFLINE=1 is set';
  return new BertftError(`model "${model}" is not in the cache (${cache}) and ${why}; run once online, or pass --model <local folder>`);
}

/**
 * Turns a model argument into a local folder holding config.json, tokenizer files and safetensors
 * weights. An existing folder is returned as an absolute path; `bert-tiny-en` is the model that
 * ships with bertft (hub/embedded.ts). A Hub id (`org/name`, or a legacy
 * `name`) is looked up in the huggingface_hub cache and, when missing and not offline, downloaded
 * into it; a cached snapshot is used without any network request.
 *
 * @throws BertftError with a one-line message: a missing local path, offline and not cached, an
 *   unreachable Hub, a missing, private or PyTorch-only model.
 */
export async function resolveModelDir(model: string, options: ResolveOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const local = expandHome(model);
  const stats = statOrUndefined(local);
  if (stats?.isDirectory()) return resolve(local);
  const embedded = stats ? undefined : embeddedModelDir(model);
  if (embedded) return embedded;
  if (stats) throw new BertftError(`${model} is a file, not a model folder; pass the folder that holds config.json, or a Hub id such as org/name`);
  if (!model.trim() || isPathLike(model) || !looksLikeHubId(model)) {
    throw new BertftError(`model folder not found: ${model}; pass an existing folder (with config.json and model.safetensors) or a Hub id such as org/name`);
  }

  const revision = options.revision ?? 'main';
  if (!isSafeRepoPath(revision)) throw new UsageError(`invalid revision "${revision}": use a branch, tag or commit hash`);
  const cache = hubCacheDir(env);
  const offlineByOption = options.offline === true;
  const offline = offlineByOption || isOffline(env);
  const cached = findCachedSnapshot(cache, model, revision);
  // An incomplete snapshot (Python cached only config and weights) is still the best offline answer.
  if (cached && (cached.complete || offline)) return cached.dir;
  if (offline) throw offlineError(model, cache, offlineByOption);

  const client = {
    endpoint: hubEndpoint(env),
    id: model,
    token: hubToken(env),
    fetchImpl: options.fetchImpl ?? fetch,
    timeoutMs: downloadTimeoutSeconds(env) * 1000,
  };
  const key = JSON.stringify([cache, model, revision]);
  let download = inFlight.get(key);
  if (!download) {
    download = downloadSnapshot(client, repoCacheDir(cache, model), revision, options.onProgress).finally(() => inFlight.delete(key));
    inFlight.set(key, download);
  }
  return download;
}
