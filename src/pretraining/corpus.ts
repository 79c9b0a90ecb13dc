import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { readExamples, readTextFile } from '../data/index.js';
import { BertftError, UsageError } from '../errors.js';
import type { BertTokenizer } from '../tokenization/index.js';

/**
 * Unlabelled text for masked-LM pre-training: read, tokenized once (and cached), then either
 * packed into full `maxLength` blocks ([CLS] + a run of word pieces across documents, each document
 * followed by [SEP], + a final [SEP]) or taken one document a line ([CLS] + the first word pieces + [SEP]).
 */

export interface CorpusOptions {
  /** Column (or JSON key) holding the text in CSV/TSV/JSONL files; plain files are one document a line. */
  textColumn?: string;
  /** One sequence per document instead of packed blocks. */
  lineByLine?: boolean;
  maxLength: number;
  /** Folder for the tokenized cache (the run's output folder). */
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Sequences ready for batching, each starting with [CLS] and ending with [SEP]. */
export interface Corpus {
  /** Row-major token ids; row `i` spans `offsets[i]..offsets[i+1]`. */
  ids: Int32Array;
  offsets: Int32Array;
  documents: number;
  /** Word pieces in the documents (before packing; special tokens not counted). */
  wordPieces: number;
  get size(): number;
}

const STRUCTURED = new Set(['.csv', '.tsv', '.jsonl', '.json', '.ndjson']);

/** The documents of each file: plain text one a line, or the text column of a data file. */
export function readDocuments(files: readonly string[], textColumn?: string): string[] {
  const docs: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new BertftError(`${file}: no such file`);
    const structured = STRUCTURED.has(extname(file).toLowerCase());
    if (structured || textColumn !== undefined) {
      const { examples } = readExamples(file, { textColumn, requireLabel: false });
      for (const e of examples) if (e.text.trim()) docs.push(e.text);
    } else {
      for (const line of readTextFile(file, 'auto').text.split('\n')) if (line.trim()) docs.push(line);
    }
  }
  if (docs.length === 0)
    throw new BertftError(`${files.join(', ')}: no text found (expected one document a line${textColumn ? `, or a "${textColumn}" column` : ''})`);
  // HTML line breaks (IMDB) carry no words.
  return docs.map((d) => d.replace(/<br\s*\/?>/gi, ' '));
}

function cacheKey(files: readonly string[], textColumn: string | undefined, tokenizer: BertTokenizer): string {
  const h = createHash('sha256');
  for (const f of files) {
    if (!existsSync(f)) throw new BertftError(`${f}: no such file`);
    const s = statSync(f);
    h.update(`${resolve(f)}|${s.size}|${s.mtimeMs}\n`);
  }
  h.update(`${textColumn ?? ''}|${tokenizer.vocabSize}|${tokenizer.idToToken(tokenizer.vocabSize - 1)}|${tokenizer.clsId}|${tokenizer.sepId}`);
  return h.digest('hex').slice(0, 16);
}

/** Tokenizes documents in chunks (the Rust tokenizer does the work), with progress. */
async function tokenizeDocuments(
  tokenizer: BertTokenizer,
  docs: string[],
  onProgress?: (d: number, t: number) => void,
): Promise<{ ids: Int32Array; offsets: Int32Array }> {
  const chunks: Int32Array[] = [];
  const offsets = new Int32Array(docs.length + 1);
  let total = 0;
  const step = 512;
  for (let i = 0; i < docs.length; i += step) {
    const pieces = await tokenizer.idsOf(docs.slice(i, i + step));
    pieces.forEach((p, j) => {
      chunks.push(p);
      total += p.length;
      offsets[i + j + 1] = total;
    });
    onProgress?.(Math.min(docs.length, i + step), docs.length);
  }
  const ids = new Int32Array(total);
  let at = 0;
  for (const c of chunks) {
    ids.set(c, at);
    at += c.length;
  }
  return { ids, offsets };
}

/** Document word pieces, from the cache when the same files were tokenized before. */
async function documentPieces(files: readonly string[], tokenizer: BertTokenizer, options: CorpusOptions): Promise<{ ids: Int32Array; offsets: Int32Array }> {
  const file = options.cacheDir ? join(options.cacheDir, `.corpus-${cacheKey(files, options.textColumn, tokenizer)}.bin`) : undefined;
  if (file && existsSync(file)) {
    const buf = await readFile(file);
    const all = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const nDocs = all[0]!;
    return { offsets: all.slice(1, nDocs + 2), ids: all.slice(nDocs + 2) };
  }
  const docs = readDocuments(files, options.textColumn);
  const pieces = await tokenizeDocuments(tokenizer, docs, options.onProgress);
  if (file) {
    await mkdir(options.cacheDir!, { recursive: true });
    const all = new Int32Array(1 + pieces.offsets.length + pieces.ids.length);
    all[0] = docs.length;
    all.set(pieces.offsets, 1);
    all.set(pieces.ids, 1 + pieces.offsets.length);
    await writeFileAtomic(file, new Uint8Array(all.buffer));
  }
  return pieces;
}

/** Reads, tokenizes and packs (or lines up) a corpus. */
export async function buildCorpus(files: readonly string[], tokenizer: BertTokenizer, options: CorpusOptions): Promise<Corpus> {
  if (files.length === 0) throw new UsageError('give at least one text file (--text FILE)');
  if (options.maxLength < 8) throw new UsageError(`--max-length must be at least 8 for pre-training, got ${options.maxLength}`);
  const { ids: pieces, offsets: docOffsets } = await documentPieces(files, tokenizer, options);
  const documents = docOffsets.length - 1;
  const body = options.maxLength - 2;
  const rows: number[] = [0];
  let out: Int32Array;
  if (options.lineByLine) {
    out = new Int32Array(pieces.length + 2 * documents);
    let at = 0;
    for (let d = 0; d < documents; d++) {
      const start = docOffsets[d]!;
      const end = Math.min(docOffsets[d + 1]!, start + body);
      if (end === start) continue;
      out[at++] = tokenizer.clsId;
      out.set(pieces.subarray(start, end), at);
      at += end - start;
      out[at++] = tokenizer.sepId;
      rows.push(at);
    }
    out = out.slice(0, at);
  } else {
    // One stream: doc, [SEP], doc, [SEP], …; cut into bodies of maxLength − 2.
    const stream = new Int32Array(pieces.length + documents);
    let at = 0;
    for (let d = 0; d < documents; d++) {
      stream.set(pieces.subarray(docOffsets[d]!, docOffsets[d + 1]!), at);
      at += docOffsets[d + 1]! - docOffsets[d]!;
      stream[at++] = tokenizer.sepId;
    }
    const blocks = Math.floor(at / body);
    out = new Int32Array(blocks * options.maxLength);
    for (let b = 0; b < blocks; b++) {
      const o = b * options.maxLength;
      out[o] = tokenizer.clsId;
      out.set(stream.subarray(b * body, (b + 1) * body), o + 1);
      out[o + options.maxLength - 1] = tokenizer.sepId;
      rows.push(o + options.maxLength);
    }
  }
  if (rows.length < 2)
    throw new BertftError(`${files.join(', ')}: too little text for one sequence of ${options.maxLength} tokens; pass more text or --line-by-line`);
  const offsets = Int32Array.from(rows);
  return {
    ids: out,
    offsets,
    documents,
    wordPieces: pieces.length,
    get size() {
      return offsets.length - 1;
    },
  };
}

/** Rows `rowIds` of a corpus as a padded token batch. */
export function corpusBatch(corpus: Corpus, rowIds: ArrayLike<number>, padId: number) {
  let seqLength = 0;
  for (let i = 0; i < rowIds.length; i++) seqLength = Math.max(seqLength, corpus.offsets[rowIds[i]! + 1]! - corpus.offsets[rowIds[i]!]!);
  const n = rowIds.length;
  const inputIds = new Int32Array(n * seqLength).fill(padId);
  const attentionMask = new Int32Array(n * seqLength);
  for (let i = 0; i < n; i++) {
    const r = rowIds[i]!;
    const row = corpus.ids.subarray(corpus.offsets[r]!, corpus.offsets[r + 1]!);
    inputIds.set(row, i * seqLength);
    attentionMask.fill(1, i * seqLength, i * seqLength + row.length);
  }
  return { batchSize: n, seqLength, inputIds, attentionMask, tokenTypeIds: new Int32Array(n * seqLength) };
}
