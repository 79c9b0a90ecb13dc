import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Hub cache folder, as huggingface_hub resolves it: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

/** HF_HUB_OFFLINE=1/ON/YES/TRUE. */
export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
}

/** `org/name` → `models--org--name`, the cache's folder for a repository. */
export function repoFolderName(id: string): string {
  return `models--${id.split('/').join('--')}`;
}

/** The snapshot folder of a cached revision, when it holds config.json and weights. */
export function cachedSnapshot(cacheDir: string, id: string, revision: string): string | undefined {
  const repo = join(cacheDir, repoFolderName(id));
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    const ref = join(repo, 'refs', revision);
    if (!existsSync(ref)) return undefined;
    commit = readFileSync(ref, 'utf8').trim();
  }
  const snap = join(repo, 'snapshots', commit);
  const hasWeights = existsSync(join(snap, 'model.safetensors')) || existsSync(join(snap, 'model.safetensors.index.json'));
  return existsSync(join(snap, 'config.json')) && hasWeights ? snap : undefined;
}
