import type { Encoding, Tokenizer } from 'tokenizers';
import { UsageError } from '../errors.js';
import { loadTokenizer, type TokenizerSource } from './load.js';
import type { TokenizerSettings } from './config.js';
import { byteLevelText, type TokenizerDescription, type TokenizerKind } from './describe.js';

export interface EncodeOptions {
  /** Longest sequence including [CLS]/[SEP] (default 512). Pairs are cut longest-first. */
  maxLength?: number;
  /** Pad the batch's length up to a multiple of this (default 1: no rounding). */
  padToMultipleOf?: number;
  /** Also return each token's word index ({@link Encoded.wordIds}, {@link EncodedBatch.wordIds}). */
  words?: boolean;
}

/** One encoded text or pair. */
export interface Encoded {
  ids: number[];
  typeIds: number[];
  /** With `words`: the word each token belongs to (per segment, from the pre-tokenizer), null for special tokens. */
  wordIds?: (number | null)[];
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
  /** With `words`: the word index of each token, row-major like inputIds; -1 for special tokens and padding. */
  wordIds?: Int32Array;
}

/**
 * One text encoded whole (no truncation), special tokens included, with where each token lies in
 * the text: what token classification needs to cut windows and to map predictions back to words.
 */
export interface OffsetEncoding {
  ids: number[];
  /** The post-processor's type ids, bounded by the model's type table like {@link Encoded.typeIds}. */
  typeIds: number[];
  /**
   * [start, end) of each token as UTF-16 indices into the text, so `text.slice(start, end)` is what
   * the token stands for; [0, 0] for special tokens. The pieces of one character (byte-level BPE)
   * share its range; a byte-level space that RoBERTa's post-processor trims is empty.
   */
  offsets: [number, number][];
  /** Whether the post-processor added the token ([CLS], </s>); an added token written in the text is not special here. */
  special: boolean[];
  /** The tokenizer's word of each token (its pre-tokenizer's split), null for special tokens. */
  wordIds: (number | null)[];
  /** Each token as the vocabulary spells it (`##ing`, `Ġthe`, `▁the`). */
  tokens: string[];
}

/** What the post-processor puts around one text: `[CLS] … [SEP]`, `<s> … </s>`. */
export interface SpecialTemplate {
  prefixIds: number[];
  prefixTypeIds: number[];
  suffixIds: number[];
  suffixTypeIds: number[];
}

export interface TokenizerLoadOptions {
  /** Force a route; by default tokenizer.json is used when the folder has one. */
  route?: 'auto' | TokenizerSource;
  /**
   * Rows of the model's token-type table. A type id the table lacks becomes 0: a RoBERTa or XLM-R
   * model (one token type) never sees type 1, whatever the tokenizer's post-processor says.
   * Default: the post-processor's type ids as they are.
   */
  typeVocabSize?: number;
}

const DEFAULT_MAX_LENGTH = 512;

/** The special-token ids by role. */
interface SpecialIds {
  padId: number;
  clsId: number;
  sepId: number;
  unkId: number;
  maskId: number | undefined;
}

/**
 * The tokenizer of a BERT-family folder over the Rust `tokenizers` library: whatever tokenizer.json
 * holds (WordPiece, byte-level BPE, SentencePiece Unigram) with its own special tokens and pair
 * template, or BERT's WordPiece from vocab.txt; truncate, pad. Matches Hugging Face's fast
 * tokenizers with `truncation=True, padding='longest'`.
 */
export class BertTokenizer {
  private truncation = -1;
  private template: Promise<SpecialTemplate> | undefined;
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  /** -1 for a byte-level BPE without an unknown token (it never needs one). */
  readonly unkId: number;
  readonly maskId: number | undefined;
  private readonly specialIds: Set<number>;

  private constructor(
    private readonly tok: Tokenizer,
    readonly source: TokenizerSource,
    readonly settings: TokenizerSettings,
    private readonly description: TokenizerDescription,
    ids: SpecialIds,
    private readonly typeVocabSize: number,
  ) {
    ({ padId: this.padId, clsId: this.clsId, sepId: this.sepId, unkId: this.unkId, maskId: this.maskId } = ids);
    this.specialIds = new Set([this.padId, this.clsId, this.sepId, this.unkId, ...(this.maskId === undefined ? [] : [this.maskId])]);
  }

  /** Loads the tokenizer of a Hugging Face model folder. */
  static async fromDir(dir: string, options: TokenizerLoadOptions = {}): Promise<BertTokenizer> {
    const { tokenizer, source, settings, description } = await loadTokenizer(dir, options.route);
    const id = (t: string) => tokenizer.tokenToId(t) ?? undefined;
    const required = (t: string, role: string) => {
      const v = id(t);
      if (v === undefined) throw new UsageError(`${dir}: the tokenizer has no ${role} token "${t}"`);
      return v;
    };
    tokenizer.disablePadding();
    const ids: SpecialIds = {
      padId: id(settings.padToken) ?? 0,
      clsId: required(settings.clsToken, 'cls'),
      sepId: required(settings.sepToken, 'sep'),
      // Byte-level BPE spells every byte, so it may have no unknown token at all: -1, never produced.
      unkId: description.byteLevel ? (id(settings.unkToken) ?? -1) : required(settings.unkToken, 'unk'),
      maskId: id(settings.maskToken),
    };
    return new BertTokenizer(tokenizer, source, settings, description, ids, options.typeVocabSize ?? Infinity);
  }

  /** `wordpiece`, `bpe` (byte-level), `unigram` (SentencePiece/Metaspace) or `other`. */
  get kind(): TokenizerKind {
    return this.description.kind;
  }

  get vocabSize(): number {
    return this.tok.getVocabSize(true);
  }

  idToToken(id: number): string | undefined {
    return id < 0 ? undefined : (this.tok.idToToken(id) ?? undefined);
  }

  /** Ids back to text by the tokenizer's own decoder (tokenizer.json's; special tokens kept). */
  decode(ids: readonly number[]): Promise<string> {
    return this.tok.decode([...ids], false);
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

  /**
   * {@link idsOf} with, per piece, whether it continues the word of the piece before it by the
   * tokenizer's own word ids ({@link continuations}): 1 or 0, aligned with `ids`. Exact for every
   * tokenizer kind, unlike {@link isContinuation}; for WordPiece the same as the `##` rule.
   */
  async piecesOf(texts: string[]): Promise<{ ids: Int32Array; continues: Uint8Array }[]> {
    this.setTruncation(0);
    if (texts.length === 0) return [];
    const encodings = await this.tok.encodeBatch(texts, { addSpecialTokens: false });
    return encodings.map((e) => ({
      ids: Int32Array.from(e.getIds()),
      continues: Uint8Array.from(BertTokenizer.continuations(e.getWordIds().map((w) => w ?? null)), Number),
    }));
  }

  /**
   * Whether a token continues the previous word, from the piece alone (whole-word masking in
   * pre-training uses {@link piecesOf}'s word-id flags instead):
   * WordPiece's `##` prefix; Metaspace (SentencePiece): no `▁` on the piece (words are what lies
   * between spaces); byte-level BPE: no `Ġ` and the piece starts with a letter, digit or mark (or
   * inside a character), which is what the tokenizer's word ids say except where a boundary needs
   * the piece before (a letter after digits, punctuation after punctuation). Where the text is at
   * hand, {@link continuations} of {@link encode}'s word ids is exact.
   */
  isContinuation(id: number): boolean {
    const piece = this.idToToken(id) ?? '';
    const d = this.description;
    if (d.kind === 'wordpiece') return piece.startsWith(d.continuingPrefix ?? '##');
    // Metaspace's unknown piece stands inside a word (the word starts with a `▁` piece).
    const special = this.specialIds.has(id) && !(id === this.unkId && !d.byteLevel);
    if (d.wordStart === undefined || special || piece === '' || piece.startsWith(d.wordStart)) return false;
    // Metaspace words run from one `▁` to the next; byte-level words also end at punctuation.
    return !d.byteLevel || /^[\p{L}\p{N}\p{M}\uFFFD]/u.test(byteLevelText(piece));
  }

  /**
   * Per token, whether it continues the word of the token before it: the same word id (special
   * tokens, null or -1 as in {@link EncodedBatch.wordIds}, never). One row at a time.
   */
  static continuations(wordIds: ArrayLike<number | null>): boolean[] {
    return Array.from(wordIds, (w, i) => i > 0 && w !== null && w >= 0 && w === wordIds[i - 1]);
  }

  /**
   * One text without truncation, special tokens included, with each token's UTF-16 offsets, special
   * flag, word id and string: the input of token classification's windows (tokenization/word-windows.ts).
   */
  async encodeWithOffsets(text: string): Promise<OffsetEncoding> {
    this.setTruncation(0);
    const enc = await this.tok.encode(text, null, { addSpecialTokens: true });
    return {
      ids: enc.getIds(),
      typeIds: this.typeIdsOf(enc),
      offsets: utf16Offsets(text, enc.getOffsets()),
      special: enc.getSpecialTokensMask().map((m) => m === 1),
      wordIds: enc.getWordIds().map((w) => w ?? null),
      // Not enc.getTokens(): for an unknown piece Unigram gives the text it stands for, not the unknown token.
      tokens: enc.getIds().map((id) => this.idToToken(id) ?? ''),
    };
  }

  /**
   * The special tokens the post-processor puts before and after a single text, read from the
   * special-tokens mask of a one-letter text: wrapping a window of body tokens in them gives what
   * the tokenizer itself would give for that stretch of text.
   */
  singleSequenceTemplate(): Promise<SpecialTemplate> {
    this.template ??= this.encodeWithOffsets('a').then(templateOf);
    return this.template;
  }

  /** Ids and token types (and, with `words`, word ids) of one text or pair, truncated to maxLength. */
  async encode(text: string, pair?: string, options: EncodeOptions = {}): Promise<Encoded> {
    this.setTruncation(this.maxLengthOf(options));
    const enc = await this.tok.encode(text, pair ?? null);
    const words = options.words ? { wordIds: enc.getWordIds().map((w) => w ?? null) } : {};
    return { ids: enc.getIds(), typeIds: this.typeIdsOf(enc), ...words };
  }

  /** The post-processor's type ids, with those the model's type table lacks set to 0. */
  private typeIdsOf(enc: Encoding): number[] {
    const types = enc.getTypeIds();
    return types.some((t) => t >= this.typeVocabSize) ? types.map((t) => (t >= this.typeVocabSize ? 0 : t)) : types;
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
    return this.pad(encodings, options.padToMultipleOf ?? 1, options.words === true);
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

  private pad(encodings: Encoding[], multiple: number, words: boolean): EncodedBatch {
    const lengths = encodings.map((e) => e.getLength());
    const longest = Math.max(0, ...lengths);
    const seqLength = Math.ceil(longest / multiple) * multiple;
    const n = encodings.length;
    const inputIds = new Int32Array(n * seqLength).fill(this.padId);
    const attentionMask = new Int32Array(n * seqLength);
    const tokenTypeIds = new Int32Array(n * seqLength);
    const wordIds = words ? new Int32Array(n * seqLength).fill(-1) : undefined;
    encodings.forEach((e, row) => {
      const offset = row * seqLength;
      inputIds.set(e.getIds(), offset);
      tokenTypeIds.set(this.typeIdsOf(e), offset);
      attentionMask.fill(1, offset, offset + lengths[row]!);
      wordIds?.set(
        e.getWordIds().map((w) => w ?? -1),
        offset,
      );
    });
    return { batchSize: n, seqLength, inputIds, attentionMask, tokenTypeIds, lengths, ...(wordIds ? { wordIds } : {}) };
  }
}

/**
 * The binding reports offsets in characters (Unicode code points: "😀" is one); JS strings index
 * UTF-16 code units ("😀" is two). Texts without surrogates need no conversion.
 */
function utf16Offsets(text: string, offsets: number[][]): [number, number][] {
  if (!/[\uD800-\uDFFF]/.test(text)) return offsets.map(([start, end]) => [start!, end!]);
  const unitOf: number[] = [];
  let unit = 0;
  for (const ch of text) {
    unitOf.push(unit);
    unit += ch.length;
  }
  unitOf.push(unit);
  return offsets.map(([start, end]) => [unitOf[start!]!, unitOf[end!]!]);
}

/** The leading and trailing special tokens of an encoding whose text gave at least one token. */
function templateOf(enc: OffsetEncoding): SpecialTemplate {
  const prefix = enc.special.indexOf(false);
  const suffix = enc.special.length - 1 - enc.special.lastIndexOf(false);
  if (prefix < 0) throw new Error('the tokenizer gave no token for the text "a": cannot tell its special-token template');
  const end = enc.ids.length - suffix;
  return {
    prefixIds: enc.ids.slice(0, prefix),
    prefixTypeIds: enc.typeIds.slice(0, prefix),
    suffixIds: enc.ids.slice(end),
    suffixTypeIds: enc.typeIds.slice(end),
  };
}
