import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { readExamples, readTextFile } from '../data/index.js';
import { BertftError, UsageError } from '../errors.js';
import type { BertTokenizer } from '../tokenization/index.js';
import type { WordBatch } from './masking.js';

/**
 * Unlabelled text for masked-LM pre-training: read, tokenized once (and cached), then either
 * packed into full `maxLength` blocks ([CLS] + a run of word pieces across documents, each document
 * followed by [SEP], + a final [SEP]) or taken one document a line ([CLS] + the first word pieces + [SEP]).
 * Each piece also carries whether it continues the previous piece's word, by the tokenizer's word
 * ids: where whole-word masking finds words.
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
  /**
   * Aligned with `ids`: 1 where the piece continues the word of the piece before it (the tokenizer's
   * word ids: `##` pieces for WordPiece), 0 for word starts and special tokens.
   */
  continues: Uint8Array;
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

/** The cache file's layout; part of its name, so a file of another layout is never read. */
const CACHE_FORMAT = 2;

/** Document pieces: ids and word-continuation flags of all documents, document `d` at `offsets[d]..offsets[d+1]`. */
interface Pieces {
  ids: Int32Array;
  continues: Uint8Array;
  offsets: Int32Array;
}

function cacheKey(files: readonly string[], textColumn: string | undefined, tokenizer: BertTokenizer): string {
  const h = createHash('sha256');
  h.update(`format ${CACHE_FORMAT}\n`);
  for (const f of files) {
    if (!existsSync(f)) throw new BertftError(`${f}: no such file`);
    const s = statSync(f);
    h.update(`${resolve(f)}|${s.size}|${s.mtimeMs}\n`);
  }
  h.update(`${textColumn ?? ''}|${tokenizer.vocabSize}|${tokenizer.idToToken(tokenizer.vocabSize - 1)}|${tokenizer.clsId}|${tokenizer.sepId}`);
  return h.digest('hex').slice(0, 16);
}

/** Tokenizes documents in chunks (the Rust tokenizer does the work), with progress. */
async function tokenizeDocuments(tokenizer: BertTokenizer, docs: string[], onProgress?: (d: number, t: number) => void): Promise<Pieces> {
  const chunks: { ids: Int32Array; continues: Uint8Array }[] = [];
  const offsets = new Int32Array(docs.length + 1);
  let total = 0;
  const step = 512;
  for (let i = 0; i < docs.length; i += step) {
    const pieces = await tokenizer.piecesOf(docs.slice(i, i + step));
    pieces.forEach((p, j) => {
      chunks.push(p);
      total += p.ids.length;
      offsets[i + j + 1] = total;
    });
    onProgress?.(Math.min(docs.length, i + step), docs.length);
  }
  const ids = new Int32Array(total);
  const continues = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    ids.set(c.ids, at);
    continues.set(c.continues, at);
    at += c.ids.length;
  }
  return { ids, continues, offsets };
}

/**
 * The cache file: int32 [format, documents, pieces], the documents' offsets (documents + 1), the
 * ids (pieces), then one byte per piece, its continuation flag.
 */
function encodeCache(p: Pieces): Uint8Array {
  const documents = p.offsets.length - 1;
  const head = new Int32Array(3 + p.offsets.length + p.ids.length);
  head.set([CACHE_FORMAT, documents, p.ids.length]);
  head.set(p.offsets, 3);
  head.set(p.ids, 3 + p.offsets.length);
  const out = new Uint8Array(head.byteLength + p.continues.length);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(p.continues, head.byteLength);
  return out;
}

/** A cache file's pieces, or undefined when it is not one of this layout (then it is rebuilt). */
function decodeCache(buf: Uint8Array): Pieces | undefined {
  if (buf.byteLength < 12) return undefined;
  const int32 = (from: number, n: number) => new Int32Array(buf.buffer.slice(buf.byteOffset + 4 * from, buf.byteOffset + 4 * (from + n)));
  const [format, documents, pieces] = int32(0, 3) as unknown as [number, number, number];
  const ints = 3 + documents + 1 + pieces;
  if (format !== CACHE_FORMAT || documents < 0 || pieces < 0 || buf.byteLength !== 4 * ints + pieces) return undefined;
  return {
    offsets: int32(3, documents + 1),
    ids: int32(3 + documents + 1, pieces),
    continues: buf.slice(4 * ints),
  };
}

/** Document word pieces, from the cache when the same files were tokenized before. */
async function documentPieces(files: readonly string[], tokenizer: BertTokenizer, options: CorpusOptions): Promise<Pieces> {
  const file = options.cacheDir ? join(options.cacheDir, `.corpus-${cacheKey(files, options.textColumn, tokenizer)}.bin`) : undefined;
  if (file && existsSync(file)) {
    const cached = decodeCache(await readFile(file));
    if (cached) return cached;
  }
  const docs = readDocuments(files, options.textColumn);
  const pieces = await tokenizeDocuments(tokenizer, docs, options.onProgress);
  if (file) {
    await mkdir(options.cacheDir!, { recursive: true });
    await writeFileAtomic(file, encodeCache(pieces));
  }
  return pieces;
}

/** Reads, tokenizes and packs (or lines up) a corpus. */
export async function buildCorpus(files: readonly string[], tokenizer: BertTokenizer, options: CorpusOptions): Promise<Corpus> {
  if (files.length === 0) throw new UsageError('give at least one text file (--text FILE)');
  if (options.maxLength < 8) throw new UsageError(`--max-length must be at least 8 for pre-training, got ${options.maxLength}`);
  const { ids: pieces, continues: pieceContinues, offsets: docOffsets } = await documentPieces(files, tokenizer, options);
  const documents = docOffsets.length - 1;
  const body = options.maxLength - 2;
  const rows: number[] = [0];
  // Special tokens start no word and continue none: their flags stay 0.
  let out: Int32Array;
  let continues: Uint8Array;
  if (options.lineByLine) {
    out = new Int32Array(pieces.length + 2 * documents);
    continues = new Uint8Array(out.length);
    let at = 0;
    for (let d = 0; d < documents; d++) {
      const start = docOffsets[d]!;
      const end = Math.min(docOffsets[d + 1]!, start + body);
      if (end === start) continue;
      out[at++] = tokenizer.clsId;
      out.set(pieces.subarray(start, end), at);
      continues.set(pieceContinues.subarray(start, end), at);
      at += end - start;
      out[at++] = tokenizer.sepId;
      rows.push(at);
    }
    out = out.slice(0, at);
    continues = continues.slice(0, at);
  } else {
    // One stream: doc, [SEP], doc, [SEP], …; cut into bodies of maxLength − 2.
    const stream = new Int32Array(pieces.length + documents);
    const streamContinues = new Uint8Array(stream.length);
    let at = 0;
    for (let d = 0; d < documents; d++) {
      stream.set(pieces.subarray(docOffsets[d]!, docOffsets[d + 1]!), at);
      streamContinues.set(pieceContinues.subarray(docOffsets[d]!, docOffsets[d + 1]!), at);
      at += docOffsets[d + 1]! - docOffsets[d]!;
      stream[at++] = tokenizer.sepId;
    }
    const blocks = Math.floor(at / body);
    out = new Int32Array(blocks * options.maxLength);
    continues = new Uint8Array(out.length);
    for (let b = 0; b < blocks; b++) {
      const o = b * options.maxLength;
      out[o] = tokenizer.clsId;
      out.set(stream.subarray(b * body, (b + 1) * body), o + 1);
      // A block may start inside a word: its first piece keeps its flag, and masking, which never
      // joins a piece to a special token, draws it as a word of its own.
      continues.set(streamContinues.subarray(b * body, (b + 1) * body), o + 1);
      out[o + options.maxLength - 1] = tokenizer.sepId;
      rows.push(o + options.maxLength);
    }
  }
  if (rows.length < 2)
    throw new BertftError(`${files.join(', ')}: too little text for one sequence of ${options.maxLength} tokens; pass more text or --line-by-line`);
  const offsets = Int32Array.from(rows);
  return {
    ids: out,
    continues,
    offsets,
    documents,
    wordPieces: pieces.length,
    get size() {
      return offsets.length - 1;
    },
  };
}

/** Rows `rowIds` of a corpus as a padded token batch, with the pieces' word-continuation flags for masking. */
export function corpusBatch(corpus: Corpus, rowIds: ArrayLike<number>, padId: number): WordBatch {
  let seqLength = 0;
  for (let i = 0; i < rowIds.length; i++) seqLength = Math.max(seqLength, corpus.offsets[rowIds[i]! + 1]! - corpus.offsets[rowIds[i]!]!);
  const n = rowIds.length;
  const inputIds = new Int32Array(n * seqLength).fill(padId);
  const attentionMask = new Int32Array(n * seqLength);
  const continues = new Uint8Array(n * seqLength);
  for (let i = 0; i < n; i++) {
    const r = rowIds[i]!;
    const row = corpus.ids.subarray(corpus.offsets[r]!, corpus.offsets[r + 1]!);
    inputIds.set(row, i * seqLength);
    continues.set(corpus.continues.subarray(corpus.offsets[r]!, corpus.offsets[r + 1]!), i * seqLength);
    attentionMask.fill(1, i * seqLength, i * seqLength + row.length);
  }
  return { batchSize: n, seqLength, inputIds, attentionMask, tokenTypeIds: new Int32Array(n * seqLength), continues };
}
