import { readFileSync } from 'node:fs';
import { BertftError } from '../errors.js';

/** Texts read from a file or stdin, with the 1-based line each came from (for messages). */
export interface TextLines {
  /** The file name, or `<stdin>`. */
  source: string;
  texts: string[];
  /** Second texts (a `.jsonl` line's `text_pair`), aligned with `texts`; absent when no line has one. */
  pairs?: (string | undefined)[];
  lines: number[];
}

/**
 * Reads texts for `embed`/`predict`: a `.jsonl` file with a `text` field per line (and, for
 * `predict`, an optional `text_pair`), or plain text with one text per line ('-' or no file =
 * standard input). Blank lines are skipped.
 */
export function readTexts(file: string | undefined): string[] {
  return readTextLines(file).texts;
}

/** {@link readTexts}, keeping each text's line number. */
export function readTextLines(file: string | undefined): TextLines {
  const source = file === undefined || file === '-' ? '<stdin>' : file;
  let raw: string;
  try {
    raw = readFileSync(source === '<stdin>' ? 0 : file!, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BertftError(`${source}: no such file`);
    if (code === 'EISDIR') throw new BertftError(`${source}: is a folder, expected a text or .jsonl file`);
    throw new BertftError(`${source}: cannot read (${(e as Error).message})`);
  }
  const jsonl = source.endsWith('.jsonl');
  const texts: string[] = [];
  const pairs: (string | undefined)[] = [];
  const lines: number[] = [];
  raw.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    if (!jsonl) {
      texts.push(line);
      lines.push(i + 1);
      return;
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new BertftError(`${source}:${i + 1}: not valid JSON`);
    }
    const { text, text_pair: pair } = (row ?? {}) as { text?: unknown; text_pair?: unknown };
    if (typeof text !== 'string') throw new BertftError(`${source}:${i + 1}: missing a string "text" field`);
    if (pair !== undefined && pair !== null && typeof pair !== 'string') throw new BertftError(`${source}:${i + 1}: "text_pair" must be a string`);
    pairs[texts.length] = typeof pair === 'string' ? pair : undefined;
    texts.push(text);
    lines.push(i + 1);
  });
  const paired = pairs.some((p) => p !== undefined);
  return { source, texts, lines, ...(paired ? { pairs: Array.from({ length: texts.length }, (_, k) => pairs[k]) } : {}) };
}
