/**
 * The Hub resolver against a fake Hub on loopback (plus a second server playing the CDN that LFS
 * files redirect to): the huggingface_hub cache layout, no network on a cache hit, the offline
 * switch, shards, resuming a broken-off download, and the one-line errors.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import { hubCacheDir, isOffline, looksLikeHubId, resolveModelDir } from '../../src/hub/index.js';
import { BertftError } from '../../src/errors.js';

const COMMIT = 'c0ffee'.padEnd(40, '1');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

interface FakeRepo {
  files: Record<string, string | Buffer>;
  /** Files stored with Git LFS: the Hub answers 302 to the CDN with X-Linked-Etag = sha256. */
  lfs?: string[];
  /** Every request to this repo gets this status (e.g. 401 for a private repo). */
  status?: number;
  /** Bytes the CDN serves instead of the real content (a corrupted transfer). */
  corrupt?: Record<string, Buffer>;
  /** A renamed repo: the Hub answers 307 to the new id, as huggingface.co does. */
  movedTo?: string;
}

interface Seen {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  authorization?: string;
  range?: string;
}

/** A fake Hub and CDN that log every request; `breakOnce`/`stallOnce` misbehave on a file's next download. */
class FakeHub {
  readonly seen: Seen[] = [];
  readonly breakOnce = new Set<string>();
  readonly stallOnce = new Set<string>();
  url = '';
  private cdnUrl = '';
  private readonly cdnBlobs = new Map<string, { file: string; body: Buffer }>();
  private readonly servers: Server[] = [];

  constructor(private readonly repos: Record<string, FakeRepo>) {}

  async start(): Promise<this> {
    this.url = await this.listen((req, res) => this.hub(req, res));
    this.cdnUrl = await this.listen((req, res) => this.cdn(req, res));
    return this;
  }

  get hubRequests(): Seen[] {
    return this.seen.filter((s) => s.server === 'hub');
  }

  close(): void {
    for (const s of this.servers) {
      s.closeAllConnections();
      s.close();
    }
  }

  private async listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    this.servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private log(server: Seen['server'], req: IncomingMessage): void {
    this.seen.push({ server, method: req.method!, url: req.url!, authorization: req.headers.authorization, range: req.headers.range });
  }

  private hub(req: IncomingMessage, res: ServerResponse): void {
    this.log('hub', req);
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!);
    const id = m?.[1] ?? '';
    const repo = this.repos[id];
    if (!m || !repo) return void res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end();
    if (repo.movedTo) return void res.writeHead(307, { location: `/${repo.movedTo}/resolve/${m[2]}/${m[3]}` }).end();
    if (repo.status) return void res.writeHead(repo.status).end();
    const file = m[3]!.split('/').map(decodeURIComponent).join('/');
    const content = repo.files[file];
    if (content === undefined) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': COMMIT }).end();
    const body = Buffer.from(content);
    if (repo.lfs?.includes(file)) {
      const sha = sha256(body);
      this.cdnBlobs.set(sha, { file, body: repo.corrupt?.[file] ?? body });
      const headers = { location: `${this.cdnUrl}/lfs/${sha}`, 'x-repo-commit': COMMIT, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(body.length) };
      return void res.writeHead(302, headers).end();
    }
    // A weak ETag, as some proxies rewrite it: the cache must name the blob by the bare value.
    res.writeHead(200, { 'x-repo-commit': COMMIT, etag: `W/"${sha1(body)}"`, 'content-length': body.length });
    this.send(req, res, file, body);
  }

  private cdn(req: IncomingMessage, res: ServerResponse): void {
    this.log('cdn', req);
    const blob = this.cdnBlobs.get(req.url!.replace('/lfs/', ''));
    if (!blob) return void res.writeHead(404).end();
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const part = blob.body.subarray(from);
    const headers = { etag: '"cdn-private-etag"', 'content-length': part.length, 'accept-ranges': 'bytes' };
    if (from) res.writeHead(206, { ...headers, 'content-range': `bytes ${from}-${blob.body.length - 1}/${blob.body.length}` });
    else res.writeHead(200, headers);
    this.send(req, res, blob.file, part);
  }

  private send(req: IncomingMessage, res: ServerResponse, file: string, body: Buffer): void {
    if (req.method === 'HEAD') return void res.end();
    if (this.stallOnce.delete(file)) return void res.flushHeaders(); // headers, then silence
    if (this.breakOnce.delete(file)) {
      // Half the body, then the connection dies (the client has had time to take in those bytes).
      res.write(body.subarray(0, body.length >> 1));
      setTimeout(() => res.destroy(), 50);
      return;
    }
    res.end(body);
  }
}

const hubs: FakeHub[] = [];
after(() => hubs.forEach((h) => h.close()));

async function fakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const hub = await new FakeHub(repos).start();
  hubs.push(hub);
  return hub;
}

/** A fresh cache and HF home (so no real login token is read) pointed at `endpoint`. */
function sandbox(endpoint = 'http://127.0.0.1:9'): { cache: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'bertft-hub-'));
  const cache = join(root, 'hub');
  return { cache, env: { HF_HOME: join(root, 'home'), HF_HUB_CACHE: cache, HF_ENDPOINT: endpoint } };
}

// Every assert.ok carries a message: without one, node's assert re-reads the transpiled source to
// build a message and can spin for minutes under tsx.

/** A fetch that fails the test if called. */
const noNetwork: typeof fetch = () => Promise.reject(new Error('no request expected'));

/** Asserts a one-line BertftError whose message matches every pattern. */
const oneLine =
  (...parts: RegExp[]) =>
  (e: unknown) => {
    assert.ok(e instanceof BertftError, String(e));
    for (const p of parts) assert.match(e.message, p);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  };

const literalPattern = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const WEIGHTS = Buffer.from(`safetensors-bytes-${'x'.repeat(100)}`);
const tinyRepo = (): FakeRepo => ({
  files: { 'config.json': '{"model_type":"bert"}', 'tokenizer.json': '{"model":{}}', 'vocab.txt': '[PAD]\n[UNK]\n', 'model.safetensors': WEIGHTS },
  lfs: ['model.safetensors'],
});

test('hubCacheDir: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME, then ~/.cache', () => {
  const all = { HF_HUB_CACHE: '/a/hub', HUGGINGFACE_HUB_CACHE: '/b/hub', HF_HOME: '/c', XDG_CACHE_HOME: '/d' };
  assert.equal(hubCacheDir(all), '/a/hub');
  assert.equal(hubCacheDir({ ...all, HF_HUB_CACHE: undefined }), '/b/hub');
  assert.equal(hubCacheDir({ HF_HOME: '/c', XDG_CACHE_HOME: '/d' }), join('/c', 'hub'));
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/d' }), join('/d', 'huggingface', 'hub'));
  assert.equal(hubCacheDir({}), join(homedir(), '.cache', 'huggingface', 'hub'));
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '', HF_HOME: '/c' }), join('/c', 'hub'), 'an empty variable counts as unset');
  assert.equal(hubCacheDir({ HF_HOME: '~/hf' }), join(homedir(), 'hf', 'hub'), '~ is expanded like Python does');
});

test('isOffline: 1/ON/YES/TRUE in any case; TRANSFORMERS_OFFLINE when HF_HUB_OFFLINE is unset', () => {
  for (const v of ['1', 'on', 'YES', 'True']) assert.equal(isOffline({ HF_HUB_OFFLINE: v }), true, v);
  for (const v of ['0', 'false', 'no', '', 'offline']) assert.equal(isOffline({ HF_HUB_OFFLINE: v }), false, v);
  assert.equal(isOffline({}), false);
  assert.equal(isOffline({ TRANSFORMERS_OFFLINE: '1' }), true);
  assert.equal(isOffline({ HF_HUB_OFFLINE: '0', TRANSFORMERS_OFFLINE: '1' }), false);
});

test('looksLikeHubId accepts org/name and legacy names, rejects paths and names the Hub forbids', () => {
  for (const id of ['org/name', 'bert-base-uncased', 'google-bert/bert-base-uncased', 'a/b.c_d-e', 'gpt2']) assert.ok(looksLikeHubId(id), id);
  for (const s of ['../x', './x', '/x', 'a/b/c', '~/x', 'a--b/c', 'a/b..c', '-a/b', 'a/b.', 'a/', '', 'a b/c', 'a/b.git']) assert.ok(!looksLikeHubId(s), s);
});

test('first download fills the huggingface_hub layout; later calls, online or offline, make no request', async () => {
  const hub = await fakeHub({ 'org/tiny': tinyRepo() });
  const { cache, env } = sandbox(hub.url);
  env.HF_TOKEN = 'hf_secret';
  const progress: { file: string; received: number; total?: number }[] = [];
  const dir = await resolveModelDir('org/tiny', { env, onProgress: (e) => progress.push(e) });

  const repoDir = join(cache, 'models--org--tiny');
  assert.equal(dir, join(repoDir, 'snapshots', COMMIT));
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), COMMIT);
  const repo = tinyRepo();
  for (const file of ['config.json', 'tokenizer.json', 'vocab.txt', 'model.safetensors']) {
    const link = join(dir, file);
    assert.ok(lstatSync(link).isSymbolicLink(), `${file} is a symlink`);
    assert.ok(!readlinkSync(link).startsWith('/'), `${file} links relatively`);
    assert.deepEqual(readFileSync(link), Buffer.from(repo.files[file]!), `${file} content`);
  }
  // Blobs are named as huggingface_hub names them: LFS by sha256, others by the bare ETag.
  assert.equal(readlinkSync(join(dir, 'model.safetensors')), join('..', '..', 'blobs', sha256(WEIGHTS)));
  assert.equal(readlinkSync(join(dir, 'config.json')), join('..', '..', 'blobs', sha1(Buffer.from(repo.files['config.json']!))));
  assert.deepEqual(
    readdirSync(join(repoDir, 'blobs')).filter((f) => f.endsWith('.incomplete')),
    [],
  );
  // Optional files the Hub lacks are fine, and remembered like Python does.
  assert.ok(!existsSync(join(dir, 'tokenizer_config.json')), 'no tokenizer_config.json on the Hub, none in the snapshot');
  assert.ok(existsSync(join(repoDir, '.no_exist', COMMIT, 'tokenizer_config.json')), '.no_exist marker');

  // After config.json every file is asked for at the commit, so a push meanwhile cannot mix versions.
  const gets = hub.hubRequests.filter((r) => r.method === 'GET');
  assert.match(gets[0]!.url, /\/org\/tiny\/resolve\/main\/config\.json$/);
  assert.ok(
    gets.slice(1).every((r) => r.url.includes(`/resolve/${COMMIT}/`)),
    'later files pinned to the commit',
  );
  // The token goes to the Hub, never to the CDN a redirect points to.
  assert.ok(
    hub.hubRequests.every((r) => r.authorization === 'Bearer hf_secret'),
    'token sent to the Hub',
  );
  const cdn = hub.seen.filter((r) => r.server === 'cdn');
  assert.equal(cdn.length, 1);
  assert.equal(cdn[0]!.authorization, undefined);
  const last = progress.filter((p) => p.file === 'model.safetensors').at(-1);
  assert.deepEqual(last, { file: 'model.safetensors', received: WEIGHTS.length, total: WEIGHTS.length });

  const before = hub.seen.length;
  assert.equal(await resolveModelDir('org/tiny', { env }), dir);
  assert.equal(await resolveModelDir('org/tiny', { env: { ...env, HF_HUB_OFFLINE: '1' }, fetchImpl: noNetwork }), dir);
  assert.equal(await resolveModelDir('org/tiny', { env, offline: true, fetchImpl: noNetwork }), dir);
  assert.equal(hub.seen.length, before, 'cache hits make no request');
});

test('a commit revision names its snapshot directly, with no ref; a legacy id and a renamed repo work', async () => {
  const hub = await fakeHub({ 'bert-tiny': tinyRepo(), 'old/name': { files: {}, movedTo: 'new/name' }, 'new/name': tinyRepo() });
  const { cache, env } = sandbox(hub.url);
  const dir = await resolveModelDir('bert-tiny', { env, revision: COMMIT });
  assert.equal(dir, join(cache, 'models--bert-tiny', 'snapshots', COMMIT));
  assert.ok(!existsSync(join(cache, 'models--bert-tiny', 'refs')), 'no ref for a commit');
  assert.ok(
    hub.hubRequests.every((r) => r.url.includes(`/resolve/${COMMIT}/`)),
    'asked at the commit',
  );
  // The cache keeps the name the user asked for, as huggingface_hub does.
  const moved = await resolveModelDir('old/name', { env });
  assert.equal(moved, join(cache, 'models--old--name', 'snapshots', COMMIT));
  assert.deepEqual(readFileSync(join(moved, 'model.safetensors')), WEIGHTS);
});

test('two loads of one model at once share one download', async () => {
  const hub = await fakeHub({ 'org/tiny': tinyRepo() });
  const { env } = sandbox(hub.url);
  const [a, b] = await Promise.all([resolveModelDir('org/tiny', { env }), resolveModelDir('org/tiny', { env })]);
  assert.equal(a, b);
  assert.deepEqual(readFileSync(join(a, 'model.safetensors')), WEIGHTS);
  const configGets = hub.hubRequests.filter((r) => r.url.endsWith('/config.json'));
  assert.equal(configGets.length, 1, 'config.json asked for once');
  assert.equal(hub.seen.filter((r) => r.server === 'cdn').length, 1, 'weights transferred once');
});

test('sharded weights: the index and every shard; a shard whose blob vanished is fetched again', async () => {
  const index = JSON.stringify({
    weight_map: {
      'a.weight': 'model-00001-of-00002.safetensors',
      'b.weight': 'model-00002-of-00002.safetensors',
      'c.weight': 'model-00001-of-00002.safetensors',
    },
  });
  const files = {
    'config.json': '{}',
    'vocab.txt': '[PAD]\n',
    'model.safetensors.index.json': index,
    'model-00001-of-00002.safetensors': 'one',
    'model-00002-of-00002.safetensors': 'two',
  };
  const hub = await fakeHub({ 'org/big': { files, lfs: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'] } });
  const { cache, env } = sandbox(hub.url);
  const dir = await resolveModelDir('org/big', { env });
  assert.equal(readFileSync(join(dir, 'model-00001-of-00002.safetensors'), 'utf8'), 'one');
  assert.equal(readFileSync(join(dir, 'model-00002-of-00002.safetensors'), 'utf8'), 'two');
  assert.equal(hub.seen.filter((r) => r.server === 'cdn').length, 2, 'a shard listed twice is fetched once');
  assert.ok(!existsSync(join(dir, 'model.safetensors')), 'no single weights file');

  let n = hub.seen.length;
  await resolveModelDir('org/big', { env });
  assert.equal(hub.seen.length, n, 'complete shards: no request');
  rmSync(join(cache, 'models--org--big', 'blobs', sha256(Buffer.from('two'))));
  n = hub.seen.length;
  assert.equal(await resolveModelDir('org/big', { env }), dir);
  assert.equal(readFileSync(join(dir, 'model-00002-of-00002.safetensors'), 'utf8'), 'two');
  assert.deepEqual(
    hub.seen
      .slice(n)
      .filter((r) => r.server === 'cdn')
      .map((r) => r.url),
    [`/lfs/${sha256(Buffer.from('two'))}`],
    'only the missing shard is transferred again',
  );
});

test('a shard name that climbs out of the snapshot is refused', async () => {
  const index = JSON.stringify({ weight_map: { a: '../../evil.safetensors' } });
  const hub = await fakeHub({ 'org/evil': { files: { 'config.json': '{}', 'model.safetensors.index.json': index } } });
  const { cache, env } = sandbox(hub.url);
  await assert.rejects(resolveModelDir('org/evil', { env }), oneLine(/unsafe file name/));
  assert.ok(!existsSync(join(cache, 'models--org--evil', 'evil.safetensors')), 'nothing written outside');
});

test('a repository with only pytorch_model.bin: asked with HEAD, explained, nothing half-cached', async () => {
  const hub = await fakeHub({ 'org/bin': { files: { 'config.json': '{}', 'vocab.txt': 'x\n', 'pytorch_model.bin': 'pickle' }, lfs: ['pytorch_model.bin'] } });
  const { cache, env } = sandbox(hub.url);
  await assert.rejects(resolveModelDir('org/bin', { env }), oneLine(/only pytorch_model\.bin/, /safe_serialization=True/, /--model <folder>/));
  const binRequests = hub.seen.filter((r) => r.url.includes('pytorch_model.bin'));
  assert.ok(binRequests.length > 0, 'pytorch_model.bin was looked for');
  assert.ok(
    binRequests.every((r) => r.method === 'HEAD' && r.server === 'hub'),
    'the .bin itself is never downloaded',
  );
  assert.ok(!existsSync(join(cache, 'models--org--bin', 'refs')), 'no ref');
  assert.ok(!existsSync(join(cache, 'models--org--bin', 'snapshots')), 'no snapshot');
});

test('one-line errors: unknown model, private model, gated model, offline and not cached', async () => {
  const hub = await fakeHub({ 'org/private': { files: {}, status: 401 }, 'org/gated': { files: {}, status: 403 } });
  const { cache, env } = sandbox(hub.url);
  await assert.rejects(resolveModelDir('org/unknown', { env }), oneLine(/no such model on the Hub/, /"org\/unknown"/));
  await assert.rejects(resolveModelDir('org/private', { env }), oneLine(/HTTP 401/, /set HF_TOKEN/));
  await assert.rejects(resolveModelDir('org/gated', { env: { ...env, HF_TOKEN: 'hf_x' } }), oneLine(/HTTP 403/, /HF_TOKEN/));

  const n = hub.seen.length;
  const cacheDir = literalPattern(`(${cache})`);
  await assert.rejects(
    resolveModelDir('org/none', { env: { ...env, HF_HUB_OFFLINE: '1' } }),
    oneLine(/^model "org\/none" is not in the cache /, cacheDir, /HF_HUB_OFFLINE=1/, /run once online, or pass --model <local folder>$/),
  );
  await assert.rejects(resolveModelDir('org/none', { env, offline: true }), oneLine(cacheDir, /offline mode is on/));
  assert.equal(hub.seen.length, n, 'offline means no request');
});

test('the token also comes from HUGGING_FACE_HUB_TOKEN and from the login file', async () => {
  const hub = await fakeHub({ 'org/tiny': tinyRepo() });
  const a = sandbox(hub.url);
  await resolveModelDir('org/tiny', { env: { ...a.env, HUGGING_FACE_HUB_TOKEN: 'hf_legacy' } });
  assert.equal(hub.hubRequests[0]!.authorization, 'Bearer hf_legacy');
  const b = sandbox(hub.url);
  mkdirSync(b.env.HF_HOME!, { recursive: true });
  writeFileSync(join(b.env.HF_HOME!, 'token'), 'hf_from_login\n');
  const n = hub.hubRequests.length;
  await resolveModelDir('org/tiny', { env: b.env });
  assert.equal(hub.hubRequests[n]!.authorization, 'Bearer hf_from_login');
});

test('an unreachable Hub (closed port) gives the one-line network error', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((r) => closed.close(r));
  const { env } = sandbox(url);
  await assert.rejects(
    resolveModelDir('org/tiny', { env }),
    oneLine(
      literalPattern(`cannot reach ${url} to download "org/tiny" (`),
      /ECONNREFUSED/,
      /set HF_HUB_OFFLINE=1 and use a cached model, or pass --model <local folder>$/,
    ),
  );
});

test('a connection that goes silent is given up after HF_HUB_DOWNLOAD_TIMEOUT', async () => {
  const hub = await fakeHub({ 'org/tiny': tinyRepo() });
  hub.stallOnce.add('config.json');
  const { env } = sandbox(hub.url);
  const started = Date.now();
  await assert.rejects(resolveModelDir('org/tiny', { env: { ...env, HF_HUB_DOWNLOAD_TIMEOUT: '0.3' } }), oneLine(/no data from/, /HF_HUB_DOWNLOAD_TIMEOUT/));
  assert.ok(Date.now() - started < 5000, 'gave up quickly');
});

test('a download that breaks off leaves nothing in snapshots; the next run finishes it, resuming LFS files', async () => {
  const big = Buffer.alloc(256 * 1024, 7);
  const repo: FakeRepo = {
    files: { 'config.json': '{}', 'tokenizer.json': '{"t":1}'.padEnd(4096, ' '), 'model.safetensors': big },
    lfs: ['model.safetensors'],
  };
  const hub = await fakeHub({ 'org/flaky': repo });
  hub.breakOnce.add('tokenizer.json').add('model.safetensors');
  const { cache, env } = sandbox(hub.url);
  const repoDir = join(cache, 'models--org--flaky');
  const nothingVisible = () => {
    assert.ok(!existsSync(join(repoDir, 'refs')), 'no ref');
    assert.ok(!existsSync(join(repoDir, 'snapshots')), 'no snapshot files');
  };

  await assert.rejects(resolveModelDir('org/flaky', { env }), oneLine(/tokenizer\.json/, /broke off/, /run the command again/));
  nothingVisible();
  assert.deepEqual(
    readdirSync(join(repoDir, 'blobs')).filter((f) => f.includes('incomplete') || f === sha1(Buffer.from(repo.files['tokenizer.json']!))),
    [],
  );

  await assert.rejects(resolveModelDir('org/flaky', { env }), oneLine(/model\.safetensors/, /broke off/));
  nothingVisible();
  const partial = join(repoDir, 'blobs', `${sha256(big)}.incomplete`);
  assert.equal(readFileSync(partial).length, big.length >> 1, 'the LFS part is kept for a resume');

  const n = hub.seen.length;
  const dir = await resolveModelDir('org/flaky', { env });
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), big);
  assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), repo.files['tokenizer.json']);
  const cdn = hub.seen.slice(n).filter((r) => r.server === 'cdn');
  assert.deepEqual(
    cdn.map((r) => r.range),
    [`bytes=${big.length >> 1}-`],
    'only the rest is transferred',
  );
  assert.ok(!existsSync(partial), 'partial file renamed into the blob');
});

test('an LFS file whose bytes do not match its sha256 is rejected and not stored', async () => {
  const repo = tinyRepo();
  repo.corrupt = { 'model.safetensors': Buffer.from(WEIGHTS).fill(0, 0, 4) };
  const hub = await fakeHub({ 'org/bad': repo });
  const { cache, env } = sandbox(hub.url);
  await assert.rejects(resolveModelDir('org/bad', { env }), oneLine(/corrupted/, /sha256/));
  const blobs = readdirSync(join(cache, 'models--org--bad', 'blobs'));
  assert.ok(!blobs.some((b) => b.startsWith(sha256(WEIGHTS))), blobs.join());
});

test('a snapshot Python cached without tokenizer files: used as is offline, completed online without fetching weights again', async () => {
  const hub = await fakeHub({ 'org/tiny': tinyRepo() });
  const { cache, env } = sandbox(hub.url);
  // What `AutoModel.from_pretrained("org/tiny")` leaves behind: config and weights only.
  const repoDir = join(cache, 'models--org--tiny');
  const snap = join(repoDir, 'snapshots', COMMIT);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'refs'));
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), COMMIT);
  for (const [file, name] of [
    ['config.json', 'cfgblob'],
    ['model.safetensors', sha256(WEIGHTS)],
  ] as const) {
    writeFileSync(join(repoDir, 'blobs', name), tinyRepo().files[file]!);
    symlinkSync(relative(snap, join(repoDir, 'blobs', name)), join(snap, file));
  }

  assert.equal(await resolveModelDir('org/tiny', { env, offline: true, fetchImpl: noNetwork }), snap);
  assert.equal(await resolveModelDir('org/tiny', { env }), snap);
  assert.ok(existsSync(join(snap, 'tokenizer.json')) && existsSync(join(snap, 'vocab.txt')), 'tokenizer files added');
  assert.equal(hub.seen.filter((r) => r.server === 'cdn').length, 0, 'the weights blob was already there');
});

test('local folders pass through as absolute paths; missing paths and files are one-line errors', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bertft-local-'));
  const dir = join(root, 'my-model');
  mkdirSync(dir);
  assert.equal(await resolveModelDir(dir, { fetchImpl: noNetwork }), dir);
  const rel = relative(process.cwd(), dir);
  assert.equal(await resolveModelDir(rel, { fetchImpl: noNetwork }), dir);

  const { env } = sandbox();
  for (const missing of ['./no-such-model', join(root, 'nope'), 'a/b/c', '~/bertft-no-such-folder-xyz', '..\\x']) {
    await assert.rejects(resolveModelDir(missing, { env, fetchImpl: noNetwork }), oneLine(literalPattern(`model folder not found: ${missing}`)), missing);
  }
  const file = join(root, 'weights.safetensors');
  writeFileSync(file, 'x');
  await assert.rejects(resolveModelDir(file, { env, fetchImpl: noNetwork }), oneLine(/is a file, not a model folder/));
});
