/**
 * Fetching one file of a repository into `blobs/`: streamed to `<name>.incomplete` and renamed only
 * when every byte is there (and, for LFS files, the sha256 matches), so no reader ever sees half a
 * file. A broken-off LFS download resumes where it stopped on the next run, as huggingface_hub does.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import {
  checkHops,
  checkStatus,
  discard,
  errorCode,
  hubRequest,
  interruptedError,
  mergeMeta,
  networkReason,
  redirectTarget,
  resolveUrl,
  StallGuard,
  stalledError,
  type FileMeta,
  type HubClient,
} from './http.js';

/** Download progress of one file; `received` counts bytes resumed from an earlier run too. */
export type ProgressListener = (e: { file: string; received: number; total?: number }) => void;

/** A file now in `blobs/`, or one the Hub does not have (404, with the Hub's reason code). */
export type FetchResult = { found: true; blob: string; meta: FileMeta } | { found: false; errorCode?: string; meta: FileMeta };

// LFS files are named by their sha256, which lets us check them and resume them safely.
const SHA256 = /^[0-9a-f]{64}$/;

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** Content-Length when it counts the bytes we will read (not with a compressed encoding). */
function bodyLength(res: Response): number | undefined {
  if (res.headers.get('content-encoding')) return undefined;
  const n = Number(res.headers.get('content-length'));
  return res.headers.has('content-length') && Number.isFinite(n) ? n : undefined;
}

/** A 206 that starts where our partial file ends. */
function continuesAt(res: Response, offset: number): boolean {
  return res.status === 206 && new RegExp(`^bytes ${offset}-`).test(res.headers.get('content-range') ?? '');
}

interface BlobWrite {
  blobs: string;
  file: string;
  meta: FileMeta;
  /** Bytes already in the partial file that this response continues. */
  offset: number;
  guard: StallGuard;
  onProgress?: ProgressListener;
}

/** Streams a response body into the blob store and returns the blob's path. */
async function writeBlob(client: HubClient, res: Response, w: BlobWrite): Promise<string> {
  await mkdir(w.blobs, { recursive: true });
  const expectedSha = w.meta.etag && SHA256.test(w.meta.etag) ? w.meta.etag : undefined;
  // Content the Hub named is written under that name; unnamed content is named by its sha256 at the end.
  const partial = join(w.blobs, `${w.meta.etag ?? `tmp-${process.pid}-${randomBytes(6).toString('hex')}`}.incomplete`);
  const hash = createHash('sha256');
  if (w.offset) await hashFile(partial, hash);
  const length = bodyLength(res);
  const total = w.meta.size ?? (length === undefined ? undefined : length + w.offset);
  let received = w.offset;
  // Only sha256-named partial files are kept for a resume: the checksum catches any mix-up later.
  const dropPartial = () => (expectedSha ? Promise.resolve() : rm(partial, { force: true }));
  const out = await open(partial, w.offset ? 'a' : 'w');
  try {
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      w.guard.touch();
      await out.write(chunk);
      hash.update(chunk);
      received += chunk.byteLength;
      w.onProgress?.({ file: w.file, received, total });
    }
  } catch (e) {
    await out.close();
    await dropPartial();
    throw w.guard.stalled ? stalledError(client, w.file) : interruptedError(client, w.file, networkReason(e));
  }
  await out.close();
  if (total !== undefined && received !== total) {
    if (received > total) await rm(partial, { force: true });
    else await dropPartial();
    throw interruptedError(client, w.file, `${received} of ${total} bytes`);
  }
  const digest = hash.digest('hex');
  if (expectedSha && digest !== expectedSha) {
    await rm(partial, { force: true });
    throw new BertftError(`${w.file} of "${client.id}" arrived corrupted (sha256 ${digest}, the Hub says ${expectedSha}); run the command again`);
  }
  const blob = join(w.blobs, w.meta.etag ?? digest);
  await rename(partial, blob);
  return blob;
}

/**
 * Downloads `file` at `revision` into `<repoDir>/blobs/` unless a blob with the Hub's name for it is
 * already there. Returns `found: false` on 404; throws a one-line BertftError on anything else.
 */
export async function fetchToBlob(client: HubClient, repoDir: string, revision: string, file: string, onProgress?: ProgressListener): Promise<FetchResult> {
  const blobs = join(repoDir, 'blobs');
  const guard = new StallGuard(client.timeoutMs);
  let url = resolveUrl(client, revision, file);
  let meta: FileMeta = {};
  let mayResume = true;
  try {
    for (let hop = 0; ; hop++) {
      checkHops(client, hop, url);
      // Once the Hub has named the content, a blob we hold needs no transfer and a partial one only its rest.
      const known = meta.etag ? join(blobs, meta.etag) : undefined;
      if (known && existsSync(known)) return { found: true, blob: known, meta };
      const rangeFrom = mayResume && known && SHA256.test(meta.etag!) ? sizeOf(`${known}.incomplete`) : 0;
      const res = await hubRequest(client, url, { method: 'GET', rangeFrom, guard, file });
      guard.touch();
      meta = mergeMeta(meta, res, url, client);
      const next = redirectTarget(res, url);
      if (next) {
        await discard(res);
        url = next;
        continue;
      }
      if (res.status === 404) {
        await discard(res);
        return { found: false, errorCode: errorCode(res), meta };
      }
      if (rangeFrom && (res.status === 416 || (res.status === 206 && !continuesAt(res, rangeFrom)))) {
        // The partial file does not fit what the server holds: start it over.
        await discard(res);
        await rm(`${known}.incomplete`, { force: true });
        mayResume = false;
        continue;
      }
      checkStatus(client, res, url);
      const named = meta.etag ? join(blobs, meta.etag) : undefined;
      if (named && existsSync(named)) {
        await discard(res);
        return { found: true, blob: named, meta };
      }
      // The name came with the final answer (no redirect): ask again for just the missing rest.
      if (mayResume && !rangeFrom && named && SHA256.test(meta.etag!) && sizeOf(`${named}.incomplete`) > 0) {
        await discard(res);
        mayResume = res.headers.get('accept-ranges') === 'bytes';
        if (!mayResume) await rm(`${named}.incomplete`, { force: true });
        continue;
      }
      if (res.status === 200 || res.status === 206) {
        const offset = res.status === 206 ? rangeFrom : 0;
        return { found: true, blob: await writeBlob(client, res, { blobs, file, meta, offset, guard, onProgress }), meta };
      }
      await discard(res);
      throw new BertftError(`downloading ${url} for "${client.id}" gave an unexpected HTTP ${res.status}; try again later`);
    }
  } finally {
    guard.stop();
  }
}

/**
 * Whether the Hub has `file` at `revision`, asked with HEAD so nothing is downloaded (a redirect
 * means an LFS file that exists).
 */
export async function existsOnHub(client: HubClient, revision: string, file: string): Promise<boolean> {
  const guard = new StallGuard(client.timeoutMs);
  let url = resolveUrl(client, revision, file);
  try {
    for (let hop = 0; ; hop++) {
      checkHops(client, hop, url);
      const res = await hubRequest(client, url, { method: 'HEAD', guard, file });
      const next = redirectTarget(res, url);
      // A redirect within the Hub (a renamed repo) is followed; one elsewhere (the CDN) means "exists".
      if (next && new URL(next).origin === new URL(client.endpoint).origin) {
        url = next;
        continue;
      }
      if (next) return true;
      if (res.status === 404) return false;
      checkStatus(client, res, url);
      return true;
    }
  } finally {
    guard.stop();
  }
}
