/**
 * Checking and completing reader options. Values may arrive as CLI strings ("0", "true", "\t"),
 * so each one is normalised here and a wrong one is a UsageError naming its flag.
 */
import { UsageError } from '../errors.js';
import type { ColumnRef, DataFormat, LabelType, OnBadRow, ReadOptions, ReadOptionsInput, TextEncoding } from './types.js';

/** ReadOptions with every default filled in. */
export interface ResolvedReadOptions {
  format: DataFormat | 'auto';
  header: boolean | 'auto';
  textColumn?: ColumnRef;
  textPairColumn?: ColumnRef;
  labelColumn?: ColumnRef;
  delimiter?: string;
  encoding: TextEncoding;
  labelType: LabelType;
  labelDelimiter?: string;
  labelSeparator?: string;
  labelPosition: 'first' | 'last';
  labelLevel: 'fine' | 'coarse';
  labelLevelSeparator: string;
  labelFromFile: boolean;
  requireLabel: boolean;
  onBadRow: OnBadRow;
}

/** The CLI flag that sets a ReadOptions key, for messages: textColumn → --text-column. */
export function flagName(key: keyof ReadOptions): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function oneOf<T extends string>(key: keyof ReadOptions, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flagName(key)} must be one of ${allowed.join(', ')}; got "${String(value)}"`);
}

function bool(key: keyof ReadOptions, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  throw new UsageError(`${flagName(key)} must be true or false; got "${String(value)}"`);
}

/** Turns the written forms of TAB and friends ("\t", "tab") into the character. */
function separator(key: keyof ReadOptions, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`${flagName(key)} must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  const named: Record<string, string> = { '\\t': '\t', tab: '\t', TAB: '\t', space: ' ', comma: ',', semicolon: ';', pipe: '|' };
  const sep = named[value] ?? value;
  if (/[\r\n]/.test(sep)) throw new UsageError(`${flagName(key)} cannot contain a line break`);
  return sep;
}

function column(key: keyof ReadOptions, value: unknown): ColumnRef | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new UsageError(`${flagName(key)} must be a column name or a 0-based index; got ${value}`);
  }
  if (typeof value === 'string') return value;
  throw new UsageError(`${flagName(key)} must be a column name or a 0-based index; got ${JSON.stringify(value)}`);
}

/** Other common spellings of the encodings. */
const ENCODING_ALIASES: Record<string, TextEncoding> = { 'utf-8': 'utf8', 'latin-1': 'latin1', 'iso-8859-1': 'latin1' };

/** Validates `options` and fills in defaults; throws UsageError naming the flag for a bad value. */
export function resolveReadOptions(options: ReadOptionsInput = {}): ResolvedReadOptions {
  const o = options as Record<keyof ReadOptions, unknown>;
  const header = o.header === 'auto' || o.header === undefined || o.header === null ? 'auto' : bool('header', o.header, false);
  const resolved: ResolvedReadOptions = {
    format: oneOf('format', o.format, ['auto', 'csv', 'tsv', 'jsonl', 'lines'] as const, 'auto'),
    header,
    textColumn: column('textColumn', o.textColumn),
    textPairColumn: column('textPairColumn', o.textPairColumn),
    labelColumn: column('labelColumn', o.labelColumn),
    delimiter: separator('delimiter', o.delimiter),
    encoding: oneOf('encoding', ENCODING_ALIASES[String(o.encoding)] ?? o.encoding, ['auto', 'utf8', 'latin1'] as const, 'auto'),
    labelType: oneOf('labelType', o.labelType, ['class', 'number', 'multi'] as const, 'class'),
    labelDelimiter: separator('labelDelimiter', o.labelDelimiter),
    labelSeparator: separator('labelSeparator', o.labelSeparator),
    labelPosition: oneOf('labelPosition', o.labelPosition, ['first', 'last'] as const, 'first'),
    labelLevel: oneOf('labelLevel', o.labelLevel, ['fine', 'coarse'] as const, 'fine'),
    labelLevelSeparator: separator('labelLevelSeparator', o.labelLevelSeparator) ?? ':',
    labelFromFile: bool('labelFromFile', o.labelFromFile, false),
    requireLabel: bool('requireLabel', o.requireLabel, true),
    onBadRow: oneOf('onBadRow', o.onBadRow, ['error', 'skip'] as const, 'error'),
  };
  if (resolved.labelDelimiter !== undefined && resolved.labelType !== 'multi') {
    throw new UsageError(`${flagName('labelDelimiter')} only applies to multi-label data; add --label-type multi`);
  }
  if (resolved.labelFromFile && resolved.labelColumn !== undefined) {
    throw new UsageError(`${flagName('labelFromFile')} and ${flagName('labelColumn')} both give the label; use one`);
  }
  if (resolved.labelFromFile && resolved.labelSeparator !== undefined) {
    throw new UsageError(`${flagName('labelFromFile')} and ${flagName('labelSeparator')} both give the label; use one`);
  }
  return resolved;
}
