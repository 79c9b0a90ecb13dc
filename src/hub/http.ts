/**
 * Talking to the Hub: one request at a time, redirects followed by hand (so the headers of the
 * Hub's own 302 — commit, LFS sha256, size — are seen before the CDN answers), and every failure
 * turned into a one-line BertftError that says what to do.
 */
import { BertftError } from '../errors.js';

/** Who we ask and how. */
export interface HubClient {
  /** Base URL without a trailing slash. */
  endpoint: string;
  /** The repository id, for messages and URLs. */
  id: string;
  token?: string;
  fetchImpl: typeof fetch;
  /** Milliseconds without data before a request counts as stalled. */
  timeoutMs: number;
}

/** What the Hub's headers say about a file, merged over the redirect hops. */
export interface FileMeta {
  /** `X-Repo-Commit`: the commit the revision resolved to. */
  commit?: string;
  /** `X-Linked-Etag` (LFS files: their sha256), else the ETag the Hub itself sent. */
  etag?: string;
  /** `X-Linked-Size`, else Content-Length of the final answer. */
  size?: number;
}

const MAX_REDIRECTS = 10;
const OFFLINE_HINT = 'set HF_HUB_OFFLINE=1 and use a cached model, or pass --model <local folder>';

/** `<endpoint>/<id>/resolve/<revision>/<file>`, with the revision and each path segment escaped. */
export function resolveUrl(client: HubClient, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${client.endpoint}/${client.id}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** ETags come as `"abc"` or `W/"abc"`; the cache names blobs by the bare value. */
export function normaliseEtag(raw: string | null): string | undefined {
  const v = raw?.trim().replace(/^W\//, '').replace(/"/g, '');
  return v ? v : undefined;
}

/** The most useful words in a fetch failure: undici hides the socket error in `cause`. */
export function networkReason(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string; errors?: Error[] } };
  const cause = err.cause;
  return cause?.errors?.[0]?.message || cause?.message || cause?.code || err.message;
}

/** The one-line error for a Hub that cannot be reached at all. */
export function unreachableError(client: HubClient, reason: string): BertftError {
  return new BertftError(`cannot reach ${client.endpoint} to download "${client.id}" (${reason}); ${OFFLINE_HINT}`);
}

/** The one-line error for a transfer that started and then broke off. */
export function interruptedError(client: HubClient, file: string, reason: string): BertftError {
  return new BertftError(
    `download of ${file} for "${client.id}" from ${client.endpoint} broke off (${reason}); run the command again to continue, or ${OFFLINE_HINT}`,
  );
}

/** The one-line error for a connection that went silent. */
export function stalledError(client: HubClient, file: string): BertftError {
  const s = client.timeoutMs / 1000;
  return new BertftError(
    `no data from ${client.endpoint} for ${s} s while downloading ${file} for "${client.id}"; check the connection and run again (HF_HUB_DOWNLOAD_TIMEOUT=<seconds> waits longer), or ${OFFLINE_HINT}`,
  );
}

/**
 * Aborts a request when no data arrived for a while; `touch()` on every chunk. Silence is what a
 * dead link looks like, and without this a download would hang forever.
 */
export class StallGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  stalled = false;
  constructor(private readonly ms: number) {
    this.touch();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort(new Error('stalled'));
    }, this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * One HTTP request with redirects left to the caller. The token goes only to the Hub's own origin:
 * a CDN that a redirect points to must not see it.
 */
export async function hubRequest(
  client: HubClient,
  url: string,
  init: { method: 'GET' | 'HEAD'; rangeFrom?: number; guard: StallGuard; file: string },
): Promise<Response> {
  // identity: Content-Length must count the bytes we store, and blobs must hold the file as published.
  const headers: Record<string, string> = { 'user-agent': 'bertft (node)', 'accept-encoding': 'identity' };
  if (client.token && new URL(url).origin === new URL(client.endpoint).origin) headers.authorization = `Bearer ${client.token}`;
  if (init.rangeFrom) headers.range = `bytes=${init.rangeFrom}-`;
  try {
    return await client.fetchImpl(url, { method: init.method, headers, redirect: 'manual', signal: init.guard.signal });
  } catch (e) {
    if (init.guard.stalled) throw stalledError(client, init.file);
    throw unreachableError(client, networkReason(e));
  }
}

/** Whether a response is a redirect to follow, and where to. */
export function redirectTarget(res: Response, from: string): string | undefined {
  if (res.status < 300 || res.status >= 400 || res.status === 304) return undefined;
  const location = res.headers.get('location');
  return location ? new URL(location, from).toString() : undefined;
}

/** Folds one hop's headers into what is known about the file; later hops win, as the Hub's own renames require. */
export function mergeMeta(meta: FileMeta, res: Response, url: string, client: HubClient): FileMeta {
  const h = res.headers;
  const sameOrigin = new URL(url).origin === new URL(client.endpoint).origin;
  const linked = normaliseEtag(h.get('x-linked-etag'));
  // A CDN's own ETag is not the Hub's name for the content; only trust plain ETags from the Hub.
  const plain = sameOrigin && !meta.etag ? normaliseEtag(h.get('etag')) : undefined;
  const linkedSize = Number(h.get('x-linked-size'));
  return {
    commit: h.get('x-repo-commit')?.trim() || meta.commit,
    etag: linked ?? plain ?? meta.etag,
    size: Number.isFinite(linkedSize) && linkedSize > 0 ? linkedSize : meta.size,
  };
}

/** Follow at most this many hops; more means a loop. */
export function checkHops(client: HubClient, hops: number, url: string): void {
  if (hops > MAX_REDIRECTS) throw new BertftError(`too many redirects from ${url} for "${client.id}"; check HF_ENDPOINT`);
}

/**
 * Throws the fitting one-line error for a response that is neither a success, a redirect nor a 404
 * (which callers handle: some files are optional).
 */
export function checkStatus(client: HubClient, res: Response, url: string): void {
  if (res.ok || res.status === 404 || res.status === 416) return;
  const code = res.headers.get('x-error-code') ?? '';
  const page = `${client.endpoint}/${client.id}`;
  if (code === 'GatedRepo') {
    throw new BertftError(
      `"${client.id}" is gated (HTTP ${res.status}): accept its conditions at ${page} while logged in, then set HF_TOKEN to an access token of that account`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    const which = client.token
      ? 'the token (HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the login file) is not allowed to read it; check the name, and set HF_TOKEN to a token that can'
      : 'if it exists and you can access it, set HF_TOKEN to a Hugging Face access token';
    throw new BertftError(`"${client.id}" is private, gated or does not exist on ${client.endpoint} (HTTP ${res.status}); ${which}`);
  }
  if (res.status === 429) {
    throw new BertftError(
      `${client.endpoint} is rate-limiting downloads of "${client.id}" (HTTP 429); wait a minute and run again (a HF_TOKEN raises the limit)`,
    );
  }
  throw new BertftError(`downloading ${url} failed with HTTP ${res.status} ${res.statusText}; try again later, or pass --model <local folder>`);
}

/** The Hub's machine-readable reason for a 404: RepoNotFound, RevisionNotFound, EntryNotFound. */
export function errorCode(res: Response): string | undefined {
  return res.headers.get('x-error-code') ?? undefined;
}

/** Drops a body we do not want (a redirect's, a blob we already have) without reading it. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // a body that errors while being thrown away changes nothing
  }
}
