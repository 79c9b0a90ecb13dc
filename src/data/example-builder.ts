/** Turning the raw values found in a row into an Example, or into a bad-row reason. */
import { parseLabel } from './labels.js';
import type { ResolvedReadOptions } from './options.js';
import type { Example } from './types.js';

/** The raw values of one row and where each came from (for messages). */
export interface RawRow {
  line: number;
  text: unknown;
  textWhere: string;
  textPair?: unknown;
  textPairWhere?: string;
  /** Absent when the data has no labels. */
  label?: unknown;
  labelWhere?: string;
  hasLabel: boolean;
  hasTextPair: boolean;
}

/** A string cell or JSON value as text, or a reason it is not usable text. */
function asText(value: unknown, what: string, where: string): { ok: true; text: string } | { ok: false; reason: string } {
  const named = where === '' ? what : `${what} ${where}`;
  if (value === undefined || value === null) return { ok: false, reason: `missing ${named}` };
  if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, text: String(value) };
  if (typeof value !== 'string') return { ok: false, reason: `${named} is not a string` };
  const text = value.trim();
  if (text === '') return { ok: false, reason: `empty ${named}` };
  return { ok: true, text };
}

/**
 * Builds an example from a row. Surrounding whitespace of text and label is dropped (GLUE's SST-2
 * sentences end in a space); an empty text, pair or label is a bad row.
 */
export function buildExample(file: string, row: RawRow, opts: ResolvedReadOptions): Example | { reason: string } {
  const text = asText(row.text, 'text', row.textWhere);
  if (!text.ok) return { reason: text.reason };
  const example: Example = { text: text.text, file, line: row.line };
  if (row.hasTextPair) {
    const pair = asText(row.textPair, 'text pair', row.textPairWhere ?? '');
    if (!pair.ok) return { reason: pair.reason };
    example.textPair = pair.text;
  }
  // Prediction input (requireLabel false) may leave some labels blank: those examples just have none.
  const blank = row.label === undefined || row.label === null || (typeof row.label === 'string' && row.label.trim() === '');
  if (row.hasLabel && !(blank && !opts.requireLabel)) {
    const label = parseLabel(row.label, row.labelWhere ?? '', opts);
    if (!label.ok) return { reason: label.reason };
    example.label = label.label;
  }
  return example;
}
