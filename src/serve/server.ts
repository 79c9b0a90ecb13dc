import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { bertftVersion } from '../version.js';
import { UsageError } from '../errors.js';
import { parseClassifyRequest, textsAndPairs, type ClassifyItem, type ClassifyLimits } from './classify-request.js';
import { HttpError, oneLine } from './http-error.js';
import { BatchAbortedError, MicroBatcher } from './micro-batcher.js';
import { parseJsonBody, readBody, requireJsonContentType } from './request-body.js';
import type { ServedModel } from './served-model.js';

export interface ClassificationServerOptions {
  /** Most texts per model call (default 32). */
  maxBatchSize?: number;
  /** Longest wait for a batch to fill, in ms (default 5). */
  maxWaitMs?: number;
  /** Most texts per request (default 256). */
  maxTexts?: number;
  /** Longest text in characters (default 10000). */
  maxTextLength?: number;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Texts allowed to wait for the model before new requests get 503 (default 8192). */
  maxQueuedTexts?: number;
  /** How long close() lets in-flight requests finish before cutting connections, in ms (default 30000). */
  drainTimeoutMs?: number;
  /** Receives one line per model failure (500); silent by default. */
  log?: (line: string) => void;
}

export interface ClassificationServer {
  /** The unstarted HTTP server: call `listen` on it. */
  server: http.Server;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. Idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxBatchSize: 32,
  maxWaitMs: 5,
  maxTexts: 256,
  maxTextLength: 10_000,
  maxBodyBytes: 1024 * 1024,
  maxQueuedTexts: 8192,
  drainTimeoutMs: 30_000,
};

type Limits = typeof DEFAULTS;

/** Fills in defaults and rejects values that would make the server misbehave. */
function resolveLimits(options: ClassificationServerOptions): Limits {
  const limits = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const zeroOk = key === 'maxWaitMs' || key === 'drainTimeoutMs';
    if (!Number.isFinite(value) || value < 0 || (!zeroOk && (value === 0 || !Number.isInteger(value)))) {
      throw new UsageError(`${key} must be a ${zeroOk ? 'non-negative number' : 'positive whole number'}, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** Sends a JSON body with an exact Content-Length. */
function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}

/** The path of a request target (query ignored); a target that is no URL at all is a 400. */
function pathOf(target: string): string {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    throw new HttpError(400, 'the request target is not a valid URL path');
  }
}

/** Which methods each endpoint takes; every other path is 404. */
const ROUTES: Record<string, string[]> = {
  '/classify': ['POST'],
  '/health': ['GET', 'HEAD'],
  '/metadata': ['GET', 'HEAD'],
};

/**
 * An HTTP JSON classification service around a model:
 *
 * - `POST /classify` `{"texts": [...]}` (strings or `{"text", "text_pair"}` items) → `{"predictions": [...]}`
 *   in order, or `{"text": "..."}` (optionally with `"text_pair"`) →
 *   `{"prediction": {...}}`. Texts of concurrent requests share model calls (micro-batching); one
 *   call runs at a time.
 * - `GET /health` → `{"status": "ok"}`, or 503 `{"status": "shutting down"}` while draining.
 * - `GET /metadata` → the model's metadata, the bertft version and the server's limits.
 *
 * Bad requests get a 4xx `{"error": "..."}` and never take the process down; a model failure is a
 * 500 for the requests in that batch only. The returned server is not listening yet.
 */
export function createClassificationServer(model: ServedModel, options: ClassificationServerOptions = {}): ClassificationServer {
  const limits = resolveLimits(options);
  const log = options.log ?? (() => {});
  const batcher = new MicroBatcher<ClassifyItem>((items) => model.predict(...textsAndPairs(items)), {
    maxBatchSize: limits.maxBatchSize,
    maxWaitMs: limits.maxWaitMs,
  });
  const classifyLimits: ClassifyLimits = { maxTexts: limits.maxTexts, maxTextLength: limits.maxTextLength };
  const version = bertftVersion();
  let draining = false;
  let closing: Promise<void> | undefined;

  async function classify(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireJsonContentType(req);
    const request = parseClassifyRequest(parseJsonBody(await readBody(req, limits.maxBodyBytes)), classifyLimits);
    refuseUnwantedPairs(model, request.texts);
    if (batcher.queuedTexts + request.texts.length > limits.maxQueuedTexts) {
      throw new HttpError(503, `the server is busy (${batcher.queuedTexts} texts queued); retry shortly`, { headers: { 'Retry-After': '1' } });
    }
    // A client that hangs up while queued should not cost a model call.
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once('close', onClose);
    try {
      const predictions = await batcher.submit(request.texts, abort.signal);
      sendJson(res, 200, request.single ? { prediction: predictions[0] } : { predictions }, closeHeader());
    } finally {
      res.off('close', onClose);
    }
  }

  function metadata(res: ServerResponse): void {
    sendJson(
      res,
      200,
      {
        ...model.metadata(),
        bertft_version: version,
        limits: {
          max_batch_size: limits.maxBatchSize,
          max_wait_ms: limits.maxWaitMs,
          max_texts: limits.maxTexts,
          max_text_length: limits.maxTextLength,
          max_body_bytes: limits.maxBodyBytes,
        },
      },
      closeHeader(),
    );
  }

  /** While draining, each response also closes its keep-alive connection. */
  function closeHeader(): Record<string, string> {
    return draining ? { Connection: 'close' } : {};
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url ?? '/');
    const methods = ROUTES[path];
    if (!methods) throw new HttpError(404, `no endpoint ${oneLine(path).slice(0, 200)}; use POST /classify, GET /health or GET /metadata`);
    if (!methods.includes(req.method ?? '')) {
      throw new HttpError(405, `${path} accepts ${methods.join(', ')}, not ${req.method}`, { headers: { Allow: methods.join(', ') } });
    }
    if (path === '/health') return sendJson(res, draining ? 503 : 200, { status: draining ? 'shutting down' : 'ok' }, closeHeader());
    if (draining) throw new HttpError(503, 'the server is shutting down');
    if (path === '/metadata') return metadata(res);
    return classify(req, res);
  }

  function fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    if (e instanceof BatchAbortedError || res.destroyed) return; // nobody is listening for an answer
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof HttpError) {
      // A body we did not read (refused early, or too large) must not be read on: close instead.
      const unread = e.closeConnection || !req.complete;
      sendJson(res, e.status, { error: oneLine(e.message) }, { ...e.headers, ...(unread || draining ? { Connection: 'close' } : {}) });
      if (unread) res.once('finish', () => req.socket.destroySoon());
      return;
    }
    const message = oneLine(e instanceof Error ? e.message : String(e));
    log(`${req.method} ${req.url} failed: ${message}`);
    sendJson(res, 500, { error: `the model failed: ${message}` }, closeHeader());
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => fail(req, res, e));
  });

  // Unparseable HTTP (bad request line, huge headers) still gets a JSON answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: status === 431 ? 'request headers are too large' : `malformed HTTP request (${err.code ?? 'parse error'})` });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      // Cut connections that are still busy after the grace period, so close() always ends.
      const deadline = setTimeout(() => server.closeAllConnections(), limits.drainTimeoutMs);
      deadline.unref();
      const finish = () => {
        clearTimeout(deadline);
        // The batcher may still be running a call for a client that hung up; the model is busy until it ends.
        void batcher.whenIdle().then(() => resolve());
      };
      if (!server.listening) return finish();
      server.close(() => finish());
      server.closeIdleConnections();
    });
    return closing;
  }

  return { server, close };
}

/** A text pair sent to a model that reads single texts (a token classifier) is the client's mistake: 400, before any batching. */
function refuseUnwantedPairs(model: ServedModel, items: readonly ClassifyItem[]): void {
  if (model.acceptsPairs === false && items.some((t) => t.textPair !== undefined))
    throw new HttpError(400, 'this model tags single texts; "text_pair" has no meaning for it');
}
