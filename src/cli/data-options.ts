import type { Command } from 'commander';
import type { ReadOptionsInput } from '../data/index.js';

/** The reader flags shared by train, evaluate and advise (see docs/data-formats.md). */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--format <fmt>', 'csv, tsv, jsonl or lines (default: from the extension and content)')
    .option('--header <bool>', 'whether CSV/TSV files start with a header row: true, false or auto', 'auto')
    .option('--text-column <col>', 'column name or 0-based index (JSON field) of the text')
    .option('--text-pair-column <col>', 'column of the second text of a pair (token_type_ids 1)')
    .option('--label-column <col>', 'column of the label')
    .option('--delimiter <sep>', 'CSV/TSV field separator (\\t, comma, semicolon, pipe or a character)')
    .option('--encoding <enc>', 'auto, utf8 or latin1', 'auto')
    .option('--label-delimiter <sep>', 'splits multi-label cells such as sports|politics')
    .option('--label-separator <sep>', '"lines" files: separator between label and text (e.g. " " for TREC)')
    .option('--label-position <pos>', '"lines" files: label first or last', 'first')
    .option('--label-level <level>', 'hierarchical labels like LOC:city: fine or coarse', 'fine')
    .option('--label-from-file', 'label every row with its file name (rt-polarity.pos → pos)')
    .option('--on-bad-row <what>', 'skip or error on unreadable rows', 'error');
}

interface DataFlags {
  format?: string;
  header?: string;
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  delimiter?: string;
  encoding?: string;
  labelDelimiter?: string;
  labelSeparator?: string;
  labelPosition?: string;
  labelLevel?: string;
  labelFromFile?: boolean;
  onBadRow?: string;
}

/** Column flags that are whole numbers are indices; anything else is a header name. */
function columnRef(v: string | undefined): string | number | undefined {
  return v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v;
}

export function readOptionsFrom(flags: DataFlags): ReadOptionsInput {
  return {
    format: flags.format,
    header: flags.header === 'auto' ? 'auto' : flags.header,
    textColumn: columnRef(flags.textColumn),
    textPairColumn: columnRef(flags.textPairColumn),
    labelColumn: columnRef(flags.labelColumn),
    delimiter: flags.delimiter,
    encoding: flags.encoding,
    labelDelimiter: flags.labelDelimiter,
    labelSeparator: flags.labelSeparator,
    labelPosition: flags.labelPosition,
    labelLevel: flags.labelLevel,
    labelFromFile: flags.labelFromFile,
    onBadRow: flags.onBadRow,
  } as ReadOptionsInput;
}
