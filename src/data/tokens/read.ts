/** Reading a token-classification file: CoNLL or JSON lines, tags normalised to IOB2. */
import { extname } from 'node:path';
import { BertftError, UsageError } from '../../errors.js';
import { readTextFile } from '../decode.js';
import { parseConll } from './conll.js';
import { jsonRecords, spanRecords, tagRecords } from './jsonl.js';
import { normaliseTags, type RawSentence, resolveScheme } from './tags.js';
import type { SpanIssue, TokenDataFormat, TokenReadOptions, TokenReadResult } from './types.js';

const FORMATS: readonly TokenDataFormat[] = ['conll', 'jsonl-tags', 'jsonl-spans'];

/** The format a file's name and first record say: JSON lines for .jsonl/.json/.ndjson, else CoNLL. */
function guessFormat(file: string, records: () => ReturnType<typeof jsonRecords>): TokenDataFormat {
  if (!['.jsonl', '.json', '.ndjson'].includes(extname(file).toLowerCase())) return 'conll';
  const first = records()[0]?.record;
  if (first && 'tokens' in first) return 'jsonl-tags';
  if (first && 'text' in first) return 'jsonl-spans';
  throw new BertftError(`${file}:1: a token-classification JSON line needs "tokens" and "tags", or "text" and "entities"`);
}

/**
 * Parses the text of a token-classification file (see readTokenFile). Throws a BertftError naming
 * the file and line for input it cannot read; returns nothing partial.
 */
export function parseTokenData(text: string, file: string, options: TokenReadOptions = {}): TokenReadResult {
  if (options.format !== undefined && !FORMATS.includes(options.format)) {
    throw new UsageError(`unknown token data format "${options.format}"; use ${FORMATS.join(', ')}`);
  }
  resolveScheme(options.scheme);
  if (text.trim() === '') throw new BertftError(`${file}: empty file`);
  let records: ReturnType<typeof jsonRecords> | undefined;
  const getRecords = (): ReturnType<typeof jsonRecords> => (records ??= jsonRecords(text, file));
  const format = options.format ?? guessFormat(file, getRecords);
  let raw: RawSentence[];
  let spanIssues: SpanIssue[] = [];
  let docstarts = 0;
  if (format === 'conll') {
    ({ sentences: raw, docstarts } = parseConll(text, file, options.labelColumn));
  } else if (format === 'jsonl-tags') {
    raw = tagRecords(getRecords(), file);
  } else {
    ({ sentences: raw, issues: spanIssues } = spanRecords(getRecords(), file));
  }
  if (raw.length === 0) throw new BertftError(`${file}: no sentences`);
  const { sentences, scheme, inferred, repairs } = normaliseTags(raw, options.scheme);
  let tokens = 0;
  for (const s of sentences) tokens += s.tokens.length;
  return {
    sentences,
    report: { file, format, sentences: sentences.length, tokens, scheme, schemeInferred: inferred, repairs, spanIssues, docstarts },
  };
}

/**
 * Reads a token-classification file: CoNLL (token first, tag in `labelColumn`, default the last;
 * blank lines between sentences; `-DOCSTART-` skipped), JSON lines with `tokens` and `tags`, or JSON
 * lines with `text` and character-offset `entities`. Tags in IOB1, IOB2, BIOES or IO (inferred, or
 * `scheme`) come back as IOB2; the report lists what was repaired.
 */
export function readTokenFile(path: string, options: TokenReadOptions = {}): TokenReadResult {
  resolveScheme(options.scheme);
  return parseTokenData(readTextFile(path, 'utf8').text, path, options);
}
