/**
 * Deciding which columns (CSV/TSV) or fields (JSON lines) hold the text, the text pair and the label:
 * by the user's choice, by well-known names, or, for a two-column file without header, by looking at
 * the values (the label column repeats a few values; the text column hardly repeats).
 */
import { UsageError } from '../errors.js';
import { flagName, type ResolvedReadOptions } from './options.js';
import type { ColumnRef, ReadOptions } from './types.js';

/** Names that usually hold the text, in order of preference. */
export const TEXT_NAMES = [
  'text',
  'sentence',
  'text_a',
  'sentence1',
  'review',
  'content',
  'document',
  'description',
  'comment',
  'tweet',
  'message',
  'question',
  'title',
];
/** Names that usually hold the second text of a pair. */
export const TEXT_PAIR_NAMES = ['text_b', 'sentence2', 'text_pair'];
/** Names that usually hold the label, in order of preference. */
export const LABEL_NAMES = ['label', 'labels', 'label_name', 'label_desc', 'class', 'category', 'target', 'sentiment', 'y'];

/** Names of row identifiers: never guessed to be the text or the label. */
const ID_NAMES = ['id', 'qid', 'idx', 'guid', 'index', 'uid'];
const KNOWN_NAMES = new Set([...TEXT_NAMES, ...TEXT_PAIR_NAMES, ...LABEL_NAMES, ...ID_NAMES]);
/** What a header cell looks like: a short identifier-ish name, not a sentence or a number. */
const NAME_LIKE = /^[\p{L}_][\p{L}\p{N}_\-. ]{0,39}$/u;

type ColumnKey = 'textColumn' | 'textPairColumn' | 'labelColumn';

/** Finds `name` among `names`: exact match first, then ignoring case. */
function indexOfName(names: readonly string[], name: string): number {
  const exact = names.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  return names.findIndex((n) => n.toLowerCase() === lower);
}

function firstKnown(names: readonly string[], candidates: readonly string[], taken: ReadonlySet<number>): number | undefined {
  for (const c of candidates) {
    const i = indexOfName(names, c);
    if (i >= 0 && !taken.has(i)) return i;
  }
  return undefined;
}

function listColumns(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

/** The column names given as names (not indices) in the options, to recognise a header row. */
export function requestedNames(opts: Pick<ReadOptions, ColumnKey>): string[] {
  return [opts.textColumn, opts.textPairColumn, opts.labelColumn].filter((c): c is string => typeof c === 'string' && !/^\d+$/.test(c));
}

/**
 * Guesses whether the first row is a header: it names a requested column, or all its cells look like
 * names and either one is a well-known name or none of them recurs as a value further down
 * (a data row's label would recur).
 */
export function looksLikeHeader(rows: readonly string[][], requested: readonly string[]): boolean {
  const first = rows[0]?.map((c) => c.trim());
  if (!first || first.length === 0) return false;
  const lowerFirst = first.map((c) => c.toLowerCase());
  if (requested.some((n) => lowerFirst.includes(n.toLowerCase()))) return true;
  if (!first.every((c) => NAME_LIKE.test(c))) return false;
  if (lowerFirst.some((c) => KNOWN_NAMES.has(c))) return true;
  const sample = rows.slice(1, 201);
  return !first.some((cell, i) => sample.some((r) => r[i]?.trim() === cell));
}

/** Which column of a CSV/TSV file holds what; label is absent when the label comes from elsewhere or there is none. */
export interface ColumnPlan {
  text: number;
  textPair?: number;
  label?: number;
  /** How to name a column in reports and messages: `column "review"` or `column 1`. */
  names: string[];
}

/** Resolves one user column reference against a header (or none) and a row width. */
function resolveRef(file: string, key: ColumnKey, ref: ColumnRef, header: readonly string[] | null, width: number): number {
  if (header) {
    const asName = typeof ref === 'string' ? indexOfName(header, ref) : -1;
    if (asName >= 0) return asName;
    if (typeof ref === 'string' && !/^\d+$/.test(ref)) {
      throw new UsageError(`${file}: no column "${ref}" for ${flagName(key)} (columns: ${listColumns(header)})`);
    }
  } else if (typeof ref === 'string' && !/^\d+$/.test(ref)) {
    throw new UsageError(
      `${file}: ${flagName(key)} "${ref}" names a column, but the file has no header row; ` +
        `give a 0-based column index (0–${width - 1}) or pass --header true`,
    );
  }
  const index = Number(ref);
  if (index >= width) {
    const have = width === 1 ? 'rows have a single column (0)' : `rows have ${width} columns (0–${width - 1})`;
    throw new UsageError(`${file}: ${flagName(key)} ${index} is out of range; ${have}`);
  }
  return index;
}

/** Number of distinct values and mean length of a column over sample rows, to tell labels from text. */
function columnShape(rows: readonly string[][], col: number): { distinct: number; meanLength: number } {
  const seen = new Set<string>();
  let total = 0;
  for (const r of rows) {
    const v = (r[col] ?? '').trim();
    seen.add(v);
    total += v.length;
  }
  return { distinct: seen.size, meanLength: rows.length ? total / rows.length : 0 };
}

/**
 * Plans the columns of a CSV/TSV file. `header` holds the header names or null; `rows` are data rows
 * (a sample is enough); `needLabelColumn` is false when the label comes from the file name or a separator.
 */
export function planColumns(
  file: string,
  header: readonly string[] | null,
  width: number,
  rows: readonly string[][],
  opts: ResolvedReadOptions,
  needLabelColumn: boolean,
): ColumnPlan {
  const names = header ? header.map((h) => `column ${JSON.stringify(h)}`) : Array.from({ length: width }, (_, i) => `column ${i}`);
  const taken = new Set<number>();
  let text = opts.textColumn !== undefined ? resolveRef(file, 'textColumn', opts.textColumn, header, width) : undefined;
  let label = needLabelColumn && opts.labelColumn !== undefined ? resolveRef(file, 'labelColumn', opts.labelColumn, header, width) : undefined;
  let textPair = opts.textPairColumn !== undefined ? resolveRef(file, 'textPairColumn', opts.textPairColumn, header, width) : undefined;
  for (const c of [text, label, textPair]) if (c !== undefined) taken.add(c);

  if (header) {
    text ??= firstKnown(header, TEXT_NAMES, taken);
    if (text !== undefined) taken.add(text);
    if (needLabelColumn) label ??= firstKnown(header, LABEL_NAMES, taken);
    if (label !== undefined) taken.add(label);
    if (opts.textPairColumn === undefined) textPair = firstKnown(header, TEXT_PAIR_NAMES, taken);
  }
  // Two columns and one of them decided: the other is the remaining one (unless it is a row id).
  const isId = (c: number) => header !== null && ID_NAMES.includes((header[c] ?? '').toLowerCase());
  if (width === 2 && needLabelColumn) {
    if (text !== undefined && label === undefined && textPair === undefined && !isId(1 - text)) label = 1 - text;
    else if (label !== undefined && text === undefined && !isId(1 - label)) text = 1 - label;
  }
  if (width === 1) text ??= 0;
  if (width === 2 && text === undefined && label === undefined && !isId(0) && !isId(1)) {
    if (!needLabelColumn) {
      text = 0;
    } else {
      // The label column repeats a few values; the text column hardly repeats and is longer.
      const [a, b] = [columnShape(rows.slice(0, 2000), 0), columnShape(rows.slice(0, 2000), 1)];
      const firstIsLabel = a.distinct !== b.distinct ? a.distinct < b.distinct : a.meanLength < b.meanLength;
      label = firstIsLabel ? 0 : 1;
      text = 1 - label;
    }
  }

  const columnsHint = header ? `columns: ${listColumns(header)}` : width === 1 ? 'rows have a single column' : `rows have ${width} columns, 0–${width - 1}`;
  if (text === undefined) {
    throw new UsageError(`${file}: cannot tell which column holds the text; pass ${flagName('textColumn')} (${columnsHint})`);
  }
  if (label === undefined && needLabelColumn && opts.requireLabel) {
    throw new UsageError(
      `${file}: cannot tell which column holds the label; pass ${flagName('labelColumn')} (${columnsHint}) ` +
        `or ${flagName('labelFromFile')}; files without labels serve only for prediction`,
    );
  }
  if (label === text || textPair === text || (label !== undefined && label === textPair)) {
    throw new UsageError(`${file}: the text, text-pair and label columns must differ (${columnsHint})`);
  }
  return { text, textPair, label, names };
}

/** Which JSON fields hold what. */
export interface FieldPlan {
  text: string;
  textPair?: string;
  label?: string;
}

function resolveField(file: string, key: ColumnKey, ref: ColumnRef, keys: readonly string[]): string {
  if (typeof ref === 'number') {
    throw new UsageError(`${file}: JSON lines have named fields, not column numbers; give ${flagName(key)} a field name (fields: ${listColumns(keys)})`);
  }
  const i = indexOfName(keys, ref);
  if (i < 0) throw new UsageError(`${file}: no field "${ref}" for ${flagName(key)} (fields: ${listColumns(keys)})`);
  return keys[i] as string;
}

/** Plans the fields of a JSON-lines file from the keys its objects use. */
export function planFields(file: string, keys: readonly string[], opts: ResolvedReadOptions, needLabelField: boolean): FieldPlan {
  const pick = (key: ColumnKey, candidates: readonly string[], taken: string[]): string | undefined => {
    const ref = opts[key];
    if (ref !== undefined) return resolveField(file, key, ref, keys);
    const i = firstKnown(keys, candidates, new Set(taken.map((t) => keys.indexOf(t))));
    return i === undefined ? undefined : keys[i];
  };
  const text = pick('textColumn', TEXT_NAMES, []);
  if (text === undefined) {
    throw new UsageError(`${file}: cannot tell which field holds the text; pass ${flagName('textColumn')} (fields: ${listColumns(keys)})`);
  }
  const label = needLabelField ? pick('labelColumn', LABEL_NAMES, [text]) : undefined;
  if (label === undefined && needLabelField && opts.requireLabel) {
    throw new UsageError(`${file}: cannot tell which field holds the label; pass ${flagName('labelColumn')} (fields: ${listColumns(keys)})`);
  }
  const textPair = pick('textPairColumn', TEXT_PAIR_NAMES, label === undefined ? [text] : [text, label]);
  if (label === text || textPair === text || (label !== undefined && label === textPair)) {
    throw new UsageError(`${file}: the text, text-pair and label fields must differ (fields: ${listColumns(keys)})`);
  }
  return { text, textPair, label };
}
