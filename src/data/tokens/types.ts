/** Types of the token-classification readers (see docs/data-formats.md, "Token classification"). */

/** The tagging schemes a file may use; every reader normalises to 'iob2'. */
export type TagScheme = 'iob1' | 'iob2' | 'bioes' | 'io';

/** The formats the token readers understand. */
export type TokenDataFormat = 'conll' | 'jsonl-tags' | 'jsonl-spans';

/** One sentence: words and their IOB2 tags (same length), and where it starts in its file. */
export interface TaggedSentence {
  tokens: string[];
  tags: string[];
  file: string;
  /** 1-based line of the sentence's first token (CoNLL) or of its record (JSON lines). */
  line: number;
}

/** One tag the normaliser changed or found out of place, with what it did. */
export interface TagRepair {
  file: string;
  line: number;
  /** The tag as written, and the IOB2 tag it became. */
  tag: string;
  fixed: string;
  /** Why, e.g. "I-PER after O starts no entity in IOB2". */
  reason: string;
}

/** A character-offset entity the span reader could not represent exactly, with what it did. */
export interface SpanIssue {
  file: string;
  line: number;
  entity: { start: number; end: number; label: string };
  /** e.g. "starts inside the word "Berlin's" (10–18); the whole word is tagged". */
  reason: string;
}

/** What reading one file found: sizes, the scheme, and every repair (for the caller to print). */
export interface TokenReadReport {
  file: string;
  format: TokenDataFormat;
  sentences: number;
  tokens: number;
  /** The scheme the file's tags were read as, and whether it was inferred from them. */
  scheme: TagScheme;
  schemeInferred: boolean;
  /** Tags changed or kept out of place while normalising to IOB2, in line order. */
  repairs: TagRepair[];
  /** Spans (JSON lines with `text` and `entities`) whose boundaries fall inside words, overlap or cover no word. */
  spanIssues: SpanIssue[];
  /** `-DOCSTART-` lines skipped (CoNLL). */
  docstarts: number;
}

/** Options of the token readers. */
export interface TokenReadOptions {
  /** The file's format; default: from the extension (.jsonl/.json → JSON lines, else CoNLL) and, for JSON lines, the first record's fields. */
  format?: TokenDataFormat;
  /** CoNLL: 0-based column of the tag; default the last. The token is column 0. */
  labelColumn?: number;
  /** The tags' scheme: 'iob1', 'iob2', 'bioes', 'io' (also 'bilou', read as BIOES) or 'auto' (default: inferred). */
  scheme?: string;
}

/** The sentences of one file, all tags IOB2, and what reading them found. */
export interface TokenReadResult {
  sentences: TaggedSentence[];
  report: TokenReadReport;
}
