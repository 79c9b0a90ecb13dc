/** Shapes shared by the data readers, label vocabulary, splitting and batching. */

/** File formats the readers understand. */
export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'lines';

/**
 * How a label cell is read: one class name, a number (regression), or a list of class names
 * (multi-label).
 */
export type LabelType = 'class' | 'number' | 'multi';

/** A class name, a regression target, or a multi-label set. */
export type Label = string | number | string[];

/** What to do with a row that cannot be read: leave it out (and report it) or stop. */
export type OnBadRow = 'skip' | 'error';

/** A column chosen by header name or by 0-based index. */
export type ColumnRef = string | number;

/** Text encodings a data file may use; 'auto' is UTF-8, falling back to Latin-1 when the bytes are not UTF-8. */
export type TextEncoding = 'auto' | 'utf8' | 'latin1';

/** One labelled (or, for prediction, unlabelled) text. */
export interface Example {
  text: string;
  /** Second segment of a sentence pair (`[CLS] text [SEP] textPair [SEP]`). */
  textPair?: string;
  /** Class labels are strings (a JSON `1` becomes `"1"`); numbers only with labelType 'number'. */
  label?: Label;
  /** The file the example came from (as given to the reader). */
  file: string;
  /** 1-based line where the example's record starts (JSON array files: 1-based item number). */
  line: number;
}

/** A row that was not turned into an example, with the reason. */
export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

/** One input file; `label` gives every line of the file that label (e.g. `rt-polarity.pos` → "pos"). */
export interface DataSource {
  path: string;
  label?: string;
}

/**
 * Options of the readers. Each one is also a CLI flag: `textColumn` is `--text-column`, and so on
 * (see docs/data-formats.md).
 */
export interface ReadOptions {
  /** File format; 'auto' (default) goes by the extension, then by the content. */
  format?: DataFormat | 'auto';
  /** Whether a CSV/TSV file starts with a header row; 'auto' (default) guesses from the first rows. */
  header?: boolean | 'auto';
  /** Column (name or 0-based index) or JSON field holding the text. Default: guessed. */
  textColumn?: ColumnRef;
  /** Column or field holding the second text of a pair. Default: `text_b`/`sentence2` when present. */
  textPairColumn?: ColumnRef;
  /** Column or field holding the label. Default: guessed. */
  labelColumn?: ColumnRef;
  /** Field delimiter of CSV/TSV (default ',' for csv, TAB for tsv). */
  delimiter?: string;
  /** Text encoding; default 'auto'. */
  encoding?: TextEncoding;
  /** How labels are read; default 'class'. */
  labelType?: LabelType;
  /** Splits a multi-label cell such as `sports|politics` (labelType 'multi'). */
  labelDelimiter?: string;
  /** 'lines' format: separator between label and text on each line (e.g. ' ' for TREC). */
  labelSeparator?: string;
  /** 'lines' format: whether the label comes before (default) or after the separator. */
  labelPosition?: 'first' | 'last';
  /** Hierarchical labels such as `LOC:city`: 'coarse' keeps the part before labelLevelSeparator. */
  labelLevel?: 'fine' | 'coarse';
  /** Separator of hierarchical labels; default ':'. */
  labelLevelSeparator?: string;
  /** Every row of a file gets a label named after the file (`rt-polarity.pos` → "pos", `neg.txt` → "neg"). */
  labelFromFile?: boolean;
  /** When false, a file without labels is fine (prediction input). Default true. */
  requireLabel?: boolean;
  /** Default 'error'. */
  onBadRow?: OnBadRow;
}

/**
 * ReadOptions as they come from a command line: every value may also be a string
 * ("true", "0", "\\t"); resolveReadOptions checks and converts them.
 */
export type ReadOptionsInput = { [K in keyof ReadOptions]?: ReadOptions[K] | string };

/** How one file was read, for messages such as "read 9,600 examples from train.tsv (tsv, header)". */
export interface FileReport {
  file: string;
  format: DataFormat;
  /** Encoding actually used ('utf16le' only when the file starts with a UTF-16 byte-order mark). */
  encoding: 'utf8' | 'latin1' | 'utf16le';
  /** CSV/TSV only: whether the first row was taken as a header. */
  header?: boolean;
  delimiter?: string;
  /** Columns used, as `column "text"`, `column 0` or `field "text"`; absent when not used. */
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  /** Where the labels came from when not from a column: the file name or a `labelSeparator` split. */
  labelSource?: string;
  examples: number;
  skipped: number;
}

/** What the readers return. */
export interface ReadResult {
  examples: Example[];
  /** Rows left out (with onBadRow 'skip'), in file and line order. */
  skipped: BadRow[];
  files: FileReport[];
}
