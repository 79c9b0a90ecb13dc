/** Splitting CSV and TSV text into rows with csv-parse, keeping the line each row starts on. */
import { parse } from 'csv-parse/sync';
import { BertftError } from '../errors.js';
import type { BadRowCollector } from './bad-rows.js';

/** One parsed record and the 1-based line where it starts. */
export interface DelimitedRow {
  line: number;
  fields: string[];
}

/** Parsing rules of the two delimited formats. */
export interface DelimitedDialect {
  delimiter: string;
  /**
   * CSV honours double quotes (RFC 4180, loosely: a stray quote inside an unquoted field is kept).
   * TSV files in the wild (GLUE, CLUE) do not quote, and their texts contain `"`, so TSV reads quotes literally.
   */
  quoted: boolean;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

function countLineBreaks(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Parses `text` (LF line endings, see decodeBytes) into rows. Blank lines are skipped; records the
 * parser cannot split (an unclosed quote) are reported to `bad` with the line they start on.
 */
export function parseDelimited(text: string, file: string, dialect: DelimitedDialect, bad: BadRowCollector): DelimitedRow[] {
  const broken: Array<{ endLine: number; message: string }> = [];
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      delimiter: dialect.delimiter,
      quote: dialect.quoted ? '"' : false,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: 10_000_000,
      info: true,
      on_skip: (err) => {
        if (err) broken.push({ endLine: Number(err.lines) || 0, message: err.message });
        return undefined;
      },
    }) as unknown as ParsedRecord[];
  } catch (e) {
    const err = e as { lines?: number; message?: string };
    throw new BertftError(`${file}:${err.lines ?? 1}: cannot parse as ${dialect.quoted ? 'CSV' : 'TSV'}: ${err.message ?? String(e)}`);
  }

  const rows: DelimitedRow[] = [];
  for (const r of records) {
    // Whitespace-only lines are blank lines too.
    if (r.record.every((f) => f.trim() === '')) continue;
    // info.lines is the line the record ends on; quoted fields may span several lines.
    rows.push({ line: r.info.lines - countLineBreaks(r.record), fields: r.record });
  }

  if (broken.length > 0) {
    const lines = text.split('\n');
    for (const b of broken) {
      // The broken record starts on the first non-blank line after the last good record before it.
      let start = 1;
      for (const row of rows) if (row.line <= b.endLine) start = row.line + 1 + countLineBreaks(row.fields);
      while (start < b.endLine && (lines[start - 1] ?? '').trim() === '') start++;
      const span = b.endLine > start ? ` (lines ${start}–${b.endLine} could not be split into rows)` : '';
      bad.report(start, `${b.message.replace(/\s*at line \d+$/, '')}${span}`);
    }
  }
  return rows;
}
