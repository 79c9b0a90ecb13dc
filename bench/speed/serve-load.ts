/**
 * Load test of `bertft serve`: starts the classification server in this process and drives it on
 * loopback with N concurrent keep-alive clients for D seconds, mixing in a share of malformed
 * requests. Reports requests/s, texts/s, p50/p99 latency, model calls and their mean batch size,
 * failures among well-formed requests (must be 0), that every malformed request got a 4xx, and that
 * /health still answers afterwards. Exits 1 when any of those checks fails.
 *
 * Without --model the server wraps a fake model that sleeps --delay-ms per call plus --per-text-ms
 * per text (a stand-in for the forward pass); with --model DIR it serves a trained classifier folder.
 *
 *   node --import tsx bench/speed/serve-load.ts [--model DIR] [--engine auto|tfjs|onnxruntime] [--backend wasm|cpu|...] [--clients 32] [--seconds 10]
 *       [--malformed 0.1] [--texts-per-request 4] [--delay-ms 5] [--per-text-ms 0.1]
 *       [--max-batch-size 32] [--max-wait-ms 5] [--same-process]
 *
 * The clients run in a child process by default, so their JSON and socket work does not share the
 * server's thread; --same-process keeps everything in one process (a harsher, single-core setup).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Prediction } from '../../src/classifier.js';
import { Rng } from '../../src/data/random.js';
import type { TfjsBackendChoice } from '../../src/engine/tfjs/backend.js';
import type { EngineChoice } from '../../src/engine/select.js';
import { createClassificationServer } from '../../src/serve/server.js';
import { servedModelFromClassifier, type ServedModel } from '../../src/serve/served-model.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/speed/serve-load.ts [options]', {
  '--model': { type: 'string', value: 'DIR', optional: true, help: 'serve this classifier folder (default: a fake model that sleeps)' },
  '--engine': { type: 'string', value: 'auto|tfjs|onnxruntime', default: 'auto', help: 'engine of --model' },
  '--backend': { type: 'string', value: 'wasm|cpu|...', default: 'auto', help: 'TF.js backend of --model' },
  '--clients': { type: 'number', default: 32, help: 'concurrent keep-alive clients' },
  '--seconds': { type: 'number', value: 'S', default: 10, help: 'how long to drive the server' },
  '--malformed': { type: 'number', value: 'SHARE', default: 0.1, help: 'share of malformed requests' },
  '--texts-per-request': { type: 'number', default: 4, help: 'at most N texts per request' },
  '--delay-ms': { type: 'number', value: 'MS', default: 5, help: 'fake model: milliseconds per call' },
  '--per-text-ms': { type: 'number', value: 'MS', default: 0.1, help: 'fake model: milliseconds per text' },
  '--max-batch-size': { type: 'number', default: 32, help: "the server's micro-batch size" },
  '--max-wait-ms': { type: 'number', value: 'MS', default: 5, help: "the server's micro-batch wait" },
  '--same-process': { type: 'flag', help: 'clients in this process, not a child' },
  '--drive': { type: 'number', value: 'PORT', optional: true, help: 'internal: this is the child that drives the server on PORT' },
});
const { clients, seconds, delayMs, perTextMs, maxBatchSize, maxWaitMs, sameProcess } = args;

const SENTENCES = [
  'a gripping, beautifully shot film',
  'a dull, lifeless film that never finds its footing',
  'the acting is superb and the script is sharp',
  'i walked out halfway through',
  'one of the best documentaries of the decade',
  'predictable plot, wooden dialogue',
  'charming and funny from start to finish',
  'the soundtrack alone is worth the ticket',
  'an overlong mess with a few good moments',
  'it left me cold',
  'a quiet, moving portrait of a family',
  'i have seen better student films',
];

/** A fake model: fixed cost per call plus a per-text cost, answers derived from the text. */
function fakeModel(): ServedModel {
  return {
    async predict(texts) {
      await new Promise((r) => setTimeout(r, delayMs + perTextMs * texts.length));
      return texts.map((text): Prediction => {
        const pos = text.length % 2 === 0 ? 0.8 : 0.2;
        return { text, label: pos > 0.5 ? 'pos' : 'neg', score: Math.max(pos, 1 - pos), scores: { neg: 1 - pos, pos } };
      });
    },
    metadata: () => ({ labels: ['neg', 'pos'], problem_type: 'single_label_classification', model_dir: '(fake)' }),
  };
}

/**
 * Loads a trained classifier folder and measures its direct predict() rate on full batches, so the
 * served texts/s can be read against what the engine alone does.
 */
async function realModel(dir: string): Promise<{ model: ServedModel; dispose(): Promise<void>; note: string }> {
  const { TextClassifier } = await import('../../src/classifier.js');
  const { activeTfjsBackend } = await import('../../src/engine/tfjs/backend.js');
  const classifier = await TextClassifier.fromPretrained(dir, {
    backend: args.backend as TfjsBackendChoice,
    engine: args.engine as EngineChoice,
    offline: true,
  });
  const batch = Array.from({ length: maxBatchSize }, (_, i) => `${SENTENCES[i % SENTENCES.length]} #${i}`);
  await classifier.predict(batch, { batchSize: maxBatchSize });
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    await classifier.predict(batch, { batchSize: maxBatchSize });
    runs++;
  }
  const direct = (runs * maxBatchSize) / ((performance.now() - t0) / 1000);
  const info = activeTfjsBackend();
  const runsOn = classifier.engine === 'tfjs' ? `tfjs ${info?.backend} (${info?.threads} threads)` : classifier.engine;
  const note = `engine ${runsOn}, max_length ${classifier.maxLength}; direct predict() without HTTP: ${direct.toFixed(1)} texts/s at batch ${maxBatchSize}`;
  return { model: servedModelFromClassifier(classifier, { batchSize: maxBatchSize }), dispose: () => classifier.dispose(), note };
}

/** Counts model calls and the texts in each. */
function counted(model: ServedModel): { model: ServedModel; batches: number[] } {
  const batches: number[] = [];
  return { batches, model: { predict: (texts) => (batches.push(texts.length), model.predict(texts)), metadata: () => model.metadata() } };
}

interface Req {
  method: string;
  path: string;
  contentType: string;
  body?: string;
}

/** Malformed requests of every kind the server must refuse with a 4xx. */
const MALFORMED: [string, () => Req][] = [
  ['malformed JSON', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: '{"texts": ["a",' })],
  ['non-string entry', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: '{"texts": ["ok", 42]}' })],
  ['empty list', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: '{"texts": []}' })],
  ['empty string', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: '{"text": ""}' })],
  ['missing field', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: '{"sentences": ["a"]}' })],
  ['too many texts', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: JSON.stringify({ texts: new Array(300).fill('x') }) })],
  ['too long text', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: JSON.stringify({ text: 'y'.repeat(10_001) }) })],
  ['body too large', () => ({ method: 'POST', path: '/classify', contentType: 'application/json', body: JSON.stringify({ text: 'z'.repeat(1_100_000) }) })],
  ['wrong content type', () => ({ method: 'POST', path: '/classify', contentType: 'text/plain', body: '{"text": "a"}' })],
  ['wrong method', () => ({ method: 'GET', path: '/classify', contentType: 'application/json' })],
  ['unknown path', () => ({ method: 'POST', path: '/predict', contentType: 'application/json', body: '{"text": "a"}' })],
];

interface Outcome {
  status: number;
  body: string;
}

/**
 * One request; resolves on the response. A server that refuses a body early may close the socket
 * while we still write; once the response is in, that write error does not matter.
 */
function send(agent: http.Agent, port: number, r: Req): Promise<Outcome> {
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent, headers: { 'Content-Type': r.contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', () => !answered && resolve({ status: 0, body: 'response aborted' }));
    });
    req.on('error', (e) => {
      if (!answered) setTimeout(() => !answered && resolve({ status: 0, body: e.message }), 50);
    });
    req.end(r.body);
  });
}

interface DriveResult {
  elapsed: number;
  wellFormed: number;
  textsDone: number;
  /** Latencies of successful well-formed requests, ms, sorted. */
  latencies: number[];
  failures: string[];
  malformed: Record<string, { sent: number; got4xx: number }>;
  badMalformed: string[];
}

/** The load: `clients` keep-alive connections, each sending requests back to back until the deadline. */
async function drive(port: number): Promise<DriveResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const result: DriveResult = { elapsed: 0, wellFormed: 0, textsDone: 0, latencies: [], failures: [], malformed: {}, badMalformed: [] };

  async function client(id: number, deadline: number): Promise<void> {
    const rng = new Rng(1000 + id);
    while (performance.now() < deadline) {
      if (rng.next() < args.malformed) {
        const [kind, make] = MALFORMED[rng.int(MALFORMED.length)]!;
        const out = await send(agent, port, make());
        const tally = (result.malformed[kind] ??= { sent: 0, got4xx: 0 });
        tally.sent++;
        let jsonError = false;
        try {
          jsonError = typeof (JSON.parse(out.body) as { error?: unknown }).error === 'string';
        } catch {}
        if (out.status >= 400 && out.status < 500 && jsonError) tally.got4xx++;
        else result.badMalformed.push(`${kind}: ${out.status} ${out.body.slice(0, 120)}`);
        continue;
      }
      const texts = Array.from({ length: 1 + rng.int(args.textsPerRequest) }, () => `${SENTENCES[rng.int(SENTENCES.length)]} #${rng.int(1000)}`);
      const t0 = performance.now();
      const out = await send(agent, port, { method: 'POST', path: '/classify', contentType: 'application/json', body: JSON.stringify({ texts }) });
      const ms = performance.now() - t0;
      result.wellFormed++;
      let ok = out.status === 200;
      if (ok) {
        const predictions = (JSON.parse(out.body) as { predictions?: Prediction[] }).predictions;
        ok = Array.isArray(predictions) && predictions.length === texts.length && predictions.every((p, i) => p.text === texts[i]);
      }
      if (!ok) result.failures.push(`${out.status} ${out.body.slice(0, 160)}`);
      else {
        result.latencies.push(ms);
        result.textsDone += texts.length;
      }
    }
  }

  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i, start + seconds * 1000)));
  result.elapsed = (performance.now() - start) / 1000;
  result.latencies.sort((a, b) => a - b);
  agent.destroy();
  return result;
}

/** Runs the load from a child process (the default), so client work does not compete with the server's thread. */
function driveFromChild(port: number): Promise<DriveResult> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, self, ...process.argv.slice(2), '--drive', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as DriveResult) : reject(new Error(`the load process exited with ${code}`))));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const loaded = args.model ? await realModel(args.model) : { model: fakeModel(), dispose: async () => {}, note: '' };
  const { model, batches } = counted(loaded.model);
  const { server, close } = createClassificationServer(model, { maxBatchSize, maxWaitMs });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const warm = new http.Agent({ keepAlive: false });

  // Warm the model (the first call compiles kernels) so it does not land in the latencies.
  await send(warm, port, {
    method: 'POST',
    path: '/classify',
    contentType: 'application/json',
    body: JSON.stringify({ texts: SENTENCES.slice(0, args.textsPerRequest) }),
  });
  batches.length = 0;

  const r = sameProcess ? await drive(port) : await driveFromChild(port);

  const health = await send(warm, port, { method: 'GET', path: '/health', contentType: 'application/json' });
  const drainStart = performance.now();
  await close();
  const drainMs = performance.now() - drainStart;
  await loaded.dispose();

  const malformed = Object.entries(r.malformed).sort(([a], [b]) => a.localeCompare(b));
  const malformedSent = malformed.reduce((n, [, t]) => n + t.sent, 0);
  const meanBatch = batches.length ? batches.reduce((a, b) => a + b, 0) / batches.length : 0;
  const fmt = (x: number, d = 1) => x.toFixed(d);

  console.log(
    `model: ${args.model ?? `fake (${delayMs} ms per call + ${perTextMs} ms per text)`}; ${clients} clients (${sameProcess ? 'in the server process' : 'separate process'}) for ${fmt(r.elapsed)} s; max batch ${maxBatchSize}, max wait ${maxWaitMs} ms; 1-${args.textsPerRequest} texts per request; ${fmt(args.malformed * 100, 0)}% malformed`,
  );
  if (loaded.note) console.log(loaded.note);
  console.log(`well-formed requests: ${r.wellFormed} (${fmt(r.wellFormed / r.elapsed)} req/s), texts ${r.textsDone} (${fmt(r.textsDone / r.elapsed)} texts/s)`);
  console.log(`latency: p50 ${fmt(percentile(r.latencies, 50))} ms, p99 ${fmt(percentile(r.latencies, 99))} ms, max ${fmt(r.latencies.at(-1) ?? NaN)} ms`);
  console.log(`model calls: ${batches.length}, mean batch ${fmt(meanBatch)} texts, largest ${Math.max(0, ...batches)}`);
  console.log(`failures among well-formed requests: ${r.failures.length}${r.failures.length ? ` (first: ${r.failures[0]})` : ''}`);
  console.log(`malformed requests: ${malformedSent}, answered with a 4xx JSON error: ${malformedSent - r.badMalformed.length}`);
  for (const [kind, t] of malformed) console.log(`  ${kind.padEnd(20)} ${String(t.got4xx).padStart(5)}/${t.sent}`);
  console.log(`/health after the run: ${health.status} ${health.body}; close() drained in ${fmt(drainMs)} ms`);

  const passed = r.failures.length === 0 && r.badMalformed.length === 0 && health.status === 200 && r.wellFormed > 0;
  for (const b of r.badMalformed.slice(0, 5)) console.log(`  not a 4xx: ${b}`);
  console.log(passed ? 'OK' : 'FAILED');
  if (!passed) process.exitCode = 1;
}

if (args.drive !== undefined) process.stdout.write(JSON.stringify(await drive(args.drive)));
else await main();
