import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { BertftError } from '../errors.js';
import { cachedSnapshot, hubCacheDir, isOffline } from './cache.js';
import { downloadModel } from './download.js';

export { hubCacheDir, isOffline, repoFolderName, cachedSnapshot } from './cache.js';

export interface ResolveOptions {
  offline?: boolean;
  revision?: string;
  env?: NodeJS.ProcessEnv;
  fetchImpl?: typeof fetch;
  onProgress?: (e: { file: string; received: number; total?: number }) => void;
}

/** `org/name` or a legacy single name such as `bert-base-uncased`. */
export function looksLikeHubId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(s) && !s.startsWith('.') && !s.includes('..');
}

/**
 * A model argument → a local folder: an existing folder as is; a Hub id from the cache, or
 * downloaded into it when online.
 */
export async function resolveModelDir(model: string, options: ResolveOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const expanded = model.startsWith('~/') ? resolve(homedir(), model.slice(2)) : model;
  if (existsSync(expanded)) {
    if (!statSync(expanded).isDirectory()) throw new BertftError(`${model}: is a file; --model needs a model folder or a Hub id`);
    return resolve(expanded);
  }
  const pathLike = /^[.~/]/.test(model) || model.includes('\\') || model.split('/').length > 2;
  if (pathLike || !looksLikeHubId(model)) throw new BertftError(`model folder not found: ${model}`);
  const revision = options.revision ?? 'main';
  const cache = hubCacheDir(env);
  const cached = cachedSnapshot(cache, model, revision);
  if (cached) return cached;
  if (options.offline || isOffline(env)) {
    throw new BertftError(`model "${model}" is not in the cache (${cache}) and offline mode is on (HF_HUB_OFFLINE=1 or --offline); run once online, or pass --model <local folder>`);
  }
  return downloadModel(cache, model, revision, {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, ''),
    token: env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
    fetchImpl: options.fetchImpl ?? fetch,
    onProgress: options.onProgress,
  });
}
