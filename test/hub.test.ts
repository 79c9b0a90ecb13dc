/**
 * The Hub resolver against a fake Hub on loopback: the huggingface_hub cache layout, no network on a
 * cache hit, the offline switch, shards, and the one-line errors (offline, unreachable, auth,
 * pytorch_model.bin only, missing local folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { hubCacheDir, isOffline, looksLikeHubId, resolveModelDir } from '../src/hub/index.js';
import { BertftError } from '../src/errors.js';

const COMMIT = 'a'.repeat(40);

interface FakeRepo {
  files: Record<string, string>;
  status?: number;
}

/** A fake Hub: `/org/name/resolve/main/<file>`; counts requests. */
async function fakeHub(repos: Record<string, FakeRepo>): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url!);
    const m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!);
    const repo = m && repos[m[1]!];
    if (repo?.status) {
      res.writeHead(repo.status).end();
      return;
    }
    const body = repo?.files[m![3]!];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body), 'x-repo-commit': COMMIT, etag: `"${Buffer.from(m![3]!).toString('hex')}"` });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const oneLine = (parts: RegExp[]) => (e: unknown) => {
  assert.ok(e instanceof BertftError, String(e));
  for (const p of parts) assert.match((e as Error).message, p);
  assert.ok(!(e as Error).message.includes('\n'));
  return true;
};

test('cache location and offline switch follow huggingface_hub', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/x/hub', HF_HOME: '/y' }), '/x/hub');
  assert.equal(hubCacheDir({ HF_HOME: '/y' }), '/y/hub');
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/z' }), '/z/huggingface/hub');
  assert.equal(isOffline({ HF_HUB_OFFLINE: 'TRUE' }), true);
  assert.equal(isOffline({ HF_HUB_OFFLINE: '0' }), false);
  assert.ok(looksLikeHubId('org/name') && looksLikeHubId('bert-base-uncased'));
  assert.ok(!looksLikeHubId('../x') && !looksLikeHubId('a/b/c'));
});

test('download into the HF cache layout, then cache hits with no request, also offline', async () => {
  const hub = await fakeHub({ 'org/tiny': { files: { 'config.json': '{"model_type":"bert"}', 'vocab.txt': '[PAD]\n', 'model.safetensors': 'weights' } } });
  const cache = mkdtempSync(join(tmpdir(), 'bertft-hub-'));
  const env = { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url };
  const dir = await resolveModelDir('org/tiny', { env });
  assert.equal(dir, join(cache, 'models--org--tiny', 'snapshots', COMMIT));
  assert.equal(readFileSync(join(cache, 'models--org--tiny', 'refs', 'main'), 'utf8'), COMMIT);
  assert.ok(lstatSync(join(dir, 'model.safetensors')).isSymbolicLink());
  assert.match(readlinkSync(join(dir, 'model.safetensors')), /^\.\.\/\.\.\/blobs\//);
  assert.equal(readFileSync(join(dir, 'model.safetensors'), 'utf8'), 'weights');
  assert.ok(!existsSync(join(dir, 'tokenizer.json')), 'optional files missing on the Hub are fine');
  const n = hub.requests.length;
  assert.equal(await resolveModelDir('org/tiny', { env }), dir);
  assert.equal(await resolveModelDir('org/tiny', { env: { ...env, HF_HUB_OFFLINE: '1' } }), dir);
  assert.equal(hub.requests.length, n, 'cache hits make no request');
  hub.server.close();
});

test('sharded weights download every shard', async () => {
  const index = JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: 'model-2.safetensors' } });
  const hub = await fakeHub({ 'org/big': { files: { 'config.json': '{}', 'model.safetensors.index.json': index, 'model-1.safetensors': '1', 'model-2.safetensors': '2' } } });
  const cache = mkdtempSync(join(tmpdir(), 'bertft-hub-'));
  const dir = await resolveModelDir('org/big', { env: { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url } });
  assert.equal(readFileSync(join(dir, 'model-2.safetensors'), 'utf8'), '2');
  hub.server.close();
});

test('one-line errors: offline not cached, unreachable, auth, bin only, unknown repo, missing folder', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'bertft-hub-'));
  await assert.rejects(resolveModelDir('org/none', { env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' } }), oneLine([/not in the cache/, /--model <local folder>/]));
  const closed = await fakeHub({});
  const url = closed.url;
  await new Promise((r) => closed.server.close(r));
  await assert.rejects(resolveModelDir('org/none', { env: { HF_HUB_CACHE: cache, HF_ENDPOINT: url } }), oneLine([/cannot reach/, /HF_HUB_OFFLINE=1/]));
  const hub = await fakeHub({ 'org/private': { files: {}, status: 401 }, 'org/bin': { files: { 'config.json': '{}', 'pytorch_model.bin': 'x' } } });
  const env = { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url };
  await assert.rejects(resolveModelDir('org/private', { env }), oneLine([/HF_TOKEN/]));
  await assert.rejects(resolveModelDir('org/bin', { env }), oneLine([/only pytorch_model\.bin/, /safe_serialization=True/]));
  assert.ok(!existsSync(join(cache, 'models--org--bin', 'refs')), 'a failed download leaves no ref behind');
  await assert.rejects(resolveModelDir('org/unknown', { env }), oneLine([/no such model on the Hub/]));
  await assert.rejects(resolveModelDir('./no/such/folder', { env }), oneLine([/model folder not found/]));
  const file = join(cache, 'file.txt');
  writeFileSync(file, 'x');
  await assert.rejects(resolveModelDir(file, { env }), oneLine([/is a file/]));
  hub.server.close();
});

test('a local folder is returned as is, with no request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-local-'));
  assert.equal(await resolveModelDir(dir, { fetchImpl: () => Promise.reject(new Error('no network expected')) }), dir);
});
