/** Choosing a file's format from its name and, when the name says nothing, from its first lines. */
import { basename, extname } from 'node:path';
import type { DataFormat } from './types.js';
import type { ResolvedReadOptions } from './options.js';

const BY_EXTENSION: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
};

/** Extensions that say how a file is stored rather than what it holds (so not a label). */
const STORAGE_EXTENSIONS = new Set(['.txt', '.text', '.lines', '.csv', '.tsv', '.tab', '.json', '.jsonl', '.ndjson', '.dat']);

/**
 * Picks the format of one file. An explicit `format` wins; then the extension; then:
 * a given delimiter means delimited text (csv for ',', tsv-style otherwise), a label separator or a
 * label from the file name means plain lines, and otherwise a TAB on every one of the first lines means tsv.
 */
export function detectFormat(file: string, text: string, opts: ResolvedReadOptions, hasFileLabel: boolean): DataFormat {
  if (opts.format !== 'auto') return opts.format;
  const byExt = BY_EXTENSION[extname(file).toLowerCase()];
  if (byExt) return byExt;
  if (opts.delimiter !== undefined) return opts.delimiter === ',' ? 'csv' : 'tsv';
  if (opts.labelSeparator !== undefined || hasFileLabel) return 'lines';
  const first = text
    .split('\n', 50)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  if (first.length > 0 && first.every((l) => l.includes('\t'))) return 'tsv';
  return 'lines';
}

/**
 * The label a file name stands for: the extension when it names a class (`rt-polarity.pos` → "pos"),
 * else the name without extension (`neg.txt` → "neg", `spam` → "spam").
 */
export function labelFromFileName(file: string): string {
  const ext = extname(file);
  if (ext.length > 1 && !STORAGE_EXTENSIONS.has(ext.toLowerCase())) return ext.slice(1);
  return basename(file, ext);
}
