/**
 * Reading labelled examples from CSV, TSV, JSON-lines and plain-line files: the entry points
 * `readExamples` (files) and `parseExamples` (text already in memory).
 */
import { BertftError, UsageError } from '../errors.js';
import { BadRowCollector, formatBadRow } from './bad-rows.js';
import { looksLikeHeader, planColumns, planFields, requestedNames } from './columns.js';
import { readTextFile } from './decode.js';
import { parseDelimited, type DelimitedRow } from './delimited.js';
import { buildExample, type RawRow } from './example-builder.js';
import { detectFormat, labelFromFileName } from './format.js';
import { flagName, resolveReadOptions, type ResolvedReadOptions } from './options.js';
import type { BadRow, DataFormat, DataSource, Example, FileReport, ReadOptionsInput, ReadResult } from './types.js';

/** What a format reader produces for one file; the caller adds counts and bad rows. */
type FileReading = Omit<FileReport, 'file' | 'format' | 'encoding' | 'examples' | 'skipped'> & { examples: Example[] };

/** Adds the example built from `row`, or reports why it could not be built. */
function collect(file: string, row: RawRow, opts: ResolvedReadOptions, out: Example[], bad: BadRowCollector): void {
  const built = buildExample(file, row, opts);
  if ('reason' in built) bad.report(row.line, built.reason);
  else out.push(built);
}

/** The most common row width among the first rows: the width of a header-less file. */
function commonWidth(rows: readonly DelimitedRow[]): number {
  const counts = new Map<number, number>();
  for (const r of rows.slice(0, 1000)) counts.set(r.fields.length, (counts.get(r.fields.length) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [width, count] of counts) if (count > bestCount) [best, bestCount] = [width, count];
  return best;
}

function readDelimited(
  file: string,
  text: string,
  format: 'csv' | 'tsv',
  opts: ResolvedReadOptions,
  fileLabel: string | undefined,
  bad: BadRowCollector,
): FileReading {
  const delimiter = opts.delimiter ?? (format === 'csv' ? ',' : '\t');
  const rows = parseDelimited(text, file, { delimiter, quoted: format === 'csv' }, bad);
  const header =
    opts.header === 'auto'
      ? looksLikeHeader(
          rows.map((r) => r.fields),
          requestedNames(opts),
        )
      : opts.header;
  const headerNames = header && rows[0] ? rows[0].fields.map((f) => f.trim()) : null;
  const data = header ? rows.slice(1) : rows;
  const examples: Example[] = [];
  if (data.length === 0) return { examples, header, delimiter };

  const width = headerNames ? headerNames.length : commonWidth(data);
  const plan = planColumns(
    file,
    headerNames,
    width,
    data.slice(0, 2000).map((r) => r.fields),
    opts,
    fileLabel === undefined,
  );
  const hint = format === 'csv' ? `an unquoted ${JSON.stringify(delimiter)} in a field?` : `a ${JSON.stringify(delimiter)} inside the text?`;
  for (const { line, fields } of data) {
    if (fields.length > width) {
      bad.report(line, `has ${fields.length} fields, expected ${width} (${hint})`);
      continue;
    }
    if (fields.length < width) {
      const missing = [plan.text, plan.label, plan.textPair].some((c) => c !== undefined && c >= fields.length);
      if (!missing) {
        bad.report(line, `has ${fields.length} fields, expected ${width}`);
        continue;
      }
      // Otherwise buildExample names the missing text or label column.
    }
    const at = (c: number | undefined) => (c === undefined ? undefined : fields[c]);
    collect(
      file,
      {
        line,
        text: at(plan.text),
        textWhere: `(${plan.names[plan.text]})`,
        hasTextPair: plan.textPair !== undefined,
        textPair: at(plan.textPair),
        textPairWhere: plan.textPair === undefined ? '' : `(${plan.names[plan.textPair]})`,
        hasLabel: fileLabel !== undefined || plan.label !== undefined,
        label: fileLabel ?? at(plan.label),
        labelWhere: plan.label === undefined ? '(from the file name)' : `(${plan.names[plan.label]})`,
      },
      opts,
      examples,
      bad,
    );
  }
  return {
    examples,
    header,
    delimiter,
    textColumn: plan.names[plan.text],
    textPairColumn: plan.textPair === undefined ? undefined : plan.names[plan.textPair],
    labelColumn: plan.label === undefined ? undefined : plan.names[plan.label],
    labelSource: fileLabel === undefined ? undefined : `file name (${JSON.stringify(fileLabel)})`,
  };
}

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects of a JSON-lines file (or of a JSON array, numbered by item) with their line numbers. */
function parseJsonRecords(file: string, text: string, bad: BadRowCollector): Array<{ line: number; value: Record<string, unknown> }> {
  const records: Array<{ line: number; value: Record<string, unknown> }> = [];
  if (text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (e) {
      throw new BertftError(`${file}: invalid JSON array: ${(e as Error).message}; use JSON lines (one object per line)`);
    }
    (items as unknown[]).forEach((value, i) => {
      if (isObject(value)) records.push({ line: i + 1, value });
      else bad.report(i + 1, `item ${i + 1} is ${describeType(value)}, expected a JSON object`);
    });
    return records;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const source = (lines[i] as string).trim();
    if (source === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (e) {
      bad.report(i + 1, `invalid JSON: ${(e as Error).message}`);
      continue;
    }
    if (isObject(value)) records.push({ line: i + 1, value });
    else bad.report(i + 1, `found ${describeType(value)}, expected a JSON object`);
  }
  return records;
}

function readJsonLines(file: string, text: string, opts: ResolvedReadOptions, fileLabel: string | undefined, bad: BadRowCollector): FileReading {
  const records = parseJsonRecords(file, text, bad);
  const examples: Example[] = [];
  if (records.length === 0) return { examples };
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.value)) keys.add(k);
  const plan = planFields(file, [...keys], opts, fileLabel === undefined);
  const field = (name: string) => `(field ${JSON.stringify(name)})`;
  for (const { line, value } of records) {
    collect(
      file,
      {
        line,
        text: value[plan.text],
        textWhere: field(plan.text),
        hasTextPair: plan.textPair !== undefined,
        textPair: plan.textPair === undefined ? undefined : value[plan.textPair],
        textPairWhere: plan.textPair === undefined ? '' : field(plan.textPair),
        hasLabel: fileLabel !== undefined || plan.label !== undefined,
        label: fileLabel ?? (plan.label === undefined ? undefined : value[plan.label]),
        labelWhere: plan.label === undefined ? '(from the file name)' : field(plan.label),
      },
      opts,
      examples,
      bad,
    );
  }
  return {
    examples,
    textColumn: field(plan.text).slice(1, -1),
    textPairColumn: plan.textPair === undefined ? undefined : field(plan.textPair).slice(1, -1),
    labelColumn: plan.label === undefined ? undefined : field(plan.label).slice(1, -1),
    labelSource: fileLabel === undefined ? undefined : `file name (${JSON.stringify(fileLabel)})`,
  };
}

/** A character that occurs exactly once on each of the first lines: likely a field delimiter (for a hint). */
function guessDelimiter(text: string): string | undefined {
  const lines = text
    .split('\n', 50)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  if (lines.length < 2) return undefined;
  return [';', ',', '|'].find((d) => lines.every((l) => l.split(d).length === 2));
}

/** One text per line; the label comes from a separator on the line or from the file name. */
function readLines(file: string, text: string, opts: ResolvedReadOptions, fileLabel: string | undefined, bad: BadRowCollector): FileReading {
  const sep = fileLabel === undefined ? opts.labelSeparator : undefined;
  if (sep === undefined && fileLabel === undefined && opts.requireLabel) {
    const delimiter = guessDelimiter(text);
    const hint = delimiter === undefined ? '' : ` (every line has one ${JSON.stringify(delimiter)}: try ${flagName('delimiter')} '${delimiter}')`;
    throw new UsageError(
      `${file}: plain text lines carry no label; pass ${flagName('labelSeparator')} (e.g. " " for "LABEL text" lines), ` +
        `${flagName('labelFromFile')}, or ${flagName('delimiter')} for delimited text${hint}`,
    );
  }
  const examples: Example[] = [];
  const lines = text.split('\n');
  const shown = sep === undefined ? '' : JSON.stringify(sep);
  const labelWhere = opts.labelPosition === 'first' ? `(before the first ${shown})` : `(after the last ${shown})`;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const row: RawRow = { line: i + 1, text: line, textWhere: '', hasTextPair: false, hasLabel: false };
    if (fileLabel !== undefined) {
      Object.assign(row, { hasLabel: true, label: fileLabel, labelWhere: '(from the file name)' });
    } else if (sep !== undefined) {
      const at = opts.labelPosition === 'first' ? line.indexOf(sep) : line.lastIndexOf(sep);
      if (at < 0) {
        bad.report(i + 1, `no ${shown} between label and text`);
        continue;
      }
      const before = line.slice(0, at);
      const after = line.slice(at + sep.length);
      const [label, body] = opts.labelPosition === 'first' ? [before, after] : [after, before];
      Object.assign(row, { text: body, hasLabel: true, label, labelWhere });
    }
    collect(file, row, opts, examples, bad);
  }
  let labelSource: string | undefined;
  if (fileLabel !== undefined) labelSource = `file name (${JSON.stringify(fileLabel)})`;
  else if (sep !== undefined) labelSource = `text ${labelWhere.slice(1, -1)}`;
  return { examples, labelSource };
}

/** Reads one decoded file; shared by readExamples and parseExamples. */
function readOne(
  file: string,
  text: string,
  encoding: FileReport['encoding'],
  opts: ResolvedReadOptions,
  fileLabel: string | undefined,
): { examples: Example[]; skipped: BadRow[]; report: FileReport } {
  const format: DataFormat = detectFormat(file, text, opts, fileLabel !== undefined);
  const bad = new BadRowCollector(file, opts.onBadRow);
  const reading =
    format === 'csv' || format === 'tsv'
      ? readDelimited(file, text, format, opts, fileLabel, bad)
      : format === 'jsonl'
        ? readJsonLines(file, text, opts, fileLabel, bad)
        : readLines(file, text, opts, fileLabel, bad);
  const skipped = bad.finish();
  const { examples, ...details } = reading;
  if (examples.length === 0) {
    const why = skipped[0] ? `all ${skipped.length} rows were bad; the first: ${formatBadRow(skipped[0])}` : 'the file holds no data rows';
    throw new BertftError(`${file}: no examples read (${format}): ${why}`);
  }
  const report: FileReport = { file, format, encoding, ...details, examples: examples.length, skipped: skipped.length };
  return { examples, skipped, report };
}

/**
 * Reads examples from one or more files. Each file's format is chosen by `options.format` or detected;
 * a `DataSource` with a `label` (or `labelFromFile`) labels every line of its file.
 * Throws BertftError for an unreadable file or (with onBadRow 'error', the default) a bad row,
 * UsageError for options that do not fit the file (e.g. a column that does not exist).
 *
 * @example readExamples(['rt-polarity.pos', 'rt-polarity.neg'], { labelFromFile: true })
 */
export function readExamples(sources: string | DataSource | ReadonlyArray<string | DataSource>, options: ReadOptionsInput = {}): ReadResult {
  const opts = resolveReadOptions(options);
  const list = (Array.isArray(sources) ? sources : [sources]) as Array<string | DataSource>;
  if (list.length === 0) throw new UsageError('no data files given');
  const result: ReadResult = { examples: [], skipped: [], files: [] };
  for (const source of list) {
    const { path, label } = typeof source === 'string' ? { path: source, label: undefined } : source;
    const fileLabel = label ?? (opts.labelFromFile ? labelFromFileName(path) : undefined);
    const { text, encoding } = readTextFile(path, opts.encoding);
    const one = readOne(path, text, encoding, opts, fileLabel);
    // push in a loop: spreading 25k+ items into push() can overflow the call stack.
    for (const e of one.examples) result.examples.push(e);
    for (const s of one.skipped) result.skipped.push(s);
    result.files.push(one.report);
  }
  return result;
}

/**
 * Reads examples from text already in memory; `file` names it in messages and (by its extension)
 * picks the format when `options.format` is 'auto'. `label` labels every line, like a DataSource label.
 */
export function parseExamples(text: string, file: string, options: ReadOptionsInput = {}, label?: string): ReadResult {
  const opts = resolveReadOptions(options);
  const fileLabel = label ?? (opts.labelFromFile ? labelFromFileName(file) : undefined);
  const one = readOne(file, text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), 'utf8', opts, fileLabel);
  return { examples: one.examples, skipped: one.skipped, files: [one.report] };
}
