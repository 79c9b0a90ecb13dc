/**
 * A tiny classification service built on the library — a notebook-style script.
 *
 *   node --import tsx examples/classify-service.ts [model-folder]
 *
 * `bertft serve` is the ready-made server (micro-batching, limits, /health, graceful shutdown; see
 * docs/serve.md). This script shows the other way: your own Node HTTP handler that holds a
 * `TextClassifier` and calls `predict`, so the model can live inside an existing service.
 *
 * The model folder defaults to `out/examples/sst2-full`, which
 * examples/feature-extraction-vs-fine-tuning.ts writes; any folder written by `bertft train` works.
 * The script starts the server on a free port, sends requests as a client would (one, then two at
 * once, then a malformed one), prints the answers and shuts down. In your own project, import from 'bertft' instead of '../src/…'.
 */

// %% [1] Imports ---------------------------------------------------------------------------------
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { isBertftError, MicroBatcher, TextClassifier } from '../src/index.js';

// %% [2] Load the model once, at start-up ----------------------------------------------------------
// Loading reads the weights and builds the inference engine (onnxruntime when it loads, else
// TF.js); do it once and share the instance across requests. Instances are independent, so a
// service may hold several models (one per language or task) side by side.
const modelDir = resolve(process.argv[2] ?? resolve(import.meta.dirname, '..', 'out', 'examples', 'sst2-full'));
const classifier = await TextClassifier.fromPretrained(modelDir);
console.log(`loaded ${modelDir}: labels ${JSON.stringify(classifier.labels)}, engine ${classifier.engine}, max length ${classifier.maxLength}`);

// One instance runs one `predict` at a time (the engines are not re-entrant), but HTTP requests
// arrive concurrently. A MicroBatcher queues them, runs one model call at a time, and merges texts
// of requests that arrive together into one batch (up to 32 texts, waiting at most 5 ms).
const batcher = new MicroBatcher((texts) => classifier.predict(texts), { maxBatchSize: 32, maxWaitMs: 5 });

// %% [3] The handler: POST /classify {"texts": [...]} → {"predictions": [...]} --------------------
// Small and strict: JSON in, JSON out, 1 MiB body limit, at most 64 texts per request. Errors
// become 4xx with a one-line message; anything else is a 500.
const MAX_BODY = 1 << 20;
const MAX_TEXTS = 64;

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body over 1 MiB'), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('the body is not valid JSON'), { status: 400 });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url !== '/classify') return send(res, 404, { error: `no route ${req.url}; use POST /classify` });
  if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
  const body = (await readJson(req)) as { texts?: unknown };
  const texts = body?.texts;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string')) {
    return send(res, 400, { error: 'expected {"texts": ["...", ...]}' });
  }
  if (texts.length > MAX_TEXTS) return send(res, 413, { error: `at most ${MAX_TEXTS} texts per request` });
  // Each caller gets exactly its own predictions, in input order.
  const predictions = await batcher.submit(texts);
  send(res, 200, { predictions: predictions.map((p) => ({ text: p.text, label: p.label, score: Number(p.score.toFixed(4)) })) });
}

const server = createServer((req, res) => {
  handle(req, res).catch((e: Error & { status?: number }) => {
    send(res, e.status ?? (isBertftError(e) ? 400 : 500), { error: e.message });
  });
});

// %% [4] Start on a free port ----------------------------------------------------------------------
// Port 0 lets the OS choose; a real service would read PORT from its environment.
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`listening on ${url}`);

// %% [5] A client: a few requests, as another process would send them -----------------------------
// (from a shell: curl -s $URL/classify -H 'Content-Type: application/json' -d '{"texts": ["loved it"]}')
async function classify(texts: unknown): Promise<unknown> {
  const r = await fetch(`${url}/classify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ texts }) });
  return { status: r.status, body: await r.json() };
}
console.log('request 1:', JSON.stringify(await classify(['a gripping , beautiful film', 'a dull , lifeless film'])));
// Two requests in flight at once: the batcher runs them as one model call.
const [a, b] = await Promise.all([classify(['the performances are wonderful and the story moves along nicely']), classify(['a tedious , joyless mess'])]);
console.log('request 2:', JSON.stringify(a));
console.log('request 3:', JSON.stringify(b));
// A malformed request, to show the error path.
console.log('bad request:', JSON.stringify(await classify('not a list')));

// %% [6] Shut down --------------------------------------------------------------------------------
// Stop accepting connections, wait for open ones to finish, then free the model's memory.
await new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok())));
await classifier.dispose();
console.log('closed');
