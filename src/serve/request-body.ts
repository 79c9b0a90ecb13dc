import type { IncomingMessage } from 'node:http';
import { HttpError, oneLine } from './http-error.js';

/** Strict UTF-8: a body with invalid bytes is a client error, not text with replacement marks. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks that the request declares a JSON body (`application/json` or `*+json`, UTF-8 if a
 * charset is given); anything else is 415.
 */
export function requireJsonContentType(req: IncomingMessage): void {
  const header = req.headers['content-type'];
  const [type = '', ...params] = (header ?? '').split(';').map((s) => s.trim().toLowerCase());
  const json = type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!json || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    const got = header === undefined ? 'no Content-Type' : `Content-Type "${oneLine(header)}"`;
    throw new HttpError(415, `expected Content-Type: application/json (UTF-8), got ${got}`);
  }
}

/**
 * Reads the whole body, refusing more than maxBytes: a declared Content-Length over the limit is
 * refused before reading, and a body that grows past it stops being read (the caller must close
 * the connection, which HttpError.closeConnection says).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `request body is larger than the limit of ${maxBytes} bytes`, { closeConnection: true });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new HttpError(400, `could not read the request body: ${e.message}`, { closeConnection: true }));
    };
    // 'close' before 'end' means the client went away mid-body.
    const onClose = () => {
      cleanup();
      reject(new HttpError(400, 'the request body was cut off', { closeConnection: true }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Decodes a UTF-8 JSON body; invalid bytes or syntax are 400 with the parser's reason. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'the request body is empty; send {"texts": ["..."]}');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${oneLine((e as Error).message)}`);
  }
}
