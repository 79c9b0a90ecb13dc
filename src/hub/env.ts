/**
 * The environment variables that configure the Hub, read the way Python's huggingface_hub reads them,
 * so that both share one cache, one token and one offline switch.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_ENDPOINT = 'https://huggingface.co';
/** huggingface_hub's default read timeout (HF_HUB_DOWNLOAD_TIMEOUT), in seconds. */
const DEFAULT_TIMEOUT_S = 10;
const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

/** An env value, with empty strings counted as unset (a shell's `X=` means "not configured"). */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** `~` and `~/x` to the home folder; huggingface_hub expands them, so a quoted `HF_HOME="~/hf"` works. */
function expandHome(p: string): string {
  if (p === '~') return homedir();
  return p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** Hugging Face's home: `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = envValue(env, 'HF_HOME');
  if (home) return expandHome(home);
  return join(expandHome(envValue(env, 'XDG_CACHE_HOME') ?? join(homedir(), '.cache')), 'huggingface');
}

/**
 * The Hub cache folder, as huggingface_hub resolves it: `HF_HUB_CACHE`, else the legacy
 * `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub` (see {@link hfHome}).
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = envValue(env, 'HF_HUB_CACHE') ?? envValue(env, 'HUGGINGFACE_HUB_CACHE');
  return dir ? expandHome(dir) : join(hfHome(env), 'hub');
}

/**
 * Whether the offline switch is on: `HF_HUB_OFFLINE` (or, when that is unset, the older
 * `TRANSFORMERS_OFFLINE`) is one of 1/ON/YES/TRUE, in any case.
 */
export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = envValue(env, 'HF_HUB_OFFLINE') ?? envValue(env, 'TRANSFORMERS_OFFLINE');
  return v !== undefined && TRUE_VALUES.has(v.toUpperCase());
}

/** The Hub's base URL without a trailing slash: `HF_ENDPOINT` (a mirror or private Hub) or huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (envValue(env, 'HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/**
 * The access token: `HF_TOKEN`, else the legacy `HUGGING_FACE_HUB_TOKEN`, else the file that
 * `huggingface-cli login` writes (`HF_TOKEN_PATH`, default `$HF_HOME/token`). Undefined when none.
 */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = envValue(env, 'HF_TOKEN') ?? envValue(env, 'HUGGING_FACE_HUB_TOKEN');
  if (fromEnv) return fromEnv;
  const path = expandHome(envValue(env, 'HF_TOKEN_PATH') ?? join(hfHome(env), 'token'));
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined; // no login file: anonymous access
  }
}

/** Seconds without any data before a download counts as stalled: `HF_HUB_DOWNLOAD_TIMEOUT`, default 10. */
export function downloadTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(envValue(env, 'HF_HUB_DOWNLOAD_TIMEOUT'));
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_S;
}
