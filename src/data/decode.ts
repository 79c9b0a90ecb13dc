/** Turning a data file's bytes into text, whatever encoding and line endings it was saved with. */
import { readFileSync } from 'node:fs';
import { BertftError, UsageError } from '../errors.js';
import type { TextEncoding } from './types.js';

/** Decoded file text with the encoding that was used. */
export interface DecodedText {
  /** The text, byte-order mark removed and CRLF line endings turned into LF. */
  text: string;
  encoding: 'utf8' | 'latin1' | 'utf16le';
}

/** 1-based line of the first byte sequence that is not UTF-8, for the error message. */
function firstBadUtf8Line(bytes: Uint8Array): number {
  const loose = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const at = loose.indexOf('\uFFFD');
  return at < 0 ? 1 : loose.slice(0, at).split('\n').length;
}

/**
 * Decodes file bytes. 'auto' reads UTF-8 and falls back to Latin-1 when the bytes are not valid UTF-8
 * (older corpora such as TREC were saved that way; every byte is a valid Latin-1 character).
 * A UTF-16 byte-order mark is honoured in every mode.
 */
export function decodeBytes(bytes: Uint8Array, encoding: TextEncoding, file: string): DecodedText {
  let text: string;
  let used: DecodedText['encoding'];
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = new TextDecoder('utf-16le').decode(bytes);
    used = 'utf16le';
  } else if (encoding === 'latin1') {
    text = new TextDecoder('latin1').decode(bytes);
    used = 'latin1';
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      used = 'utf8';
    } catch {
      if (encoding === 'utf8') {
        throw new BertftError(`${file}:${firstBadUtf8Line(bytes)}: not valid UTF-8; pass --encoding latin1 (or auto) if the file is Latin-1`);
      }
      // WHATWG 'latin1' is windows-1252, a superset of ISO-8859-1 for printable bytes; what old corpora mean.
      text = new TextDecoder('latin1').decode(bytes);
      used = 'latin1';
    }
  }
  return { text: text.replace(/\r\n/g, '\n'), encoding: used };
}

/** Reads and decodes a data file; a missing or unreadable file is a BertftError naming it. */
export function readTextFile(path: string, encoding: TextEncoding): DecodedText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BertftError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory; give the data file itself`);
    throw new BertftError(`${path}: cannot read (${code ?? (e as Error).message})`);
  }
  return decodeBytes(bytes, encoding, path);
}
