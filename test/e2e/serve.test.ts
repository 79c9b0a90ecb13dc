/**
 * `bertft serve`: the HTTP classification service with a fake model (deterministic, records the
 * batches it was called with): per-request results under concurrency, micro-batching across
 * requests, every malformed request answered with the right 4xx JSON error, model failures as 500
 * without taking the server down, graceful shutdown that drains in-flight requests, and the
 * SIGTERM path of the command in a child process. One end-to-end run serves a real classifier
 * folder through `bertft serve`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextClassifier, type Prediction } from '../../src/classifier.js';
import { BatchAbortedError, MicroBatcher } from '../../src/serve/micro-batcher.js';
import { createClassificationServer, type ClassificationServerOptions } from '../../src/serve/server.js';
import { servedModelFromClassifier, type ServedModel } from '../../src/serve/served-model.js';
import { EMBEDDED_MODEL_DIR, needsShared, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A label that depends only on the text, so each request's answers can be checked. */
function fakePrediction(text: string): Prediction {
  const long = text.length > 12 ? 1 : 0;
  return { text, label: long ? 'long' : 'short', score: 0.9, scores: { short: long ? 0.1 : 0.9, long: long ? 0.9 : 0.1 } };
}

class FakeModel implements ServedModel {
  readonly calls: string[][] = [];
  private active = 0;
  maxActive = 0;
  constructor(private readonly options: { delayMs?: number; failOn?: string } = {}) {}

  async predict(texts: string[]): Promise<Prediction[]> {
    this.calls.push(texts);
    this.maxActive = Math.max(this.maxActive, ++this.active);
    try {
      await sleep(this.options.delayMs ?? 0);
      if (this.options.failOn !== undefined && texts.includes(this.options.failOn)) throw new Error('engine exploded\n  at somewhere');
      return texts.map(fakePrediction);
    } finally {
      this.active--;
    }
  }

  metadata(): Record<string, unknown> {
    return { labels: ['short', 'long'], problem_type: 'single_label_classification', pooling: 'mean', max_length: 128, model_dir: '/fake/model' };
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request on a fresh connection; the body is parsed as JSON when it can be. */
function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/classify',
        agent: false,
        headers: { 'Content-Type': 'application/json', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      },
    );
    // A server that refuses a body before reading it may close while we still write: the reply counts.
    req.on('error', reject);
    if (options.body !== undefined && !options.chunked) req.setHeader('Content-Length', Buffer.byteLength(options.body));
    req.end(options.body);
  });
}

const classify = (port: number, body: unknown) => send(port, { body: JSON.stringify(body) });

/** Every server a test started, closed at the end even when an assertion failed midway. */
const started: (() => Promise<void>)[] = [];
after(() => Promise.all(started.map((close) => close())));

async function start(model: ServedModel, options: ClassificationServerOptions = {}) {
  const served = createClassificationServer(model, options);
  started.push(served.close);
  await new Promise<void>((r) => served.server.listen(0, '127.0.0.1', r));
  const port = (served.server.address() as net.AddressInfo).port;
  return { ...served, port };
}

test('concurrent requests share model calls and each gets its own predictions in order', async () => {
  const model = new FakeModel({ delayMs: 15 });
  const { port, close } = await start(model, { maxBatchSize: 16, maxWaitMs: 10 });
  const requests = Array.from({ length: 24 }, (_, r) =>
    Array.from({ length: 1 + (r % 4) }, (_, i) => (i % 2 ? `request ${r} text ${i} is long` : `r${r}t${i}`)),
  );
  const replies = await Promise.all(requests.map((texts) => classify(port, { texts })));
  replies.forEach((reply, r) => {
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { predictions: requests[r]!.map(fakePrediction) });
  });
  assert.equal(model.maxActive, 1, 'the model is never called re-entrantly');
  assert.ok(
    model.calls.every((c) => c.length <= 16),
    `batch sizes ${model.calls.map((c) => c.length)}`,
  );
  const requestsPerCall = model.calls.map((c) => new Set(c.map((t) => t.match(/^r(?:equest )?(\d+)/)![1])).size);
  assert.ok(Math.max(...requestsPerCall) > 1, `no call mixed requests: ${requestsPerCall}`);
  assert.ok(model.calls.length < requests.length, `${model.calls.length} calls for ${requests.length} requests`);
  assert.equal(model.calls.flat().length, requests.flat().length, 'every text ran exactly once');
  await close();
});

test('a request larger than a batch is split over calls and reassembled; {"text"} gets one prediction', async () => {
  const model = new FakeModel();
  const { port, close } = await start(model, { maxBatchSize: 32, maxWaitMs: 1 });
  const texts = Array.from({ length: 70 }, (_, i) => `text number ${i}${'!'.repeat(i % 5)}`);
  const reply = await classify(port, { texts });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body.predictions, texts.map(fakePrediction));
  assert.deepEqual(
    model.calls.map((c) => c.length),
    [32, 32, 6],
  );
  const one = await classify(port, { text: 'a gripping film' });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, { prediction: fakePrediction('a gripping film') });
  assert.match(String(one.headers['content-type']), /^application\/json/);
  await close();
});

test('health and metadata', async () => {
  const { port, close } = await start(new FakeModel(), { maxTexts: 7 });
  const health = await send(port, { method: 'GET', path: '/health' });
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  const meta = await send(port, { method: 'GET', path: '/metadata?verbose=1' });
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.body.labels, ['short', 'long']);
  assert.equal(meta.body.problem_type, 'single_label_classification');
  assert.equal(meta.body.model_dir, '/fake/model');
  assert.match(meta.body.bertft_version, /^\d+\.\d+\.\d+/);
  assert.equal(meta.body.limits.max_texts, 7);
  await close();
});

test('every malformed request gets the right 4xx and a one-line JSON error; the server keeps serving', async () => {
  const model = new FakeModel();
  const { port, close } = await start(model, { maxTexts: 4, maxTextLength: 20, maxBodyBytes: 2000 });
  const json = (body: unknown) => ({ body: JSON.stringify(body) });
  const cases: [string, Parameters<typeof send>[1], number, RegExp][] = [
    ['malformed JSON', { body: '{"texts": ["a",' }, 400, /malformed JSON/],
    ['empty body', { body: '' }, 400, /empty/],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400, /UTF-8/],
    ['array body', json(['a']), 400, /JSON object/],
    ['null body', { body: 'null' }, 400, /JSON object .*, got null/],
    ['missing field', json({}), 400, /missing field "texts"/],
    ['unknown field', json({ texts: ['a'], batch: 3 }), 400, /unknown field "batch"/],
    ['both fields', json({ texts: ['a'], text: 'b' }), 400, /either "texts" or "text"/],
    ['texts not a list', json({ texts: 'a' }), 400, /"texts" must be a list of strings, got string/],
    ['non-string entry', json({ texts: ['a', 'b', 3] }), 400, /texts\[2\] must be a string, got number/],
    ['null entry', json({ texts: [null] }), 400, /texts\[0\] must be a string, got null/],
    ['text not a string', json({ text: { a: 1 } }), 400, /"text" must be a string, got object/],
    ['empty list', json({ texts: [] }), 400, /"texts" is empty/],
    ['empty string', json({ texts: ['ok', ''] }), 400, /texts\[1\] is empty/],
    ['blank text', json({ text: '   ' }), 400, /"text" is empty/],
    ['too many texts', json({ texts: ['a', 'b', 'c', 'd', 'e'] }), 413, /5 entries; the limit is 4/],
    ['too long text', json({ texts: ['ok', 'x'.repeat(21)] }), 413, /texts\[1\] is 21 characters long; the limit is 20/],
    ['body too large (declared)', { body: JSON.stringify({ texts: ['x'.repeat(3000)] }) }, 413, /limit of 2000 bytes/],
    ['body too large (chunked)', { body: JSON.stringify({ text: 'y'.repeat(5000) }), chunked: true }, 413, /limit of 2000 bytes/],
    ['wrong content type', { ...json({ texts: ['a'] }), headers: { 'Content-Type': 'text/plain' } }, 415, /application\/json/],
    ['non-UTF-8 charset', { ...json({ texts: ['a'] }), headers: { 'Content-Type': 'application/json; charset=latin1' } }, 415, /UTF-8/],
    ['GET /classify', { method: 'GET' }, 405, /accepts POST/],
    ['POST /health', { path: '/health', ...json({}) }, 405, /accepts GET/],
    ['unknown path', { method: 'GET', path: '/predict' }, 404, /no endpoint \/predict/],
  ];
  for (const [name, options, status, message] of cases) {
    const reply = await send(port, options);
    assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
    assert.equal(typeof reply.body?.error, 'string', `${name}: not a JSON error: ${reply.body}`);
    assert.match(reply.body.error, message, name);
    assert.doesNotMatch(reply.body.error, /\n/, `${name}: one line`);
  }
  const noType = await send(port, { body: '{"text":"a"}', headers: { 'Content-Type': '' } });
  assert.equal(noType.status, 415);
  assert.equal((await send(port, { method: 'PUT' })).headers.allow, 'POST');
  assert.equal((await send(port, { method: 'DELETE', path: '/metadata' })).headers.allow, 'GET, HEAD');
  assert.equal(model.calls.length, 0, 'no bad request reached the model');
  const ok = await classify(port, { texts: ['still', 'serving fine today'] });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.predictions, ['still', 'serving fine today'].map(fakePrediction));
  await close();
});

/** Writes raw bytes on a new connection and returns everything the server sends back until it closes. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (c) => (text += c));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

test('unparseable HTTP and bad request targets get a JSON 400 too', async () => {
  const { port, close } = await start(new FakeModel());
  for (const bytes of ['BLAH / HTTP/1.1\r\n\r\n', 'GET http://[bad/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']) {
    const reply = await rawExchange(port, bytes);
    assert.match(reply, /^HTTP\/1\.1 400 /, JSON.stringify(bytes));
    assert.equal(typeof JSON.parse(reply.slice(reply.indexOf('{'))).error, 'string');
  }
  assert.equal((await send(port, { method: 'GET', path: '/health' })).status, 200);
  await close();
});

test('a huge body is refused with 413 before it is read in full', async () => {
  const { server, port, close } = await start(new FakeModel(), { maxBodyBytes: 1024 });
  let received = 0;
  server.on('request', (req) => req.on('data', (c: Buffer) => (received += c.length)));
  const reply = await new Promise<Reply>((resolve, reject) => {
    // Streams 16 MiB without a Content-Length; the reply must come long before the end.
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/classify', agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
      },
    );
    req.on('error', () => {}); // the server closes while we write; the reply is what counts
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 256 && req.write(chunk)) sent++;
      if (sent < 256 && !req.destroyed) req.once('drain', () => (sent++, pump()));
      else req.end();
    };
    pump();
    setTimeout(() => reject(new Error('no reply')), 10_000).unref();
  });
  assert.equal(reply.status, 413);
  assert.equal(reply.headers.connection, 'close');
  assert.ok(received < 8 * 1024 * 1024, `read ${received} bytes of a refused body`);
  assert.equal((await classify(port, { text: 'after the flood' })).status, 200);
  await close();
});

test('a model failure is a 500 for its batch only; the server keeps serving', async () => {
  const model = new FakeModel({ failOn: 'boom' });
  const lines: string[] = [];
  const { port, close } = await start(model, { maxWaitMs: 0, log: (l) => lines.push(l) });
  const failed = await classify(port, { texts: ['fine', 'boom'] });
  assert.equal(failed.status, 500);
  assert.match(failed.body.error, /engine exploded/);
  assert.doesNotMatch(failed.body.error, /\n/);
  assert.equal(lines.length, 1);
  const after = await classify(port, { texts: ['fine again'] });
  assert.equal(after.status, 200);
  assert.deepEqual(after.body.predictions, [fakePrediction('fine again')]);

  // A model that answers with the wrong number of predictions is a failure too, not a silent mix-up.
  const short: ServedModel = { predict: async (texts) => texts.slice(1).map(fakePrediction), metadata: () => ({}) };
  const other = await start(short);
  const bad = await classify(other.port, { texts: ['a', 'b'] });
  assert.equal(bad.status, 500);
  assert.match(bad.body.error, /1 predictions for 2 texts/);
  await other.close();
  await close();
});

test('a full queue answers 503 with Retry-After instead of growing without bound', async () => {
  const model = new FakeModel({ delayMs: 200 });
  const { port, close } = await start(model, { maxBatchSize: 2, maxWaitMs: 0, maxQueuedTexts: 2 });
  const first = classify(port, { texts: ['a', 'b'] }); // runs at once
  await sleep(50);
  const second = classify(port, { texts: ['c', 'd'] }); // waits in the queue
  await sleep(50);
  const third = await classify(port, { texts: ['e'] });
  assert.equal(third.status, 503);
  assert.equal(third.headers['retry-after'], '1');
  assert.match(third.body.error, /busy/);
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
  await close();
});

test('close() drains: the in-flight request completes, health says 503, new connections are refused', async () => {
  const model = new FakeModel({ delayMs: 300 });
  const { port, close } = await start(model, { maxWaitMs: 0 });
  // A second connection, idle mid-request, so it survives close() and can ask /health during the drain.
  const probe = net.connect(port, '127.0.0.1');
  await new Promise((r) => probe.once('connect', r));
  probe.write('GET /health HTTP/1.1\r\nHost: x\r\n');
  const inFlight = classify(port, { texts: ['slow one', 'slow two'] });
  while (model.calls.length === 0) await sleep(5);
  let closed = false;
  const closing = close().then(() => (closed = true));
  await sleep(20);
  probe.write('\r\n');
  const probeReply = await new Promise<string>((resolve) => {
    let text = '';
    probe.on('data', (c) => (text += c));
    probe.on('end', () => resolve(text));
  });
  assert.match(probeReply, /^HTTP\/1\.1 503/);
  assert.match(probeReply, /"status":"shutting down"/);
  assert.equal(closed, false, 'close() waits for the in-flight request');
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body.predictions, ['slow one', 'slow two'].map(fakePrediction));
  await closing;
  await assert.rejects(send(port, { method: 'GET', path: '/health' }), /ECONNREFUSED/);
});

test('the batcher drops the queued texts of an aborted caller and keeps order for the rest', async () => {
  const seen: string[][] = [];
  const batcher = new MicroBatcher(async (texts) => (seen.push(texts), await sleep(20), texts.map(fakePrediction)), { maxBatchSize: 2, maxWaitMs: 0 });
  const abort = new AbortController();
  const a = batcher.submit(['a1', 'a2']);
  const b = batcher.submit(['b1', 'b2', 'b3'], abort.signal);
  const c = batcher.submit(['c1']);
  abort.abort();
  await assert.rejects(b, BatchAbortedError);
  assert.deepEqual(await a, ['a1', 'a2'].map(fakePrediction));
  assert.deepEqual(await c, [fakePrediction('c1')]);
  assert.deepEqual(seen, [['a1', 'a2'], ['c1']]);
  await batcher.whenIdle();
  assert.equal(batcher.busy, false);
});

/** Child processes still running when the tests end (after a failure) are killed, so the run ends. */
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

/** Runs `script` (an ES module body) in a child node with tsx; resolves with its exit and stderr. */
function spawnScript(script: string, onStderr: (text: string) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
    onStderr(stderr);
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, exited };
}

/** Waits for the "listening on http://127.0.0.1:PORT" line and returns the port. */
function listeningPort(onLine: (cb: (text: string) => void) => void): Promise<number> {
  return new Promise((resolve) =>
    onLine((text) => {
      const m = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    }),
  );
}

test('on SIGTERM the serving process finishes the in-flight request and exits 0', { timeout: 30_000 }, async () => {
  const serve = pathToFileURL(join(REPO_ROOT, 'src', 'serve', 'index.ts')).href;
  const script = `
    const { createClassificationServer, serveUntilSignal } = await import(${JSON.stringify(serve)});
    const model = {
      predict: (texts) => new Promise((r) => setTimeout(() => r(texts.map((text) => ({ text, label: 'x', score: 1, scores: { x: 1 } }))), 400)),
      metadata: () => ({}),
    };
    await serveUntilSignal(createClassificationServer(model), { port: 0, host: '127.0.0.1' });
  `;
  let watch: (text: string) => void = () => {};
  const { child, exited } = spawnScript(script, (t) => watch(t));
  const port = await listeningPort((cb) => (watch = cb));
  const inFlight = classify(port, { texts: ['draining'] });
  await sleep(150);
  child.kill('SIGTERM');
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.equal(reply.body.predictions[0].text, 'draining');
  const { code, stderr } = await exited;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /SIGTERM: finishing in-flight requests/);
});

/** A mini `bertft` with just the serve command (the lead registers it in main.ts). */
function cliScript(args: string[]): string {
  const serve = pathToFileURL(join(REPO_ROOT, 'src', 'cli', 'commands', 'serve.ts')).href;
  return `
    const { Command } = await import('commander');
    const { registerServe } = await import(${JSON.stringify(serve)});
    const program = new Command('bertft').exitOverride();
    registerServe(program);
    await program.parseAsync(${JSON.stringify(['node', 'bertft', 'serve', ...args])});
  `;
}

test('bertft serve rejects bad flags with exit 2 before loading a model', { timeout: 30_000 }, async () => {
  const { exited } = spawnScript(cliScript(['--model', '/nonexistent', '--port', '70000']), () => {});
  const { code, stderr } = await exited;
  assert.equal(code, 2, stderr);
  assert.match(stderr, /--port must be a whole number from 0 to 65535/);
});

test('bertft serve answers with a real classifier folder and exits 0 on SIGINT', { timeout: 60_000 }, async (t) => {
  // A classifier folder: the embedded tiny encoder plus a fresh 2-label head (no training needed to serve).
  const folder = mkdtempSync(join(tmpdir(), 'bertft-serve-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const make = `
    const { loadPretrained } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'pretrained.ts')).href)});
    const { writeClassifierFolder } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'training', 'output-folder.ts')).href)});
    const base = await loadPretrained(${JSON.stringify(EMBEDDED_MODEL_DIR)}, { offline: true });
    const h = base.config.hiddenSize;
    const weights = new Map([...base.weights, ['classifier.weight', { shape: [2, h], data: Float32Array.from({ length: 2 * h }, (_, i) => Math.sin(i) * 0.1) }], ['classifier.bias', { shape: [2], data: new Float32Array(2) }]]);
    await writeClassifierFolder(${JSON.stringify(folder)}, { config: base.config, baseRaw: base.raw, labels: ['neg', 'pos'], problem: 'single_label_classification', bertft: { pooling: 'pooler', max_length: 64 } }, weights, base.dir);
  `;
  const made = await spawnScript(make, () => {}).exited;
  assert.equal(made.code, 0, made.stderr);

  let watch: (text: string) => void = () => {};
  const { child, exited } = spawnScript(cliScript(['--model', folder, '--port', '0', '--backend', 'cpu']), (t) => watch(t));
  const port = await Promise.race([listeningPort((cb) => (watch = cb)), exited.then((e) => Promise.reject(new Error(`exited ${e.code}: ${e.stderr}`)))]);
  const texts = ['a gripping, beautiful film', 'a dull, lifeless film', 'fine'];
  const replies = await Promise.all(texts.map((text) => classify(port, { text })));
  for (const [i, reply] of replies.entries()) {
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const p = reply.body.prediction;
    assert.equal(p.text, texts[i]);
    assert.ok(['neg', 'pos'].includes(p.label));
    assert.ok(Math.abs(p.scores.neg + p.scores.pos - 1) < 1e-5);
  }
  const together = await classify(port, { texts });
  assert.deepEqual(
    together.body.predictions.map((p: Prediction) => p.label),
    replies.map((r) => r.body.prediction.label),
  );
  const meta = await send(port, { method: 'GET', path: '/metadata' });
  assert.deepEqual(meta.body.labels, ['neg', 'pos']);
  assert.equal(meta.body.max_length, 64);
  child.kill('SIGINT');
  const { code, stderr } = await exited;
  assert.equal(code, 0, stderr);
});

test(
  'text pairs: {"text", "text_pair"} items are classified as predict classifies pairs (a RoBERTa classifier)',
  needsShared({ timeout: 60_000 }),
  async () => {
    const classifier = await TextClassifier.fromPretrained(sharedPath('fixtures', 'hf-e2e', 'roberta', 'seq'));
    const { port, close } = await start(servedModelFromClassifier(classifier), { maxWaitMs: 1 });
    const [a, b, c] = ['The acting was fine.', 'The plot, however, made no sense at all.', 'A quiet, lovely film.'];
    const want = await classifier.predict([a, c], { pairs: [b, undefined] });
    const mixed = await classify(port, { texts: [{ text: a, text_pair: b }, c] });
    assert.equal(mixed.status, 200, JSON.stringify(mixed.body));
    assert.deepEqual(mixed.body.predictions, JSON.parse(JSON.stringify(want)));
    const one = await classify(port, { text: a, text_pair: b });
    assert.deepEqual(one.body.prediction, mixed.body.predictions[0]);
    const alone = await classify(port, { text: a });
    assert.notDeepEqual(alone.body.prediction.scores, one.body.prediction.scores, 'the second text is used');
    assert.deepEqual(alone.body.prediction, JSON.parse(JSON.stringify((await classifier.predict([a]))[0])));
    await close();
    await classifier.dispose();
  },
);
