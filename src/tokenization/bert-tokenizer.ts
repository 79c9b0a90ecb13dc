import type { Encoding, Tokenizer } from 'tokenizers';
import { UsageError } from '../errors.js';
import { loadTokenizer, type TokenizerSource } from './load.js';
import type { WordPieceSettings } from './config.js';

export interface EncodeOptions {
  /** Longest sequence including [CLS]/[SEP] (default 512). Pairs are cut longest-first. */
  maxLength?: number;
  /** Pad the batch's length up to a multiple of this (default 1: no rounding). */
  padToMultipleOf?: number;
}

/**
 * A tokenized, padded batch, row-major [batchSize, seqLength]: what the engines run (the one batch
 * type of tokenizer, trainer and both engines; declared here, in the lowest layer that needs it).
 */
export interface TokenBatch {
  batchSize: number;
  /** Length of the longest row: padding is dynamic, per batch. */
  seqLength: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

/** What the tokenizer returns: a token batch and the unpadded length of each row. */
export interface EncodedBatch extends TokenBatch {
  /** Unpadded length of each row. */
  lengths: number[];
}

export interface TokenizerLoadOptions {
  /** Force a route; by default tokenizer.json is used when the folder has one. */
  route?: 'auto' | TokenizerSource;
}

const DEFAULT_MAX_LENGTH = 512;

/**
 * BERT's tokenizer pipeline over the Rust `tokenizers` library: normalise, split, WordPiece,
 * add [CLS]/[SEP] and token types, truncate, pad. Matches Hugging Face's BertTokenizerFast with
 * `truncation=True, padding='longest'`.
 */
export class BertTokenizer {
  private truncation = -1;

  private constructor(
    private readonly tok: Tokenizer,
    readonly source: TokenizerSource,
    readonly settings: WordPieceSettings,
    readonly padId: number,
    readonly clsId: number,
    readonly sepId: number,
    readonly unkId: number,
    readonly maskId: number | undefined,
  ) {}

  /** Loads the tokenizer of a Hugging Face model folder. */
  static async fromDir(dir: string, options: TokenizerLoadOptions = {}): Promise<BertTokenizer> {
    const { tokenizer, source, settings } = await loadTokenizer(dir, options.route);
    const id = (t: string) => tokenizer.tokenToId(t) ?? undefined;
    const required = (t: string, role: string) => {
      const v = id(t);
      if (v === undefined) throw new UsageError(`${dir}: the tokenizer has no ${role} token "${t}"`);
      return v;
    };
    tokenizer.disablePadding();
    return new BertTokenizer(
      tokenizer,
      source,
      settings,
      id(settings.padToken) ?? 0,
      required(settings.clsToken, 'cls'),
      required(settings.sepToken, 'sep'),
      required(settings.unkToken, 'unk'),
      id(settings.maskToken),
    );
  }

  get vocabSize(): number {
    return this.tok.getVocabSize(true);
  }

  idToToken(id: number): string | undefined {
    return this.tok.idToToken(id) ?? undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.tok.tokenToId(token) ?? undefined;
  }

  /** Word pieces of a text, without special tokens and without truncation. */
  async tokenize(text: string): Promise<string[]> {
    this.setTruncation(0);
    const enc = await this.tok.encode(text, null, { addSpecialTokens: false });
    return enc.getTokens();
  }

  /** Word-piece ids of each text, without special tokens and without truncation (for pre-training corpora). */
  async idsOf(texts: string[]): Promise<Int32Array[]> {
    this.setTruncation(0);
    if (texts.length === 0) return [];
    const encodings = await this.tok.encodeBatch(texts, { addSpecialTokens: false });
    return encodings.map((e) => Int32Array.from(e.getIds()));
  }

  /** Whether a token continues the previous word (`##` pieces), for whole-word masking. */
  isContinuation(id: number): boolean {
    return (this.idToToken(id) ?? '').startsWith('##');
  }

  /** Ids and token types of one text or pair, truncated to maxLength. */
  async encode(text: string, pair?: string, options: EncodeOptions = {}): Promise<{ ids: number[]; typeIds: number[] }> {
    this.setTruncation(this.maxLengthOf(options));
    const enc = await this.tok.encode(text, pair ?? null);
    return { ids: enc.getIds(), typeIds: enc.getTypeIds() };
  }

  /** Encodes a batch and pads it to its longest row. */
  async encodeBatch(texts: string[], pairs?: string[], options: EncodeOptions = {}): Promise<EncodedBatch> {
    if (pairs && pairs.length !== texts.length) {
      throw new UsageError(`got ${texts.length} texts but ${pairs.length} second texts`);
    }
    this.setTruncation(this.maxLengthOf(options));
    // The Node binding's batch call takes single texts only; pairs go one call each (still in Rust).
    const encodings =
      texts.length === 0 ? [] : pairs ? await Promise.all(texts.map((t, i) => this.tok.encode(t, pairs[i]))) : await this.tok.encodeBatch(texts);
    return this.pad(encodings, options.padToMultipleOf ?? 1);
  }

  private maxLengthOf(options: EncodeOptions): number {
    const n = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(n) || n < 3) throw new UsageError(`max length must be a whole number of at least 3, got ${n}`);
    return n;
  }

  /** 0 disables truncation. The Rust tokenizer keeps the setting, so it is changed only when needed. */
  private setTruncation(maxLength: number): void {
    if (maxLength === this.truncation) return;
    if (maxLength === 0) this.tok.disableTruncation();
    else this.tok.setTruncation(maxLength, { strategy: 'LongestFirst' as never });
    this.truncation = maxLength;
  }

  private pad(encodings: Encoding[], multiple: number): EncodedBatch {
    const lengths = encodings.map((e) => e.getLength());
    const longest = Math.max(0, ...lengths);
    const seqLength = Math.ceil(longest / multiple) * multiple;
    const n = encodings.length;
    const inputIds = new Int32Array(n * seqLength).fill(this.padId);
    const attentionMask = new Int32Array(n * seqLength);
    const tokenTypeIds = new Int32Array(n * seqLength);
    encodings.forEach((e, row) => {
      const offset = row * seqLength;
      inputIds.set(e.getIds(), offset);
      tokenTypeIds.set(e.getTypeIds(), offset);
      attentionMask.fill(1, offset, offset + lengths[row]);
    });
    return { batchSize: n, seqLength, inputIds, attentionMask, tokenTypeIds, lengths };
  }
}
